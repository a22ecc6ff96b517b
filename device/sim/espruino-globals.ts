// The Espruino globals the firmware uses, implemented over the simulator's devices: pins D0..D39
// and Pin(), pinMode/digitalRead/digitalWrite, setWatch/clearWatch, I2C1/I2C2, timers, getTime/
// setTime, E, process, print/console, atob/btoa, require() of the board's built-in modules, and
// reset/load/ESP32 where a board has them.
import type { SimClock } from './clock.js';
import type { SimHttpModule } from './http-module.js';
import type { SimI2C } from './i2c-bus.js';
import { PIN_COUNT, pinNumber, type PinBank } from './pins.js';
import type { Realm } from './sandbox.js';
import type { SimStorage } from './storage-file.js';
import { cryptoModule, type SimNeopixel, type SimWifi } from './builtin-modules.js';
import type { RamModel } from './ram-model.js';

export type Profile = 'esp32' | 'host';

/** Built-in modules per board profile (what `require` resolves without fetching anything). */
export const PROFILE_MODULES: { [p in Profile]: string[] } = {
  esp32: ['Storage', 'http', 'Wifi', 'neopixel', 'crypto', 'net', 'ESP32'],
  host: ['Storage', 'http', 'crypto', 'net'],
};

export interface WatchdogState {
  enabled: boolean;
  timeoutS: number;
  auto: boolean;
  kicks: number;
  lastKick: number;
}

export interface EspruinoEnv {
  profile: Profile;
  clock: SimClock;
  pins: PinBank;
  i2c: { I2C1: SimI2C; I2C2: SimI2C };
  storage: SimStorage;
  http: SimHttpModule;
  wifi: SimWifi;
  neopixel: SimNeopixel;
  realm: Realm;
  modules: string[];
  /** Virtual ms when this boot started. */
  bootAt: number;
  /** getTime() offset (seconds) once setTime was called, else null (seconds since boot). */
  timeOffsetS: number | null;
  watchdog: WatchdogState;
  /** The variable store: process.memory() and the size of what natives may take. */
  ram: RamModel;
  temperature: number;
  print(line: string): void;
  /** Restart the chip (E.reboot, ESP32.reboot, a watchdog bite): runs after the current callback. */
  reboot(reason: string): void;
  /** reset(): clear the program from RAM; load(): run .bootcde again. */
  softReset(runBootCode: boolean): void;
  hwRand(): number;
  warn(message: string): void;
}

/** Espruino's string form of console arguments (close enough for logs). */
export function formatArgs(args: unknown[]): string {
  return args.map((a) => {
    if (typeof a === 'string') return a;
    if (a === undefined) return 'undefined';
    if (typeof a === 'function') return 'function () { ... }';
    if (a && typeof a === 'object') {
      if (typeof (a as { message?: unknown }).message === 'string' && !Array.isArray(a)) return String((a as { message: string }).message);
      try {
        return JSON.stringify(a);
      } catch {
        return String(a);
      }
    }
    return String(a);
  }).join(' ');
}

/** A pin object (D16): usable wherever a pin number is. */
export class SimPin {
  constructor(private n: number, private bank: PinBank) {}
  valueOf(): number {
    return this.n;
  }
  toString(): string {
    return 'D' + this.n;
  }
  toJSON(): string {
    return 'D' + this.n;
  }
  read(): boolean {
    return this.bank.digitalRead(this.n) === 1;
  }
  write(v: unknown): void {
    this.bank.digitalWrite(this.n, v);
  }
  set(): void {
    this.bank.digitalWrite(this.n, 1);
  }
  reset(): void {
    this.bank.digitalWrite(this.n, 0);
  }
  toggle(): boolean {
    const v = this.bank.level(this.n) ? 0 : 1;
    this.bank.digitalWrite(this.n, v);
    return v === 1;
  }
  mode(m: unknown): void {
    this.bank.pinMode(this.n, m);
  }
  getMode(): string {
    return this.bank.getPinMode(this.n);
  }
  getInfo(): { port: string; num: number; channels: unknown[] } {
    return { port: 'D', num: this.n, channels: [] };
  }
}

function base64Check(realm: Realm, s: unknown, what: string): string {
  if (typeof s !== 'string') throw realm.error(what + ': expecting a string');
  return s;
}

/** A string handed to a native must fit the variable store (see ram-model.ts); throws OUT OF MEMORY. */
export function ramCheck(env: EspruinoEnv, what: string, data: unknown): void {
  if (typeof data !== 'string') return;
  const e = env.ram.take(what, data.length);
  if (e) {
    env.print(e);
    throw env.realm.error(e);
  }
}

export function espruinoGlobals(env: EspruinoEnv): { [name: string]: unknown } {
  const { clock, pins, realm } = env;
  const g: { [name: string]: unknown } = {};
  const pinObjects: SimPin[] = [];
  for (let i = 0; i < PIN_COUNT; i++) {
    pinObjects.push(new SimPin(i, pins));
    g['D' + i] = pinObjects[i];
  }
  g.Pin = (v: unknown) => {
    const n = pinNumber(v);
    if (n < 0) throw realm.error('Pin: invalid pin ' + String(v));
    return pinObjects[n];
  };
  g.pinMode = (p: unknown, m: unknown, auto: unknown) => pins.pinMode(p, m, auto);
  g.getPinMode = (p: unknown) => pins.getPinMode(p);
  g.digitalWrite = (p: unknown, v: unknown) => pins.digitalWrite(p, v);
  g.digitalRead = (p: unknown) => pins.digitalRead(p);
  g.digitalPulse = (p: unknown, v: unknown) => pins.digitalWrite(p, v ? 0 : 1);
  g.analogRead = () => 0;
  g.setWatch = (fn: unknown, p: unknown, opts: unknown) => pins.setWatch(fn, p, opts);
  // As Espruino 2v29 (checked in the real interpreter by device/test/interp/sim-vs-interp.test.ts):
  // clearWatch() removes EVERY watch, clearWatch(undefined) throws, an unknown id throws.
  g.clearWatch = (...a: unknown[]) => {
    if (a.length > 0 && a[0] === undefined) throw realm.error('clearWatch(undefined) not allowed. Use clearWatch() instead');
    pins.clearWatch(a[0]);
  };
  g.I2C1 = env.i2c.I2C1;
  g.I2C2 = env.i2c.I2C2;

  // ---- timers ----
  const makeTimer = (repeat: boolean) => (fn: unknown, ms: unknown, ...args: unknown[]): number => {
    if (typeof fn !== 'function') throw realm.error((repeat ? 'setInterval' : 'setTimeout') + ': expecting a function');
    return clock.setTimer(() => (fn as (...a: unknown[]) => void)(...args), Number(ms) || 0, repeat, 'firmware');
  };
  // As Espruino 2v29's clearTimeout/clearInterval (checked in the real interpreter): no argument
  // stops ALL timers; an explicit undefined throws; an id that names no live timer (fired,
  // cleared, null, unknown) does nothing; timeouts and intervals share one id space.
  const clearTimer = (name: string) => (...a: unknown[]): void => {
    if (a.length === 0) {
      env.warn(name + '() stops ALL timers');
      clock.clearAll('firmware');
      return;
    }
    const id = a[0];
    if (id === undefined) throw realm.error(name + '(undefined) not allowed. Use ' + name + '() instead');
    const basic = typeof id === 'number' || typeof id === 'string' || typeof id === 'boolean';
    if (basic) clock.clearTimer(Number(id));
  };
  g.setTimeout = makeTimer(false);
  g.setInterval = makeTimer(true);
  g.clearTimeout = clearTimer('clearTimeout');
  g.clearInterval = clearTimer('clearInterval');
  g.changeInterval = (id: unknown, ms: unknown) => {
    if (!clock.changeInterval(Number(id), Number(ms))) throw realm.error('changeInterval: unknown interval ' + String(id));
  };

  // ---- time ----
  const getTime = (): number => {
    const sinceBoot = (clock.now - env.bootAt) / 1000;
    return env.timeOffsetS === null ? sinceBoot : sinceBoot + env.timeOffsetS;
  };
  g.getTime = getTime;
  g.setTime = (t: unknown) => {
    const v = Number(t);
    if (!isFinite(v)) throw realm.error('setTime: expecting a number of seconds');
    env.timeOffsetS = v - (clock.now - env.bootAt) / 1000;
  };

  // ---- console ----
  const print = (...a: unknown[]) => env.print(formatArgs(a));
  g.print = print;
  g.console = { log: print, info: print, warn: print, error: print, debug: print };
  g.trace = () => {};

  // ---- base64 ----
  g.btoa = (s: unknown) => {
    ramCheck(env, 'btoa', s);
    return Buffer.from(base64Check(realm, s, 'btoa'), 'latin1').toString('base64');
  };
  g.atob = (s: unknown) => {
    ramCheck(env, 'atob', s);
    return Buffer.from(base64Check(realm, s, 'atob'), 'base64').toString('latin1');
  };

  // ---- E ----
  const eListeners: { [ev: string]: Array<(...a: unknown[]) => void> } = {};
  g.E = {
    enableWatchdog(timeout: unknown, isAuto: unknown): void {
      const t = Number(timeout);
      if (!(t > 0)) throw realm.error('E.enableWatchdog: timeout must be > 0 seconds');
      env.watchdog.enabled = true;
      env.watchdog.timeoutS = t;
      env.watchdog.auto = isAuto === undefined ? true : !!isAuto;
      env.watchdog.lastKick = clock.now;
    },
    kickWatchdog(): void {
      env.watchdog.kicks++;
      env.watchdog.lastKick = clock.now;
    },
    getTemperature: () => env.temperature,
    reboot: () => env.reboot('E.reboot'),
    hwRand: () => env.hwRand(),
    getErrorFlags: () => {
      const flags = env.ram.flagged ? ['MEMORY'] : [];
      env.ram.flagged = false;
      return realm.array(flags);
    },
    getAnalogVRef: () => 3.3,
    setConsole: () => {},
    defrag: () => {},
    getSizeOf: () => 1,
    toString: (...a: unknown[]) => {
      let s = '';
      for (const x of a) s += typeof x === 'string' ? x : typeof x === 'number' ? String.fromCharCode(x & 0xff) : String.fromCharCode(...Array.from(x as ArrayLike<number>, (v) => Number(v) & 0xff));
      ramCheck(env, 'E.toString', s);
      return s;
    },
    toUint8Array: (...a: unknown[]) => {
      const out: number[] = [];
      for (const x of a) {
        if (typeof x === 'string') for (let i = 0; i < x.length; i++) out.push(x.charCodeAt(i) & 0xff);
        else if (typeof x === 'number') out.push(x & 0xff);
        else if (x && typeof (x as ArrayLike<number>).length === 'number') for (let i = 0; i < (x as ArrayLike<number>).length; i++) out.push(Number((x as ArrayLike<number>)[i]) & 0xff);
      }
      return realm.uint8Array(out);
    },
    toArrayBuffer: (s: unknown) => {
      const str = String(s);
      const b = new Uint8Array(str.length);
      for (let i = 0; i < str.length; i++) b[i] = str.charCodeAt(i) & 0xff;
      return realm.arrayBuffer(b);
    },
    on(ev: unknown, fn: unknown): void {
      if (typeof fn !== 'function') return;
      const k = String(ev);
      (eListeners[k] = eListeners[k] || []).push(fn as (...a: unknown[]) => void);
    },
    emit(ev: unknown, ...a: unknown[]): void {
      for (const fn of (eListeners[String(ev)] || []).slice()) fn(...a);
    },
    removeAllListeners(ev: unknown): void {
      if (ev === undefined) for (const k of Object.keys(eListeners)) delete eListeners[k];
      else delete eListeners[String(ev)];
    },
  };

  // ---- process ----
  g.process = {
    version: '2v29',
    env: { VERSION: '2v29', BOARD: env.profile === 'esp32' ? 'ESP32' : 'LINUX', MODULES: env.modules.join(',') },
    memory: () => {
      const m = realm.object();
      m.free = env.ram.free();
      m.usage = env.ram.total - env.ram.free();
      m.total = env.ram.total;
      m.history = 0;
      m.gc = 0;
      m.gctime = 0;
      m.blocksize = 14;
      return m;
    },
    on: () => {},
  };
  g.getSerial = () => '30aea4-000001';
  g.setDeepSleep = () => {};
  g.setSleepIndicator = () => {};
  g.setBusyIndicator = () => {};
  g.reset = () => env.softReset(false);
  g.load = () => env.softReset(true);
  g.save = () => env.warn('save() called: the program is already in Storage .bootcde');
  g.global = undefined; // set by the unit to the sandbox's global object

  if (env.profile === 'esp32') {
    g.ESP32 = {
      reboot: () => env.reboot('ESP32.reboot'),
      getState: () => ({ sdkVersion: 'v4.4.8', cpuFrequency: 240, freeHeap: 60000, maxItemHeap: 30000 }),
      enableBLE: () => {},
      enableWifi: () => {},
      setAtten: () => {},
      deepSleep: () => env.warn('ESP32.deepSleep is not simulated'),
    };
  }

  // ---- require ----
  const cache: { [name: string]: unknown } = {};
  g.require = (name: unknown) => {
    const n = String(name);
    if (env.modules.indexOf(n) < 0) throw realm.error('Module ' + n + ' not found');
    if (cache[n]) return cache[n];
    let m: unknown;
    switch (n) {
      case 'Storage': {
        const st = env.storage;
        m = {
          write: (name: unknown, data: unknown, offset?: unknown, size?: unknown) => {
            ramCheck(env, 'Storage.write', data);
            return st.write(name, data, offset, size);
          },
          read: st.read.bind(st), readJSON: st.readJSON.bind(st), writeJSON: st.writeJSON.bind(st),
          readArrayBuffer: st.readArrayBuffer.bind(st), erase: st.erase.bind(st), list: st.list.bind(st), compact: st.compact.bind(st),
          getFree: st.getFree.bind(st), getStats: st.getStats.bind(st), open: st.open.bind(st), eraseAll: st.eraseAll.bind(st),
        };
        break;
      }
      case 'http':
        env.http.ramCheck = (what, data) => ramCheck(env, what, data);
        m = { request: env.http.request.bind(env.http), get: (o: unknown, cb: unknown) => { const r = env.http.request(o, cb); r.end(); return r; } };
        break;
      case 'Wifi':
        m = env.wifi.module();
        break;
      case 'neopixel':
        m = env.neopixel.module();
        break;
      case 'crypto':
        m = cryptoModule(() => realm, (s) => env.storage.names().some((f) => env.storage.text(f) === s), (what, data) => ramCheck(env, what, data));
        break;
      case 'ESP32':
        m = g.ESP32;
        break;
      default:
        throw realm.error('Module ' + n + ' is not simulated');
    }
    cache[n] = m;
    return m;
  };
  return g;
}
