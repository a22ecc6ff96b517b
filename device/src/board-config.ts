// The unit's board config: the Storage file `fobgate.json` written at flash time (machine,
// server, key, Wi-Fi, profile, pins). Parsed and validated here; errors name the field and never
// echo a secret.
import type { PinId } from './hal.js';

export const CONFIG_FILE = 'fobgate.json';

export type ProfileName = 'esp32' | 'host';

/** GPIO numbers; null for a part this board does not have. */
export interface BoardPins {
  wiegand_d0: PinId;
  wiegand_d1: PinId;
  card_present: PinId;
  relay: PinId;
  second_relay: PinId | null;
  lcd_sda: PinId | null;
  lcd_scl: PinId | null;
  status_led: PinId | null;
  oops_button: PinId;
  oops_led: PinId | null;
}

/** The reference unit's wiring (docs/hardware.md). */
export const DEFAULT_PINS: BoardPins = {
  wiegand_d0: 16,
  wiegand_d1: 4,
  card_present: 18,
  relay: 33,
  second_relay: 14,
  lcd_sda: 22,
  lcd_scl: 23,
  status_led: 27,
  oops_button: 32,
  oops_led: 5,
};

export const DEFAULT_I2C_ADDRESS = 0x27;
export const DEFAULT_SYNC_INTERVAL_S = 5;

export interface ServerAddress {
  host: string;
  port: number;
  /** Path prefix without a trailing slash ('' for none). */
  base: string;
}

export interface BoardConfig {
  machine: string;
  server_url: string;
  server: ServerAddress;
  /** 64 hex characters; never printed. */
  key: string;
  wifi: { ssid: string; password: string } | null;
  profile: ProfileName;
  pins: BoardPins;
  i2c_address: number;
  sync_interval_s: number;
  /** Relay boards that switch on with the pin LOW (many opto-isolated modules). Default false. */
  relay_active_low: boolean;
  /**
   * The reader's Wiegand frame length: 26 or 34 (the frame is decided at its last bit), or 0 for
   * "auto" (the default: any of both, decided after the end-of-frame gap, ~25 ms later).
   */
  reader_bits: 0 | 26 | 34;
}

export type ConfigResult = { ok: true; value: BoardConfig } | { ok: false; error: string };

const PIN_NAMES = ['wiegand_d0', 'wiegand_d1', 'card_present', 'relay', 'second_relay', 'lcd_sda', 'lcd_scl', 'status_led', 'oops_button', 'oops_led'];
const OPTIONAL_PINS = ['second_relay', 'lcd_sda', 'lcd_scl', 'status_led', 'oops_led'];

function bad(msg: string): ConfigResult {
  return { ok: false, error: CONFIG_FILE + ': ' + msg };
}

function isInt(v: unknown, lo: number, hi: number): boolean {
  return typeof v === 'number' && Math.floor(v) === v && v >= lo && v <= hi;
}

/** True when every character of s is in the allowed set (no RegExp: the interpreter's is minimal). */
function onlyChars(s: string, allowed: string): boolean {
  for (let i = 0; i < s.length; i++) if (allowed.indexOf(s.charAt(i)) < 0) return false;
  return true;
}

const DIGITS = '0123456789';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const HEX_CHARS = DIGITS + 'abcdefABCDEF';
const HOST_CHARS = DIGITS + LOWER + LOWER.toUpperCase() + '.-';

/** Parses `http://host[:port][/base]`; null when it is not such a URL. */
export function parseServerUrl(url: string): ServerAddress | null {
  const scheme = 'http://';
  if (url.substring(0, scheme.length) !== scheme) return null;
  const rest = url.substring(scheme.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.substring(0, slash);
  let base = slash < 0 ? '' : rest.substring(slash);
  const colon = authority.indexOf(':');
  const host = colon < 0 ? authority : authority.substring(0, colon);
  const portText = colon < 0 ? '' : authority.substring(colon + 1);
  if (host.length === 0 || !onlyChars(host, HOST_CHARS)) return null;
  if (colon >= 0 && (portText.length === 0 || portText.length > 5 || !onlyChars(portText, DIGITS))) return null;
  const port = colon < 0 ? 80 : parseInt(portText, 10);
  if (!(port >= 1 && port <= 65535)) return null;
  if (base.indexOf('?') >= 0 || base.indexOf('#') >= 0) return null;
  while (base.length > 0 && base.charAt(base.length - 1) === '/') base = base.substring(0, base.length - 1);
  return { host: host, port: port, base: base };
}

function parsePins(raw: unknown, profile: ProfileName): { pins: BoardPins | null; error: string } {
  const pins: { [k: string]: PinId | null } = {};
  const src = (raw === undefined || raw === null ? {} : raw) as { [k: string]: unknown };
  if (typeof src !== 'object' || Array.isArray(src)) return { pins: null, error: 'pins: must be an object' };
  for (const k in src) {
    if (PIN_NAMES.indexOf(k) < 0) return { pins: null, error: 'pins/' + k + ': unknown pin name (known: ' + PIN_NAMES.join(', ') + ')' };
  }
  const used: { [pin: string]: string } = {};
  for (const name of PIN_NAMES) {
    const v = src.hasOwnProperty(name) ? src[name] : (DEFAULT_PINS as unknown as { [k: string]: PinId | null })[name];
    if (v === null) {
      if (OPTIONAL_PINS.indexOf(name) < 0) return { pins: null, error: 'pins/' + name + ': is required' };
      pins[name] = null;
      continue;
    }
    if (!isInt(v, 0, 48)) return { pins: null, error: 'pins/' + name + ': must be a GPIO number 0-48 or null' };
    const pin = v as number;
    if (profile === 'esp32' && pin >= 6 && pin <= 11) return { pins: null, error: 'pins/' + name + ': GPIO' + pin + ' is wired to the flash chip' };
    if (used[String(pin)]) return { pins: null, error: 'pins/' + name + ': GPIO' + pin + ' is already used by ' + used[String(pin)] };
    used[String(pin)] = name;
    pins[name] = pin;
  }
  if ((pins.lcd_sda === null) !== (pins.lcd_scl === null)) return { pins: null, error: 'pins: lcd_sda and lcd_scl must both be set or both be null' };
  return { pins: pins as unknown as BoardPins, error: '' };
}

/** Validates the parsed JSON of fobgate.json. */
export function parseBoardConfig(data: unknown): ConfigResult {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return bad('must be a JSON object');
  const d = data as { [k: string]: unknown };
  const machine = d.machine;
  if (typeof machine !== 'string' || machine.length === 0 || !onlyChars(machine, LOWER + DIGITS + '_-')) return bad('machine: must be a machine name (a-z, 0-9, _ and -)');
  if (typeof d.server_url !== 'string') return bad('server_url: must be a string like http://host:port');
  const server = parseServerUrl(d.server_url);
  if (!server) return bad('server_url: must look like http://host:port (plain http)');
  if (typeof d.key !== 'string' || d.key.length !== 64 || !onlyChars(d.key, HEX_CHARS)) return bad('key: must be 64 hex characters');
  let wifi: { ssid: string; password: string } | null = null;
  if (d.wifi !== null && d.wifi !== undefined) {
    const w = d.wifi as { [k: string]: unknown };
    if (typeof w !== 'object' || typeof w.ssid !== 'string' || w.ssid.length === 0) return bad('wifi: must be null or {ssid, password} with a non-empty ssid');
    if (w.password !== undefined && w.password !== null && typeof w.password !== 'string') return bad('wifi/password: must be a string');
    wifi = { ssid: w.ssid, password: typeof w.password === 'string' ? w.password : '' };
  }
  const profile = d.profile === undefined ? 'esp32' : d.profile;
  if (profile !== 'esp32' && profile !== 'host') return bad('profile: must be "esp32" or "host"');
  if (profile === 'esp32' && !wifi) return bad('wifi: is required for the esp32 profile');
  const p = parsePins(d.pins, profile);
  if (!p.pins) return bad(p.error);
  const addr = d.i2c_address === undefined ? DEFAULT_I2C_ADDRESS : d.i2c_address;
  if (!isInt(addr, 1, 127)) return bad('i2c_address: must be a 7-bit I2C address (e.g. 39 for 0x27)');
  const interval = d.sync_interval_s === undefined ? DEFAULT_SYNC_INTERVAL_S : d.sync_interval_s;
  if (!isInt(interval, 1, 3600)) return bad('sync_interval_s: must be a whole number of seconds 1-3600');
  const activeLow = d.relay_active_low === undefined ? false : d.relay_active_low;
  if (typeof activeLow !== 'boolean') return bad('relay_active_low: must be true or false');
  const rb = d.reader_bits === undefined ? 'auto' : d.reader_bits;
  if (rb !== 'auto' && rb !== 26 && rb !== 34) return bad('reader_bits: must be 26, 34 or "auto"');
  return {
    ok: true,
    value: {
      machine: machine,
      server_url: d.server_url,
      server: server,
      key: d.key,
      wifi: wifi,
      profile: profile,
      pins: p.pins,
      i2c_address: addr as number,
      sync_interval_s: interval as number,
      relay_active_low: activeLow,
      reader_bits: rb === 26 || rb === 34 ? rb : 0,
    },
  };
}

/** Reads and validates fobgate.json from flash text (undefined = no file). */
export function readBoardConfig(text: string | undefined): ConfigResult {
  if (typeof text !== 'string' || text.length === 0) return bad('no config file in Storage');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return bad('not valid JSON');
  }
  return parseBoardConfig(data);
}
