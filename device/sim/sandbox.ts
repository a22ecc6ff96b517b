// The node:vm sandbox that runs the built firmware: a fresh realm per boot with the Espruino
// globals installed, a clock-driven Date and a seeded Math.random, and the language features the
// interpreter lacks REMOVED so firmware that uses them fails in tests as it would on the chip.
import vm from 'node:vm';
import { ESPRUINO_ARRAY_METHODS, ESPRUINO_ARRAY_STATICS } from '../build/espruino-array.js';
import { ESPRUINO_MATH } from '../build/espruino-math.js';
import { ESPRUINO_NUMBER_METHODS, ESPRUINO_NUMBER_STATICS } from '../build/espruino-number.js';
import { ESPRUINO_STRING_METHODS, ESPRUINO_STRING_STATICS } from '../build/espruino-string.js';

/** Globals and members deleted from the sandbox because Espruino does not have them. */
export const REMOVED_IN_SANDBOX: string[] = [
  'Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect',
  'Intl', 'SharedArrayBuffer', 'Atomics', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'structuredClone', 'queueMicrotask',
  'Array.from', 'Array.of', 'Array.prototype.flat', 'Array.prototype.flatMap',
  'Object.freeze', 'Promise.prototype.finally', 'Promise.race', 'Promise.allSettled', 'Promise.any',
  'Number.isInteger', 'Math.trunc', 'Math.imul', 'Math.clz32',
  // globals the real 2v29 interpreter does not have (device/test/interp/sim-vs-interp.test.ts)
  'escape', 'unescape', 'encodeURI', 'decodeURI', 'RangeError', 'EvalError', 'URIError', 'AggregateError', 'WebAssembly',
];

/** Espruino's largest ArrayBuffer, in bytes (src/jswrap_arraybuffer.c). */
export const MAX_ARRAYBUFFER_BYTES = 65535;
const TYPED_ARRAY_CONSTRUCTORS = [
  'ArrayBuffer', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array', 'Int32Array',
  'Float32Array', 'Float64Array',
];

/** Values of the sandbox's own realm, so what the simulator hands the firmware is native to it. */
export interface Realm {
  error(message: string): Error;
  parseJSON(text: string): unknown;
  stringify(v: unknown): string | undefined;
  arrayBuffer(bytes: Uint8Array): ArrayBuffer;
  uint8Array(bytes: ArrayLike<number>): Uint8Array;
  array<T>(items: T[]): T[];
  object(): { [k: string]: unknown };
}

export interface SandboxOptions {
  /** Virtual epoch ms for Date (Espruino's Date follows getTime()). */
  dateNow: () => number;
  /** Seed for the sandbox's Math.random (deterministic tests). */
  seed: number;
}

const SETUP = `(function (dateNow, seed, removed, keepMath, keepString, keepStringStatic, keepArray, keepArrayStatic, keepNumberStatic, keepNumber) {
  var g = globalThis;
  var RealDate = Date;
  class SimDate extends RealDate {
    constructor(...a) { if (a.length === 0) super(dateNow()); else super(...a); }
    static now() { return dateNow(); }
  }
  g.Date = SimDate;
  var s = seed >>> 0;
  var imul = Math.imul;
  Math.random = function () {
    s = (s + 0x6D2B79F5) >>> 0;
    var t = s;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  var realm = {
    error: function (m) { return new Error(m); },
    parseJSON: function (t) { return JSON.parse(t); },
    stringify: function (v) { return JSON.stringify(v); },
    arrayBuffer: function (bytes) { var ab = new ArrayBuffer(bytes.length); var u = new Uint8Array(ab); for (var i = 0; i < bytes.length; i++) u[i] = bytes[i]; return ab; },
    uint8Array: function (bytes) { var u = new Uint8Array(bytes.length); for (var i = 0; i < bytes.length; i++) u[i] = bytes[i]; return u; },
    array: function (items) { var r = []; for (var i = 0; i < items.length; i++) r.push(items[i]); return r; },
    object: function () { return {}; }
  };
  // Espruino refuses any ArrayBuffer above 65535 bytes ("Invalid length for ArrayBuffer",
  // src/jswrap_arraybuffer.c), and so every typed array: the same limit here (Proxy and Reflect
  // are captured before they are removed from the firmware's view).
  var P = Proxy, R = Reflect, RangeErr = RangeError;
  ${JSON.stringify(TYPED_ARRAY_CONSTRUCTORS)}.forEach(function (name) {
    var C = g[name];
    g[name] = new P(C, {
      construct: function (target, args, newTarget) {
        var o = R.construct(target, args, newTarget);
        if (o.byteLength > ${MAX_ARRAYBUFFER_BYTES}) {
          throw new RangeErr('Invalid length for ArrayBuffer: ' + name + ' of ' + o.byteLength + ' bytes (Espruino allows ${MAX_ARRAYBUFFER_BYTES})');
        }
        return o;
      }
    });
  });
  removed.forEach(function (path) {
    var parts = path.split('.');
    var obj = g;
    for (var i = 0; i < parts.length - 1; i++) obj = obj[parts[i]];
    delete obj[parts[parts.length - 1]];
  });
  Object.getOwnPropertyNames(Math).forEach(function (k) {
    if (keepMath.indexOf(k) < 0) delete Math[k];
  });
  // Espruino's JSON.stringify writes every character from 0x7F up as \\uXXXX, hex in upper case
  // (control characters too): the sandbox's output follows it byte for byte
  var realStringify = JSON.stringify;
  JSON.stringify = function (v, r, sp) {
    var s = realStringify(v, r, sp);
    if (typeof s !== 'string') return s;
    var out = '';
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c === 92) {
        if (s.charAt(i + 1) === 'u') { out += '\\\\u' + s.substr(i + 2, 4).toUpperCase(); i += 5; }
        else { out += s.substr(i, 2); i++; }
      } else if (c >= 127) {
        var h = '000' + c.toString(16).toUpperCase();
        out += '\\\\u' + h.substring(h.length - 4);
      } else out += s.charAt(i);
    }
    return out;
  };
  // Espruino rounds halves away from zero (Math.round(-0.5) === -1, Math.round(-2.5) === -3)
  var floor = Math.floor;
  Math.round = function (x) { x = +x; return x < 0 ? -floor(-x + 0.5) : floor(x + 0.5); };
  var objectOwn = ['length', 'constructor', 'toString', 'valueOf'];
  Object.getOwnPropertyNames(String.prototype).forEach(function (k) {
    if (keepString.indexOf(k) < 0 && objectOwn.indexOf(k) < 0) delete String.prototype[k];
  });
  Object.getOwnPropertyNames(String).forEach(function (k) {
    if (keepStringStatic.indexOf(k) < 0 && ['length', 'name', 'prototype'].indexOf(k) < 0) delete String[k];
  });
  Object.getOwnPropertyNames(Array.prototype).forEach(function (k) {
    if (keepArray.indexOf(k) < 0 && objectOwn.indexOf(k) < 0) delete Array.prototype[k];
  });
  Object.getOwnPropertyNames(Array).forEach(function (k) {
    if (keepArrayStatic.indexOf(k) < 0 && ['length', 'name', 'prototype'].indexOf(k) < 0) delete Array[k];
  });
  Object.getOwnPropertyNames(Number.prototype).forEach(function (k) {
    if (keepNumber.indexOf(k) < 0 && objectOwn.indexOf(k) < 0) delete Number.prototype[k];
  });
  Object.getOwnPropertyNames(Number).forEach(function (k) {
    if (keepNumberStatic.indexOf(k) < 0 && ['length', 'name', 'prototype'].indexOf(k) < 0) delete Number[k];
  });
  return realm;
})`;

export class Sandbox {
  readonly context: vm.Context;
  readonly realm: Realm;

  constructor(opts: SandboxOptions) {
    this.context = vm.createContext({}, { name: 'espruino', codeGeneration: { strings: true, wasm: false } });
    const setup = vm.runInContext(SETUP, this.context, { filename: 'sim-setup.js' }) as
      (d: () => number, s: number, r: string[], ...keep: string[][]) => Realm;
    // Math, String, Array and Number keep only what Espruino's src/jswrap_math.c, src/jswrap_string.c,
    // src/jswrap_array.c and src/jswrap_number.c declare (no Math.hypot/log10, no "".trimStart/codePointAt/at, no
    // [].at/lastIndexOf/reduceRight/findLast/keys...).
    this.realm = setup(opts.dateNow, opts.seed, REMOVED_IN_SANDBOX, ESPRUINO_MATH.slice(), ESPRUINO_STRING_METHODS.slice(),
      ESPRUINO_STRING_STATICS.slice(), ESPRUINO_ARRAY_METHODS.slice(), ESPRUINO_ARRAY_STATICS.slice(),
      ESPRUINO_NUMBER_STATICS.slice(), ESPRUINO_NUMBER_METHODS.slice());
  }

  /** Installs globals (functions, objects) into the sandbox. */
  install(globals: { [name: string]: unknown }): void {
    for (const k of Object.keys(globals)) {
      Object.defineProperty(this.context, k, { value: globals[k], writable: true, configurable: true, enumerable: false });
    }
  }

  /** Runs program text at top level, as the interpreter runs .bootcde. */
  run(code: string, filename: string): unknown {
    return vm.runInContext(code, this.context, { filename });
  }

  /** Evaluates a console line (e.g. `FG_INFO()`). */
  evaluate(line: string): unknown {
    return vm.runInContext(line, this.context, { filename: 'console' });
  }
}
