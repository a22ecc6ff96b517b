// The hardware seam: the few things drivers and firmware need from the board, as plain types.
// The Espruino adapter implements it over the interpreter's globals; the simulator implements it
// in Node. Drivers take only the pieces they use (a pin, a byte writer), never the whole Hal.
//
// Built-in modules (Storage, http, Wifi, neopixel, crypto, ...) are reached with a plain
// `require("Name")` call; the build marks them external (device/board/*.json) so the bundler
// leaves those calls for the interpreter to resolve at runtime.

/** A GPIO number (Espruino accepts integers wherever a pin is expected). */
export type PinId = number;

/** A digital output. */
export interface OutputPin {
  write(on: boolean): void;
  /**
   * True when the board refused the pin when it was set up (no such pin): drivers mark themselves
   * failed and never write to it. A write may still throw on a pin that was accepted.
   */
  refused?: boolean;
}

export type Edge = 'rising' | 'falling' | 'both';

export interface WatchOptions {
  edge: Edge;
  /** Debounce in milliseconds; 0 for none (Wiegand needs 0). */
  debounceMs: number;
}

/** Called with the pin state after the edge and the time of the edge (ms, same base as Clock.now). */
export type WatchCallback = (state: boolean, timeMs: number) => void;

/** Stops a watch; calling it twice is harmless. */
export type StopWatch = () => void;

/** A digital input (pull-up/down is chosen when the pin is made, by the adapter). */
export interface InputPin {
  read(): boolean;
  watch(cb: WatchCallback, opts: WatchOptions): StopWatch;
}

/** Writes bytes to an I2C address. Throws when the device does not answer. */
export type I2cWrite = (addr: number, bytes: Uint8Array | number[]) => void;

/** Writes GRB bytes (a multiple of 3) to a WS2812 chain on a pin. May throw. */
export type NeopixelWrite = (pin: PinId, grb: Uint8Array) => void;

/** A key-value flash store (Espruino Storage). Names are at most 28 characters. */
export interface FlashStore {
  /** The file's content, or undefined when there is no such file. */
  read(name: string): string | undefined;
  /** Writes (replaces) a whole file; false when flash refused it (full, bad name). */
  write(name: string, data: string): boolean;
  erase(name: string): void;
  /** Names of files whose name starts with prefix. */
  list(prefix: string): string[];
}

export interface HttpRequestOptions {
  host: string;
  port: number;
  path: string;
  method: string;
  headers: { [name: string]: string };
  body: string;
  /**
   * Optional: gets each chunk of the answer's body as it arrives, with the answer's status, so a
   * large body (a list download) goes straight to flash. Returning true takes the chunk: it is
   * then left out of the response's `body`. Without it the whole body is collected.
   */
  onData?: (chunk: string, status: number) => boolean;
  /**
   * The most bytes of the body collected (what onData does not take). Beyond it nothing more is
   * kept and the response says `overflow`: a misbehaving server cannot fill the unit's RAM.
   */
  maxBody?: number;
}

export interface HttpResponse {
  status: number;
  headers: { [name: string]: string };
  body: string;
  /** Set to maxBody when the body was longer and dropped (body is then empty). */
  overflow?: number;
}

/** Network or protocol failure of one request. */
export interface HttpError {
  code: 'HTTP_ERROR';
  message: string;
}

/**
 * One HTTP request. The callback runs at most once with (error, null) or (null, response).
 * Like the interpreter's http it has NO timeout: the callback may never run, so the caller owns a
 * deadline timer. A refused connection or DNS failure may THROW synchronously: wrap in try/catch.
 */
export type HttpRequest = (
  opts: HttpRequestOptions,
  cb: (err: HttpError | null, res: HttpResponse | null) => void,
) => void;

/** Monotonic milliseconds since an arbitrary start (not wall time). */
export interface Clock {
  now(): number;
}

export type TimerId = number;

export interface Timers {
  setTimeout(cb: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  setInterval(cb: () => void, ms: number): TimerId;
  clearInterval(id: TimerId): void;
}

/** Hardware watchdog: reboots the chip when not kicked within the enabled period. */
export interface Watchdog {
  enable(seconds: number): void;
  kick(): void;
}

export type Pull = 'up' | 'down' | 'none';

/** Everything the unit needs from a board. Missing functions are null (e.g. no I2C bus). */
export interface Hal {
  output(pin: PinId): OutputPin;
  input(pin: PinId, pull: Pull): InputPin;
  /** An I2C writer on the given pins, or null when the board has no I2C. */
  i2c(sda: PinId, scl: PinId, bitrate: number): I2cWrite | null;
  neopixel: NeopixelWrite | null;
  store: FlashStore;
  http: HttpRequest | null;
  clock: Clock;
  timers: Timers;
  watchdog: Watchdog;
}
