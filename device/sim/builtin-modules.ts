// The small built-in modules of the ESP32 firmware, simulated: `Wifi` (station connect, status,
// events; a switch to drop the network), `neopixel` (records GRB frames) and `crypto` (SHA digests
// as ArrayBuffers, from node:crypto).
import { createHash } from 'node:crypto';
import type { SimClock } from './clock.js';
import { pinNumber } from './pins.js';
import type { Realm } from './sandbox.js';
import { toBytes } from './storage-file.js';

type Listener = (...a: unknown[]) => void;

export interface WifiRecord {
  ssid: string | null;
  passwordGiven: boolean;
  connects: number;
}

/** The Wi-Fi station: connect() succeeds after a short virtual delay while the access point is up. */
export class SimWifi {
  status: 'off' | 'connecting' | 'connected' | 'disconnected' = 'off';
  /** Whether the access point is reachable (tests switch it to simulate a Wi-Fi outage). */
  apUp = true;
  readonly record: WifiRecord = { ssid: null, passwordGiven: false, connects: 0 };
  sntp: { server: string; tz: number } | null = null;
  private listeners: { [ev: string]: Listener[] } = {};
  private timer: number | null = null;

  constructor(private clock: SimClock, private realm: () => Realm, readonly connectDelayMs = 300) {}

  /** Reboot: the radio is off again. */
  reset(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.status = 'off';
    this.listeners = {};
  }

  private emit(ev: string, arg: unknown): void {
    for (const fn of (this.listeners[ev] || []).slice()) this.clock.post(() => fn(arg));
  }

  /** Tests: the access point goes away or comes back. */
  setAccessPoint(up: boolean): void {
    this.apUp = up;
    if (!up && this.status === 'connected') {
      this.status = 'disconnected';
      const d = this.realm().object();
      d.ssid = this.record.ssid;
      d.reason = '201';
      this.emit('disconnected', d);
    }
  }

  get online(): boolean {
    return this.status === 'connected' && this.apUp;
  }

  module(): { [k: string]: unknown } {
    const self = this;
    return {
      connect(ssid: unknown, options: unknown, cb: unknown): void {
        self.record.ssid = String(ssid);
        self.record.passwordGiven = !!(options && typeof options === 'object' && (options as { password?: unknown }).password);
        self.record.connects++;
        self.status = 'connecting';
        if (self.timer !== null) self.clock.clearTimer(self.timer);
        self.timer = self.clock.setTimer(() => {
          self.timer = null;
          if (!self.apUp) {
            self.status = 'disconnected';
            if (typeof cb === 'function') (cb as Listener)('auth/ap not found');
            return;
          }
          self.status = 'connected';
          if (typeof cb === 'function') (cb as Listener)(null);
          const d = self.realm().object();
          d.ssid = self.record.ssid;
          self.emit('connected', d);
        }, self.connectDelayMs, false, 'env');
      },
      disconnect(cb: unknown): void {
        self.status = 'disconnected';
        if (typeof cb === 'function') self.clock.post(() => (cb as Listener)());
      },
      getStatus(cb: unknown): unknown {
        const s = self.realm().object();
        s.station = self.online ? 'connected' : self.status === 'connecting' ? 'connecting' : 'disconnected';
        s.ap = 'disabled';
        s.mode = 'STA';
        s.powersave = 'none';
        if (typeof cb === 'function') (cb as Listener)(s);
        return s;
      },
      getIP(cb: unknown): unknown {
        const s = self.realm().object();
        s.ip = self.online ? '192.168.4.77' : '0.0.0.0';
        s.netmask = '255.255.255.0';
        s.gw = '192.168.4.1';
        s.mac = '30:ae:a4:00:00:01';
        if (typeof cb === 'function') (cb as Listener)(null, s);
        return s;
      },
      // As the ESP32 port answers (libs/network/esp32/jswrap_esp32_network.c): ssid, password,
      // status and authMode, and NO rssi, so the firmware cannot report a signal strength there.
      getDetails(cb: unknown): unknown {
        const s = self.realm().object();
        s.status = self.online ? 'connected' : 'off';
        s.ssid = self.record.ssid;
        if (typeof cb === 'function') (cb as Listener)(s);
        return s;
      },
      setSNTP(server: unknown, tz: unknown): void {
        self.sntp = { server: String(server), tz: Number(tz) || 0 };
      },
      setHostname(): void {},
      stopAP(cb: unknown): void {
        if (typeof cb === 'function') self.clock.post(() => (cb as Listener)());
      },
      save(): void {},
      on(ev: unknown, fn: unknown): void {
        if (typeof fn !== 'function') return;
        const k = String(ev);
        (self.listeners[k] = self.listeners[k] || []).push(fn as Listener);
      },
      removeAllListeners(ev: unknown): void {
        if (ev === undefined) self.listeners = {};
        else delete self.listeners[String(ev)];
      },
    };
  }
}

export interface NeopixelFrame {
  pin: number;
  grb: number[];
  t: number;
}

/** require("neopixel"): records what was sent per pin. */
export class SimNeopixel {
  readonly frames: NeopixelFrame[] = [];
  constructor(private clock: SimClock, private realm: () => Realm) {}

  /** The last GRB bytes sent on a pin, or null. */
  last(pin: number): number[] | null {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i].pin === pin) return this.frames[i].grb;
    return null;
  }

  module(): { [k: string]: unknown } {
    return {
      write: (pin: unknown, data: unknown): void => {
        const n = pinNumber(pin);
        if (n < 0) throw this.realm().error('neopixel.write: invalid pin ' + String(pin));
        const grb = Array.from(toBytes(data));
        if (grb.length % 3 !== 0) throw this.realm().error('neopixel.write: data length ' + grb.length + ' is not a multiple of 3');
        this.frames.push({ pin: n, grb, t: this.clock.now });
        if (this.frames.length > 5000) this.frames.splice(0, 2500);
      },
    };
  }
}

/**
 * The most bytes crypto.SHA* can take from a string held in RAM on the ESP32: the interpreter
 * copies a non-flat input onto the stack (JSV_GET_AS_CHAR_ARRAY in src/jsvar.h, used by
 * libs/crypto/jswrap_crypto.c) and refuses when length + 256 exceeds the free stack, which is below
 * the task's 25000 bytes (ESP_STACK_SIZE in boards/ESP32.py). A file read from Storage is
 * memory-mapped and hashed in place, so it is exempt.
 */
export const MAX_RAM_HASH_INPUT = 25000 - 256;

/** require("crypto"): SHA digests returning ArrayBuffers, as the ESP32 build does. */
export function cryptoModule(
  realm: () => Realm, inFlash: (s: string) => boolean = () => false, ram: (what: string, data: unknown) => void = () => {},
): { [k: string]: unknown } {
  const digest = (alg: string) => (data: unknown): ArrayBuffer => {
    if (typeof data === 'string' && data.length > 4096 && !inFlash(data)) ram('crypto.' + alg.toUpperCase(), data);
    if (typeof data === 'string' && data.length > MAX_RAM_HASH_INPUT && !inFlash(data)) {
      throw realm().error('Not enough stack memory to decode data (' + alg.toUpperCase() + ' of a ' + data.length + '-byte string held in RAM)');
    }
    const h = createHash(alg).update(Buffer.from(toBytes(data))).digest();
    return realm().arrayBuffer(new Uint8Array(h));
  };
  return { SHA1: digest('sha1'), SHA256: digest('sha256'), SHA512: digest('sha512') };
}
