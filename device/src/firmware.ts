// Starting the firmware on a platform: read and validate the board config, pick the profile,
// build and start the unit. With no config or a bad one the unit switches its relays off, shows
// `Not configured` and waits for a flash (checking again every few seconds); it never crashes.
import { readBoardConfig, CONFIG_FILE, DEFAULT_PINS, DEFAULT_I2C_ADDRESS } from './board-config.js';
import type { BoardConfig } from './board-config.js';
import type { Hal, TimerId } from './hal.js';
import type { Platform } from './hal-espruino.js';
import { hostLink, inertPins, wifiLink } from './profiles.js';
import { Unit } from './unit-lifecycle.js';
import type { UnitOptions } from './unit-context.js';
import { Relay } from './drivers/relay.js';
import { Hd44780 } from './drivers/hd44780.js';
import { connectPcf8574 } from './drivers/pcf8574.js';

export const NOT_CONFIGURED = 'Not configured';
export const CONFIG_RETRY_MS = 5000;

export interface Firmware {
  /** The running unit, or null while not configured. */
  unit(): Unit | null;
  /** Why the unit is not running ('' when it is). */
  problem(): string;
  stop(): void;
}

/** Unit options for a valid config on this platform (profile applied). */
export function unitOptions(p: Platform, cfg: BoardConfig, extra?: Partial<UnitOptions>): UnitOptions {
  const host = cfg.profile === 'host';
  const hal: Hal = host ? inertPins(p.hal) : p.hal;
  const problems = p.problems.slice();
  let link = hostLink();
  if (!host && cfg.wifi) {
    if (p.wifi) link = wifiLink(p.wifi, cfg.wifi.ssid, cfg.wifi.password, hal.timers, p.log);
    else problems.push('module Wifi missing: network assumed up');
  }
  const o: UnitOptions = {
    hal: hal,
    config: cfg,
    sha256: p.sha256,
    random: p.random,
    network: link,
    freeVars: p.freeVars,
    collect: p.collect,
    reboot: p.reboot,
    log: p.log,
    problems: problems,
    flashWriteAt: p.flashWriteAt,
    trace: p.trace,
  };
  if (extra) {
    if (extra.limits) o.limits = extra.limits;
    if (extra.eventCapacity) o.eventCapacity = extra.eventCapacity;
  }
  return o;
}

/**
 * Relays off and `Not configured` on the reference LCD pins (best effort). The relay pins and
 * polarity come from whatever of the (invalid) config is readable, else the reference wiring
 * (active high), so an active-low board whose config is damaged is not switched on.
 */
function showNotConfigured(hal: Hal, text: string | undefined, reason: string): Hd44780 | null {
  let raw: { [k: string]: unknown } = {};
  try {
    const v = typeof text === 'string' ? JSON.parse(text) : null;
    if (v && typeof v === 'object') raw = v;
  } catch (e) {
    raw = {};
  }
  const pins = (raw.pins && typeof raw.pins === 'object' ? raw.pins : {}) as { [k: string]: unknown };
  const activeLow = raw.relay_active_low === true;
  const relays: (number | null)[] = [
    typeof pins.relay === 'number' ? pins.relay : DEFAULT_PINS.relay,
    typeof pins.second_relay === 'number' || pins.second_relay === null ? (pins.second_relay as number | null) : DEFAULT_PINS.second_relay,
  ];
  for (const pin of relays) {
    if (pin === null) continue;
    try {
      new Relay(hal.output(pin), { name: 'relay', activeLow: activeLow }).setup();
    } catch (e) {
      // nothing more can be done without pins
    }
  }
  let lcd: Hd44780 | null = null;
  try {
    if (DEFAULT_PINS.lcd_sda !== null && DEFAULT_PINS.lcd_scl !== null) {
      const i2c = hal.i2c(DEFAULT_PINS.lcd_sda, DEFAULT_PINS.lcd_scl, 400000);
      if (i2c) {
        lcd = new Hd44780(connectPcf8574(i2c, DEFAULT_I2C_ADDRESS), hal.timers);
        lcd.setup();
        lcd.show(NOT_CONFIGURED, reason.indexOf('no config') >= 0 ? 'flash a config' : 'config invalid');
      }
    }
  } catch (e) {
    lcd = null;
  }
  return lcd;
}

export function startFirmware(p: Platform, extra?: Partial<UnitOptions>): Firmware {
  let unit: Unit | null = null;
  let problem = '';
  let retry: TimerId | null = null;
  let lcd: Hd44780 | null = null;
  let shown = false;

  function attempt(): boolean {
    const text = p.hal.store.read(CONFIG_FILE);
    const r = readBoardConfig(text);
    if (!r.ok) {
      if (r.error !== problem) p.log('fobgate: ' + NOT_CONFIGURED + ': ' + r.error);
      problem = r.error;
      if (!shown) {
        shown = true;
        lcd = showNotConfigured(p.hal, text, r.error);
      }
      return false;
    }
    problem = '';
    if (lcd) lcd.stop();
    try {
      const u = new Unit(unitOptions(p, r.value, extra));
      unit = u;
      u.start();
    } catch (e) {
      const msg = e && typeof e === 'object' && (e as { message?: unknown }).message ? String((e as { message: unknown }).message) : String(e);
      problem = 'unit failed to start: ' + msg;
      p.log('fobgate: ' + problem);
      if (unit) {
        unit.relay.set(false);
        if (unit.second) unit.second.set(false);
        unit.stop();
      }
      unit = null;
    }
    return true;
  }

  if (!attempt()) {
    retry = p.hal.timers.setInterval(() => {
      if (attempt() && retry !== null) {
        p.hal.timers.clearInterval(retry);
        retry = null;
      }
    }, CONFIG_RETRY_MS);
  }

  return {
    unit: () => unit,
    problem: () => problem,
    stop: () => {
      if (retry !== null) p.hal.timers.clearInterval(retry);
      retry = null;
      if (lcd) lcd.stop();
      if (unit) unit.stop();
    },
  };
}
