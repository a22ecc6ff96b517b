// The Espruino interpreter's globals and built-in modules that the firmware uses, declared once.
// Only names Node does not have live here, so this file is part of both type-checks of device
// code: the chip's (tsconfig.chip.json: ES5 library + espruino-chip.d.ts) and Node's (the
// simulator and tests, which import the firmware's sources). Facts: docs/on-chip.md.

/** A pin: a GPIO number (Espruino also accepts its D0..D39 objects; we pass numbers). */
type EspruinoPin = number;

/** The `E` object: interpreter services. */
interface EspruinoE {
  /** Hardware/task watchdog: reboots unless kicked within `timeout` seconds (isAuto: kicked by the idle loop). */
  enableWatchdog(timeout: number, isAuto?: boolean): void;
  kickWatchdog(): void;
  /** Hard reboot of the chip. */
  reboot(): void;
  /** Raw on-chip temperature (uncalibrated on the ESP32). */
  getTemperature(): number;
  /** Memory and stack trouble flags since the last call. */
  getErrorFlags(): string[];
}

interface EspruinoI2C {
  setup(options: { sda: EspruinoPin; scl: EspruinoPin; bitrate?: number }): void;
  /** Throws when the device does not acknowledge. */
  writeTo(address: number, data: Uint8Array | number[] | number | string): void;
  readFrom(address: number, quantity: number): Uint8Array;
}

interface EspruinoWatchEvent {
  /** Pin state after the edge. */
  state: boolean;
  /** Time of the edge, seconds (getTime()'s base). */
  time: number;
  lastTime?: number;
}

interface EspruinoWatchOptions {
  repeat?: boolean;
  edge?: 'rising' | 'falling' | 'both';
  /** Milliseconds; 0 for none. */
  debounce?: number;
}

/** `require("Storage")`: the flash file system (names at most 28 characters). */
interface EspruinoStorage {
  /** The file's content as a memory-mapped string, or undefined when there is none. */
  read(name: string, offset?: number, length?: number): string | undefined;
  /** Writes a file; with offset and size, fills part of a pre-sized file (cannot overwrite written bytes). */
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string): string[];
  readJSON(name: string, noExceptions?: boolean): unknown;
  writeJSON(name: string, data: unknown): boolean;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  /** A file written and read in pieces (StorageFile); not the same namespace as read/write. */
  open(name: string, mode: 'r' | 'w' | 'a'): EspruinoStorageFile;
  compact(): void;
  getFree(): number;
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number };
}

interface EspruinoStorageFile {
  /** Up to `length` characters, or undefined at the end. */
  read(length: number): string | undefined;
  readLine(): string | undefined;
  write(data: string): void;
  getLength(): number;
  erase(): void;
}

interface EspruinoHttpResponse {
  /** A string on the interpreter ("200"). */
  statusCode: string | number;
  headers: { [name: string]: string };
  on(event: 'data', cb: (chunk: string) => void): void;
  on(event: 'close', cb: () => void): void;
  on(event: 'error', cb: (err: { message?: string } | string) => void): void;
}

interface EspruinoHttpRequest {
  on(event: 'error', cb: (err: { message?: string } | string) => void): void;
  write(data: string): void;
  end(data?: string): void;
}

/** `require("http")`: no timeout and no abort; a refused connect or DNS failure throws. */
interface EspruinoHttp {
  request(
    options: { host: string; port: number; path: string; method: string; headers: { [name: string]: string } },
    cb: (res: EspruinoHttpResponse) => void,
  ): EspruinoHttpRequest;
}

/** `require("crypto")` on the ESP32 build. */
interface EspruinoCrypto {
  SHA1(data: string): ArrayBuffer;
  SHA256(data: string): ArrayBuffer;
}

/** `require("Wifi")` (absent on the Linux build of the interpreter). */
interface EspruinoWifi {
  connect(ssid: string, options: { password?: string }, cb: (err: string | null) => void): void;
  disconnect(cb?: () => void): void;
  getDetails(): { status?: string; ssid?: string; rssi?: number } | undefined;
  getStatus(): { station?: string; ap?: string };
  getIP(): { ip?: string; netmask?: string; gw?: string; mac?: string };
  setSNTP(server: string, timezone: number): void;
  on(event: 'connected' | 'disconnected', cb: (details: unknown) => void): void;
}

/** `require("neopixel")`: WS2812 data, GRB byte order, a multiple of 3 bytes. */
interface EspruinoNeopixel {
  write(pin: EspruinoPin, data: Uint8Array | number[]): void;
}

/** `require("ESP32")`. */
interface EspruinoEsp32 {
  reboot(): void;
}

/** The built-in modules by name: what `require` may load on the chip (see device/board/*.json). */
interface EspruinoModules {
  Storage: EspruinoStorage;
  http: EspruinoHttp;
  crypto: EspruinoCrypto;
  Wifi: EspruinoWifi;
  neopixel: EspruinoNeopixel;
  ESP32: EspruinoEsp32;
}

/** Espruino's `process` (only these members). */
interface EspruinoProcess {
  /** Variables ("JsVars", 14 bytes each on the ESP32); `gc` false skips the garbage collection first. */
  memory(gc?: boolean): { free: number; usage: number; total: number; history: number; blocksize?: number };
  env: { VERSION: string; BOARD: string; [key: string]: unknown };
  version: string;
}

declare const E: EspruinoE;
declare const I2C1: EspruinoI2C;
declare const I2C2: EspruinoI2C;
declare function digitalWrite(pin: EspruinoPin, value: number | boolean): void;
declare function digitalRead(pin: EspruinoPin): number;
declare function pinMode(pin: EspruinoPin, mode: 'input' | 'input_pullup' | 'input_pulldown' | 'output' | 'opendrain' | 'auto'): void;
/** Returns the watch id, or undefined when the watch could not be set (never pass that to clearWatch). */
declare function setWatch(cb: (e: EspruinoWatchEvent) => void, pin: EspruinoPin, options: EspruinoWatchOptions): number | undefined;
/** With no id it removes EVERY watch. */
declare function clearWatch(id: number): void;
/** Seconds since boot, or epoch seconds once the clock is set. */
declare function getTime(): number;
declare function setTime(seconds: number): void;
/** Restarts the interpreter and runs the saved program again. */
declare function load(): void;
/** Set by the firmware build ("<device version>+<git sha>"); undefined in unbuilt sources. */
declare const FG_BUILD_VERSION: string | undefined;
