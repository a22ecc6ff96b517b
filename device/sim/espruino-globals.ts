// The Espruino globals the firmware uses, implemented over the simulator's devices: pins D0..D39
// and Pin(), pinMode/digitalRead/digitalWrite, setWatch/clearWatch, I2C1/I2C2, timers, getTime/
// setTime, E, process, print/console, atob/btoa, require() of the board's built-in modules, and
// reset/load/ESP32 where a board has them.
import { PIN_COUNT, pinNumber, type PinBank } from './pins.js';
import type { Realm } from './sandbox.js';
import { ramCheck, type EspruinoEnv } from './espruino-env.js';
import { addChipGlobals, eObject, processObject } from './espruino-e-object.js';
import { builtinRequire } from './builtin-require.js';

export { PROFILE_MODULES, ramCheck, type EspruinoEnv, type Profile, type WatchdogState } from './espruino-env.js';

type Globals = { [name: string]: unknown };

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

function addPinGlobals(env: EspruinoEnv, g: Globals): void {
  const { pins, realm } = env;
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
}

function addTimerGlobals(env: EspruinoEnv, g: Globals): void {
  const { clock, realm } = env;
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
}

/** getTime/setTime, print/console and atob/btoa. */
function addTimeAndTextGlobals(env: EspruinoEnv, g: Globals): void {
  const { clock, realm } = env;
  g.getTime = (): number => {
    const sinceBoot = (clock.now - env.bootAt) / 1000;
    return env.timeOffsetS === null ? sinceBoot : sinceBoot + env.timeOffsetS;
  };
  g.setTime = (t: unknown) => {
    const v = Number(t);
    if (!isFinite(v)) throw realm.error('setTime: expecting a number of seconds');
    env.timeOffsetS = v - (clock.now - env.bootAt) / 1000;
  };
  const print = (...a: unknown[]) => env.print(formatArgs(a));
  g.print = print;
  g.console = { log: print, info: print, warn: print, error: print, debug: print };
  g.trace = () => {};
  g.btoa = (s: unknown) => {
    ramCheck(env, 'btoa', s);
    return Buffer.from(base64Check(realm, s, 'btoa'), 'latin1').toString('base64');
  };
  g.atob = (s: unknown) => {
    ramCheck(env, 'atob', s);
    return Buffer.from(base64Check(realm, s, 'atob'), 'base64').toString('latin1');
  };
}

/** Every global the firmware may use, for one boot of the simulated chip. */
export function espruinoGlobals(env: EspruinoEnv): Globals {
  const g: Globals = {};
  addPinGlobals(env, g);
  addTimerGlobals(env, g);
  addTimeAndTextGlobals(env, g);
  g.E = eObject(env);
  g.process = processObject(env);
  addChipGlobals(env, g);
  g.require = builtinRequire(env, g.ESP32);
  return g;
}
