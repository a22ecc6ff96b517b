// The simulated chip's environment as the globals see it: the board profile, its devices, the
// variable store, and the hooks for printing, rebooting and warnings. ramCheck is the one place
// a string handed to a native is charged against the variable store.
import type { SimClock } from './clock.js';
import type { SimHttpModule } from './http-module.js';
import type { SimI2C } from './i2c-bus.js';
import type { PinBank } from './pins.js';
import type { Realm } from './sandbox.js';
import type { SimStorage } from './storage-file.js';
import type { SimNeopixel, SimWifi } from './builtin-modules.js';
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

/** A string handed to a native must fit the variable store (see ram-model.ts); throws OUT OF MEMORY. */
export function ramCheck(env: EspruinoEnv, what: string, data: unknown): void {
  if (typeof data !== 'string') return;
  const e = env.ram.take(what, data.length);
  if (e) {
    env.print(e);
    throw env.realm.error(e);
  }
}
