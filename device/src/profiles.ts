// Board profiles. `esp32`: the reference unit, pins live, Wi-Fi joined and kept up. `host`:
// Espruino's own Linux build for debugging the same firmware.js on a PC: no Wifi module (the
// network is assumed up) and inert pins.
import type { Hal, InputPin, OutputPin, TimerId, Timers } from './hal.js';

/** The unit's network link as the firmware sees it. */
export interface NetworkLink {
  start(): void;
  stop(): void;
  up(): boolean;
  /** RSSI in dB, or null when unknown. */
  signalDb(): number | null;
}

/** The subset of Espruino's `Wifi` module the link uses. */
export interface WifiModule {
  connect(ssid: string, opts: { password: string }, cb: (err: unknown) => void): void;
  getDetails(): { status?: string; rssi?: number } | undefined;
}

export const WIFI_RETRY_MS = 30000;

const INERT_OUT: OutputPin = {
  write: () => {},
};

const INERT_IN: InputPin = {
  read: () => false,
  watch: () => () => {},
};

/** The host profile's board: everything but pins, I2C and LEDs passes through. */
export function inertPins(hal: Hal): Hal {
  return {
    output: () => INERT_OUT,
    input: () => INERT_IN,
    i2c: () => null,
    neopixel: null,
    store: hal.store,
    http: hal.http,
    clock: hal.clock,
    timers: hal.timers,
    watchdog: hal.watchdog,
  };
}

/** A network that is simply there (host profile). */
export function hostLink(): NetworkLink {
  return {
    start: () => {},
    stop: () => {},
    up: () => true,
    signalDb: () => null,
  };
}

/** Joins the configured Wi-Fi and retries every 30 s while it is not connected. */
export function wifiLink(wifi: WifiModule, ssid: string, password: string, timers: Timers, log: (line: string) => void): NetworkLink {
  let timer: TimerId | null = null;
  let connecting = false;
  let connected = false;
  let waits = 0;
  function details(): { status?: string; rssi?: number } {
    try {
      return wifi.getDetails() || {};
    } catch (e) {
      return {};
    }
  }
  function join(): void {
    if (connecting) {
      // a connect whose callback never came: try again after a few periods
      waits++;
      if (waits < 3) return;
    }
    waits = 0;
    connected = details().status === 'connected';
    if (connected) return;
    connecting = true;
    try {
      wifi.connect(ssid, { password: password }, (err) => {
        connecting = false;
        connected = !err;
        if (err) log('fobgate: wifi: could not join "' + ssid + '"');
      });
    } catch (e) {
      connecting = false;
      log('fobgate: wifi: connect failed');
    }
  }
  return {
    start: () => {
      join();
      if (timer === null) timer = timers.setInterval(join, WIFI_RETRY_MS);
    },
    stop: () => {
      if (timer !== null) timers.clearInterval(timer);
      timer = null;
    },
    up: () => {
      const d = details();
      if (d.status !== undefined) connected = d.status === 'connected';
      return connected;
    },
    signalDb: () => {
      const r = details().rssi;
      return typeof r === 'number' ? Math.round(r) : null;
    },
  };
}
