// The simulated interpreter's `E`, `process` and chip-level globals (getSerial, reset/load/save,
// the ESP32 object on that profile): what the firmware reads about the chip and how it restarts.
import { ramCheck, type EspruinoEnv } from './espruino-env.js';

type Globals = { [name: string]: unknown };

function watchdogMethods(env: EspruinoEnv) {
  const { clock, realm } = env;
  return {
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
  };
}

function byteMethods(env: EspruinoEnv) {
  const { realm } = env;
  return {
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
  };
}

function eventMethods() {
  const eListeners: { [ev: string]: Array<(...a: unknown[]) => void> } = {};
  return {
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
}

/** The `E` object: watchdog, reboot, error flags, byte conversions and E.on/emit. */
export function eObject(env: EspruinoEnv): Globals {
  const { realm } = env;
  return {
    ...watchdogMethods(env),
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
    ...byteMethods(env),
    ...eventMethods(),
  };
}

/** The `process` object: version, board, modules and process.memory() from the variable store. */
export function processObject(env: EspruinoEnv): Globals {
  const { realm } = env;
  return {
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
}

/** getSerial, the sleep/busy indicators, reset/load/save, and ESP32 where the profile has it. */
export function addChipGlobals(env: EspruinoEnv, g: Globals): void {
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
}
