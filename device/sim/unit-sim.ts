// One simulated fobgate unit: the board (GPIO, I2C with a PCF8574+HD44780 LCD, WS2812, flash,
// Wi-Fi, HTTP) plus the built firmware running unmodified in a sandbox. Tests and the CLI flash it,
// boot it, insert and remove fobs, press oops, power-cycle it, and read the LCD, relays and LED.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWiegand } from '@fobgate/shared';
import { SimClock } from './clock.js';
import { cryptoModule, SimNeopixel, SimWifi } from './builtin-modules.js';
import { espruinoGlobals, PROFILE_MODULES, ramCheck, type EspruinoEnv, type Profile, type WatchdogState } from './espruino-globals.js';
import { Hd44780Model } from './hd44780-decoder.js';
import { SimHttpModule } from './http-module.js';
import { Pcf8574Lcd, SimI2C } from './i2c-bus.js';
import { PinBank } from './pins.js';
import { Sandbox, type Realm } from './sandbox.js';
import { SimStorage } from './storage-file.js';
import { RamModel } from './ram-model.js';
import { DEVICE_DIR, FIRMWARE_PATH } from '../build/ensure-firmware.js';

// where the firmware is built: the one builder's paths (build/ensure-firmware.ts)
export { DEVICE_DIR, FIRMWARE_PATH } from '../build/ensure-firmware.js';
export const BOOT_FILE = '.bootcde';
export const CONFIG_FILE = 'fobgate.json';

/** The reference wiring (docs/hardware.md); a config's `pins` overrides it. */
export const REFERENCE_PINS = {
  wiegand_d0: 16, wiegand_d1: 4, card_present: 18, relay: 33, second_relay: 14 as number | null,
  lcd_sda: 22 as number | null, lcd_scl: 23 as number | null, status_led: 27 as number | null, oops_button: 32, oops_led: 5 as number | null,
};
export type SimPins = typeof REFERENCE_PINS;

/** Wiegand timing: pulse width and bit period (ms), as common readers send. */
export const WIEGAND_PULSE_MS = 0.08;
export const WIEGAND_PERIOD_MS = 2;

export interface UnitSimOptions {
  /** Host file holding the unit's flash (null: in memory only). */
  storagePath?: string | null;
  /** Board profile when the config does not say (default esp32). */
  profile?: Profile;
  seed?: number;
  /** Print the unit's console to stdout as it happens. */
  echo?: boolean;
  /** Real ms to wait for an HTTP answer before virtual time moves on without it. */
  settleCapMs?: number;
  /** Relay boards that switch on with the pin LOW. */
  relayActiveLow?: boolean;
  /** JS variables of the simulated interpreter (process.memory(), and what natives may take: ram-model.ts); 12,000 by default. */
  memoryTotal?: number;
  /** Start with the LCD not answering on I2C. */
  lcdMissing?: boolean;
}

export interface FobInsertion {
  /** Global sequence number of the last Wiegand bit's edge. */
  lastBitSeq: number;
  /** Virtual ms of the last bit's falling edge. */
  lastBitAt: number;
}

export interface BootRecord {
  reason: string;
  t: number;
}

const REBOOT_SIGNAL = '__fobgate_sim_reboot__';

function boardModules(profile: Profile): string[] {
  const f = join(DEVICE_DIR, 'board', profile + '.json');
  try {
    const j = JSON.parse(readFileSync(f, 'utf8')) as { info?: { builtin_modules?: unknown } };
    if (j.info && Array.isArray(j.info.builtin_modules)) return j.info.builtin_modules.map(String);
  } catch {
    // fall back to the built-in table
  }
  return PROFILE_MODULES[profile];
}

export class UnitSim {
  readonly clock: SimClock;
  readonly pins: PinBank;
  readonly storage: SimStorage;
  readonly http: SimHttpModule;
  readonly wifi: SimWifi;
  readonly neopixel: SimNeopixel;
  readonly lcd = new Hd44780Model();
  readonly lcdDevice: Pcf8574Lcd;
  readonly i2c: { I2C1: SimI2C; I2C2: SimI2C };
  /** Console lines the firmware printed. */
  readonly consoleLines: string[] = [];
  /** Exceptions that escaped a callback ("Uncaught ..." on the chip). */
  readonly uncaught: string[] = [];
  /** Things the firmware did that work in Node but misbehave on the chip. */
  readonly warnings: string[] = [];
  /** The variable store: OUT OF MEMORY events and the largest string a native took (ram-model.ts). */
  readonly ram: RamModel;
  readonly boots: BootRecord[] = [];
  sandbox: Sandbox | null = null;
  profile: Profile;
  board: SimPins = { ...REFERENCE_PINS };
  watchdog: WatchdogState = { enabled: false, timeoutS: 0, auto: true, kicks: 0, lastKick: 0 };
  private seq = 0;
  private env: EspruinoEnv | null = null;
  private seed: number;
  private rebootPending: string | null = null;
  private watchdogTimer: number | null = null;
  private readonly opts: UnitSimOptions;
  private fobIn = false;

  constructor(opts: UnitSimOptions = {}) {
    this.opts = opts;
    this.seed = opts.seed ?? 1;
    this.ram = new RamModel(opts.memoryTotal ?? 12000);
    this.profile = opts.profile ?? 'esp32';
    this.clock = new SimClock({ settleCapMs: opts.settleCapMs });
    this.clock.onUncaught = (e) => this.reportUncaught(e);
    const nextSeq = () => ++this.seq;
    const realm = (): Realm => this.realm();
    const err = (m: string) => this.realm().error(m);
    this.pins = new PinBank(this.clock, err);
    this.pins.nextSeq = nextSeq;
    this.pins.timeAt = (ms) => this.timeAt(ms);
    this.storage = new SimStorage(opts.storagePath ?? null);
    this.storage.now = () => this.clock.now;
    this.http = new SimHttpModule(this.clock, { error: err, object: () => this.realm().object() }, nextSeq);
    this.wifi = new SimWifi(this.clock, realm);
    // On the ESP32 nothing gets out before the station is connected; the host build has no Wifi.
    this.http.linkUp = () => this.profile !== 'esp32' || this.wifi.online;
    this.neopixel = new SimNeopixel(this.clock, realm);
    const bytes = (a: number[]) => this.realm().uint8Array(a);
    this.i2c = { I2C1: new SimI2C('I2C1', () => this.clock.now, err, bytes), I2C2: new SimI2C('I2C2', () => this.clock.now, err, bytes) };
    this.lcdDevice = new Pcf8574Lcd(this.lcd);
    this.lcdDevice.present = !opts.lcdMissing;
    this.idleInputs();
  }

  private realm(): Realm {
    if (this.sandbox) return this.sandbox.realm;
    return {
      error: (m) => new Error(m), parseJSON: (t) => JSON.parse(t), stringify: (v) => JSON.stringify(v),
      arrayBuffer: (b) => b.slice().buffer, uint8Array: (b) => Uint8Array.from(b), array: (a) => a.slice(), object: () => ({}),
    };
  }

  private timeAt(ms: number): number {
    const env = this.env;
    if (!env) return ms / 1000;
    const since = (ms - env.bootAt) / 1000;
    return env.timeOffsetS === null ? since : since + env.timeOffsetS;
  }

  /** Next global order number (pin writes, HTTP exchanges and markers share it). */
  mark(): number {
    return ++this.seq;
  }

  // ---------------------------------------------------------------- flashing and power

  /** Writes the program (.bootcde) and the board config (fobgate.json), as `npm run flash` does. */
  flash(opts: { firmware?: string; config?: unknown }): void {
    const fw = opts.firmware ?? readFileSync(FIRMWARE_PATH, 'latin1');
    this.storage.write(BOOT_FILE, fw);
    if (opts.config !== undefined) this.storage.write(CONFIG_FILE, typeof opts.config === 'string' ? opts.config : JSON.stringify(opts.config));
  }

  private readBoard(): void {
    this.board = { ...REFERENCE_PINS };
    this.profile = this.opts.profile ?? 'esp32';
    const text = this.storage.text(CONFIG_FILE);
    if (!text) return;
    try {
      const cfg = JSON.parse(text) as { pins?: Partial<SimPins>; profile?: unknown; i2c_address?: unknown };
      if (cfg.pins && typeof cfg.pins === 'object') {
        for (const k of Object.keys(REFERENCE_PINS) as Array<keyof SimPins>) {
          const v = (cfg.pins as { [k: string]: unknown })[k];
          if (typeof v === 'number' || v === null) (this.board as { [k: string]: number | null })[k] = v;
        }
      }
      if (cfg.profile === 'host' || cfg.profile === 'esp32') this.profile = cfg.profile;
    } catch {
      // a corrupt config: the firmware has to cope; the board keeps the reference wiring
    }
  }

  private lcdAddress(): number {
    const text = this.storage.text(CONFIG_FILE);
    try {
      const a = text ? (JSON.parse(text) as { i2c_address?: unknown }).i2c_address : undefined;
      if (typeof a === 'number') return a;
    } catch {
      // default below
    }
    return 0x27;
  }

  /** What the reader, card-present line and oops button do with nobody touching them. */
  private idleInputs(): void {
    const b = this.board;
    this.pins.drive(b.wiegand_d0, 1);
    this.pins.drive(b.wiegand_d1, 1);
    this.pins.drive(b.card_present, this.fobIn ? 1 : 0);
    // Normally closed to ground: released reads LOW.
    this.pins.drive(b.oops_button, 0);
  }

  /** Starts the chip: reads Storage .bootcde and runs it in a fresh sandbox. */
  boot(reason = 'power on'): void {
    this.readBoard();
    this.idleInputs();
    this.boots.push({ reason, t: this.clock.now });
    this.i2c.I2C1.attach(this.lcdAddress(), this.lcdDevice);
    const modules = boardModules(this.profile);
    const env: EspruinoEnv = {
      profile: this.profile,
      clock: this.clock,
      pins: this.pins,
      i2c: this.i2c,
      storage: this.storage,
      http: this.http,
      wifi: this.wifi,
      neopixel: this.neopixel,
      realm: null as unknown as Realm,
      modules,
      bootAt: this.clock.now,
      timeOffsetS: null,
      watchdog: this.watchdog,
      ram: this.ram,
      temperature: 128,
      print: (line) => this.print(line),
      reboot: (r) => this.requestReboot(r),
      softReset: (run) => this.requestReboot(run ? 'load()' : 'reset()', !run),
      hwRand: () => (Math.random() * 0x100000000) | 0,
      warn: (m) => this.warnings.push(m),
    };
    this.env = env;
    const sandbox = new Sandbox({ dateNow: () => Math.round(this.timeAt(this.clock.now) * 1000), seed: this.seed++ });
    this.sandbox = sandbox;
    env.realm = sandbox.realm;
    this.storage.realm = sandbox.realm;
    const globals = espruinoGlobals(env);
    const E = globals.E as { enableWatchdog: (t: unknown, a: unknown) => void; kickWatchdog: () => void };
    const enable = E.enableWatchdog;
    const kick = E.kickWatchdog;
    E.enableWatchdog = (t: unknown, a: unknown) => {
      enable(t, a);
      this.armWatchdog();
    };
    E.kickWatchdog = () => {
      kick();
      this.armWatchdog();
    };
    if (globals.ESP32) (globals.ESP32 as { getState: () => unknown }).getState = () => sandbox.realm.parseJSON('{"sdkVersion":"v4.4.8","cpuFrequency":240,"freeHeap":60000,"maxItemHeap":30000}');
    sandbox.install(globals);
    const g = sandbox.evaluate('globalThis');
    sandbox.install({ global: g });
    const code = this.storage.text(BOOT_FILE);
    if (code === undefined) {
      this.print('(no program in Storage .bootcde)');
      return;
    }
    // the interpreter's JSON.parse takes its input in RAM like any native
    const json = sandbox.evaluate('JSON') as { parse: (text: unknown, reviver?: unknown) => unknown };
    const parse = json.parse;
    json.parse = (text: unknown, reviver?: unknown) => {
      ramCheck(env, 'JSON.parse', text);
      return parse.call(json, text, reviver);
    };
    try {
      sandbox.run(code, BOOT_FILE);
    } catch (e) {
      this.reportUncaught(e);
    }
    this.clock.post(() => (globals.E as { emit: (ev: string) => void }).emit('init'));
  }

  private armWatchdog(): void {
    if (this.watchdogTimer !== null) this.clock.clearTimer(this.watchdogTimer);
    this.watchdogTimer = null;
    const w = this.watchdog;
    if (!w.enabled || w.auto) return;
    this.watchdogTimer = this.clock.setTimer(() => {
      this.watchdogTimer = null;
      this.requestReboot('watchdog');
    }, w.timeoutS * 1000, false, 'env');
  }

  private requestReboot(reason: string, noProgram = false): never {
    if (!this.rebootPending) {
      this.rebootPending = reason;
      this.clock.post(() => this.restart(reason, noProgram));
    }
    throw this.realm().error(REBOOT_SIGNAL);
  }

  private stopProgram(): void {
    this.storage.powerLost = false;
    this.clock.clearAll('firmware');
    this.clock.clearQueue();
    if (this.watchdogTimer !== null) this.clock.clearTimer(this.watchdogTimer);
    this.watchdogTimer = null;
    this.watchdog.enabled = false;
    this.watchdog.auto = true;
    this.pins.powerOn();
    this.i2c.I2C1.reset();
    this.i2c.I2C2.reset();
    this.http.reset();
    this.wifi.reset();
    this.sandbox = null;
    this.env = null;
  }

  private restart(reason: string, noProgram: boolean): void {
    this.rebootPending = null;
    this.stopProgram();
    this.storage.persist();
    if (noProgram) {
      this.boots.push({ reason, t: this.clock.now });
      return;
    }
    this.boot(reason);
  }

  /** The chip resets (E.reboot, watchdog): RAM and pins are lost, the LCD keeps its text. */
  reboot(reason = 'reset'): void {
    this.rebootPending = null;
    this.stopProgram();
    this.boot(reason);
  }

  /** Power off then on: the LCD loses power too. Storage (the host file) is kept. */
  powerCycle(): void {
    this.rebootPending = null;
    this.stopProgram();
    this.storage.persist();
    this.lcd.powerOn();
    this.neopixel.frames.length = 0;
    this.boot('power cycle');
  }

  /** Cuts power after `bytes` bytes of the next write to a file matching `match`. */
  cutPowerDuringWrite(match: RegExp, bytes: number): void {
    this.storage.cutPowerDuringWrite(match, bytes, () => {
      this.clock.post(() => this.powerCycle());
      this.rebootPending = 'power cut';
      throw this.realm().error(REBOOT_SIGNAL);
    });
  }

  /** Stops everything (timers, sockets, the connect worker). The unit object is done. */
  close(): void {
    this.stopProgram();
    this.clock.stopRealTime();
    this.http.close();
    this.storage.persist();
  }

  // ---------------------------------------------------------------- console

  private print(line: string): void {
    this.consoleLines.push(line);
    if (this.consoleLines.length > 5000) this.consoleLines.splice(0, 2500);
    if (this.opts.echo) process.stdout.write(line + '\n');
  }

  private reportUncaught(e: unknown): void {
    const msg = e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : String(e);
    if (msg === REBOOT_SIGNAL) return;
    const line = 'Uncaught ' + msg;
    this.uncaught.push(line + (e && typeof e === 'object' && 'stack' in e ? '\n' + String((e as { stack: unknown }).stack) : ''));
    this.print(line);
  }

  /** Types a line at the unit's console (e.g. `FG_INFO()`); returns what it printed. */
  typeAtConsole(line: string): string {
    if (!this.sandbox) return '';
    const before = this.consoleLines.length;
    try {
      const v = this.sandbox.evaluate(line);
      if (v !== undefined) this.print('=' + (typeof v === 'string' ? JSON.stringify(v) : String(v)));
    } catch (e) {
      this.reportUncaught(e);
    }
    return this.consoleLines.slice(before).join('\n');
  }

  // ---------------------------------------------------------------- time

  advance(ms: number): Promise<void> {
    return this.clock.advance(ms);
  }

  until(pred: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    return this.clock.until(pred, maxMs, stepMs);
  }

  // ---------------------------------------------------------------- the member's side

  /**
   * Puts a fob in the slot: card-present goes high, then the reader sends the Wiegand frame
   * (26-bit for numbers below 2^24, else 34-bit, or the given raw frame). Returns when the last
   * bit has been sent; the firmware decodes after its inter-frame gap.
   */
  async insertFob(code: string | number, opts: { bits?: 26 | 34; frame?: number[]; presentLeadMs?: number } = {}): Promise<FobInsertion> {
    const n = typeof code === 'number' ? code : parseInt(code, 10);
    const bits = opts.bits ?? (n < 16777216 ? 26 : 34);
    const frame = opts.frame ?? encodeWiegand(n, bits);
    this.fobIn = true;
    this.pins.drive(this.board.card_present, 1);
    await this.clock.advance(opts.presentLeadMs ?? 5);
    return this.sendFrame(frame);
  }

  /** Sends raw Wiegand bits (0/1 each) on D0/D1 with reader timing. */
  async sendFrame(frame: number[]): Promise<FobInsertion> {
    const result: FobInsertion = { lastBitSeq: 0, lastBitAt: 0 };
    const d0 = this.board.wiegand_d0;
    const d1 = this.board.wiegand_d1;
    frame.forEach((bit, i) => {
      const pin = bit ? d1 : d0;
      this.clock.setTimer(() => {
        this.pins.drive(pin, 0);
        if (i === frame.length - 1) {
          result.lastBitSeq = this.mark();
          result.lastBitAt = this.clock.now;
        }
      }, i * WIEGAND_PERIOD_MS, false, 'env');
      this.clock.setTimer(() => this.pins.drive(pin, 1), i * WIEGAND_PERIOD_MS + WIEGAND_PULSE_MS, false, 'env');
    });
    await this.clock.advance((frame.length - 1) * WIEGAND_PERIOD_MS + WIEGAND_PULSE_MS);
    return result;
  }

  /** Takes the fob out: the card-present line drops. */
  async removeFob(): Promise<void> {
    this.fobIn = false;
    this.pins.drive(this.board.card_present, 0);
    await this.clock.flush();
  }

  get fobInserted(): boolean {
    return this.fobIn;
  }

  /** Presses the oops button (the normally-closed contact opens) and lets go after holdMs. */
  async pressOops(holdMs = 150): Promise<void> {
    this.pins.drive(this.board.oops_button, null);
    await this.clock.advance(holdMs);
    this.pins.drive(this.board.oops_button, 0);
    await this.clock.flush();
  }

  // ---------------------------------------------------------------- what the member sees

  private outputOn(pin: number | null, activeLow: boolean): boolean {
    if (pin === null) return false;
    if (!this.pins.isOutput(pin)) return false;
    return this.pins.level(pin) === (activeLow ? 0 : 1);
  }

  get relay(): boolean {
    return this.outputOn(this.board.relay, !!this.opts.relayActiveLow);
  }

  get secondRelay(): boolean {
    return this.outputOn(this.board.second_relay, !!this.opts.relayActiveLow);
  }

  get oopsLed(): boolean {
    return this.outputOn(this.board.oops_led, false);
  }

  /** The status LED's colour [r, g, b] from the last WS2812 frame, or null before any. */
  get ledRgb(): [number, number, number] | null {
    if (this.board.status_led === null) return null;
    const grb = this.neopixel.last(this.board.status_led);
    if (!grb || grb.length < 3) return null;
    return [grb[1], grb[0], grb[2]];
  }

  /** The LCD's two lines (16 characters each, as on the glass). */
  get lcdLines(): [string, string] {
    return [this.lcd.line(0), this.lcd.line(1)];
  }

  /** The LCD text, lines right-trimmed and joined by "\n". */
  get lcdText(): string {
    return this.lcd.text();
  }

  /** Writes to a pin after a given sequence number (e.g. relay writes after the last Wiegand bit). */
  writesAfter(pin: number, seq: number): Array<{ value: 0 | 1; t: number; real: number; seq: number }> {
    return this.pins.writes.filter((w) => w.pin === pin && w.seq > seq);
  }

  /** SHA-256 hex of a Storage file (what FG_INFO reports). */
  storageDigest(name: string): string | null {
    const t = this.storage.text(name);
    if (t === undefined) return null;
    const ab = cryptoModule(() => this.realm(), () => true).SHA256 as (d: unknown) => ArrayBuffer;
    return Buffer.from(new Uint8Array(ab(t))).toString('hex');
  }

  /** True when a firmware exists to boot. */
  static firmwareBuilt(): boolean {
    return existsSync(FIRMWARE_PATH);
  }
}
