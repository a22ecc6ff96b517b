// What the chip has under names Node also uses (so only the chip's type-check loads this file),
// and the few ES2015+ members the interpreter has beyond the ES5 library, declared as Espruino
// 2v29 has them. Anything not declared here or in TypeScript's ES5 library is a compile error in
// chip code; the checker (device/build/chip-check.ts) also refuses ES5 members Espruino lacks.

/** `require` only loads the interpreter's built-in modules; everything else is bundled. */
declare function require<K extends keyof EspruinoModules>(name: K): EspruinoModules[K];
declare const process: EspruinoProcess;
declare const console: { log(...args: unknown[]): void };
declare function print(...args: unknown[]): void;
declare function setTimeout(cb: () => void, ms?: number): number;
declare function setInterval(cb: () => void, ms?: number): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function atob(base64: string): string;
declare function btoa(binary: string): string;
declare const global: typeof globalThis;

interface Array<T> {
  find(predicate: (value: T, index: number, array: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, array: T[]) => unknown): number;
  includes(item: T, fromIndex?: number): boolean;
  fill(value: T, start?: number, end?: number): this;
}

interface String {
  startsWith(search: string, position?: number): boolean;
  endsWith(search: string, length?: number): boolean;
  includes(search: string, position?: number): boolean;
  repeat(count: number): string;
  padStart(length: number, fill?: string): string;
  padEnd(length: number, fill?: string): string;
}

interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
  values<T>(o: { [key: string]: T }): T[];
  entries<T>(o: { [key: string]: T }): [string, T][];
}

interface Uint8Array {
  includes(value: number, fromIndex?: number): boolean;
}

interface Math {
  sign(x: number): number;
}
