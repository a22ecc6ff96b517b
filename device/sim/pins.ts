// Simulated ESP32 GPIO: pin objects D0..D39, modes, digital read/write, and setWatch/clearWatch
// with the interpreter's edge filter and debounce, callbacks queued on the simulator's clock.
import type { SimClock } from './clock.js';

export const PIN_COUNT = 40;

export type PinMode =
  | 'input' | 'input_pullup' | 'input_pulldown' | 'output' | 'opendrain' | 'opendrain_pullup'
  | 'af_output' | 'af_opendrain' | 'analog' | 'auto';

const MODES: string[] = ['input', 'input_pullup', 'input_pulldown', 'output', 'opendrain', 'opendrain_pullup', 'af_output', 'af_opendrain', 'analog', 'auto'];

export interface PinWrite {
  pin: number;
  value: 0 | 1;
  /** Virtual ms. */
  t: number;
  /** performance.now() when the firmware wrote it. */
  real: number;
  /** Global order of everything the simulator records. */
  seq: number;
}

export interface WatchEvent {
  state: boolean;
  time: number;
  lastTime: number;
}

interface PinState {
  mode: PinMode;
  /** Set by pinMode (not changed automatically by digitalRead/Write). */
  forced: boolean;
  out: 0 | 1;
  /** What the outside world drives on the pin, or null when nothing does. */
  ext: 0 | 1 | null;
  /** Last computed level (to detect edges). */
  level: 0 | 1;
}

interface Watch {
  id: number;
  pin: number;
  fn: (e: WatchEvent) => void;
  repeat: boolean;
  edge: 'rising' | 'falling' | 'both';
  debounce: number;
  /** Last state reported (debounced watches). */
  stable: 0 | 1;
  lastTime: number;
  debounceTimer: number | null;
}

/** The interpreter's error for a bad argument (thrown into the firmware). */
export type ErrorFactory = (message: string) => Error;

/** Reads a pin reference the way Espruino does: a Pin object, a number, or a "D16" string. */
export function pinNumber(p: unknown): number {
  if (p && typeof p === 'object' && typeof (p as { valueOf(): unknown }).valueOf === 'function') {
    const v = (p as { valueOf(): unknown }).valueOf();
    if (typeof v === 'number') return pinNumber(v);
  }
  if (typeof p === 'number' && Number.isInteger(p) && p >= 0 && p < PIN_COUNT) return p;
  if (typeof p === 'string') {
    const m = /^D(\d+)$/.exec(p);
    if (m) return pinNumber(Number(m[1]));
  }
  return -1;
}

export class PinBank {
  private pins: PinState[] = [];
  private watches: Watch[] = [];
  private nextWatch = 1;
  readonly writes: PinWrite[] = [];
  /** Called on every firmware write, after it is recorded. */
  onWrite: (w: PinWrite) => void = () => {};
  /** Returns the interpreter time (seconds) for a virtual ms instant. */
  timeAt: (ms: number) => number = (ms) => ms / 1000;
  /** Real time of the most recent watch callback per pin (latency measurements). */
  readonly lastEdgeReal: number[] = [];
  nextSeq: () => number = (() => { let s = 0; return () => ++s; })();

  constructor(private clock: SimClock, private err: ErrorFactory = (m) => new Error(m)) {
    this.powerOn();
  }

  /** Power-on state: every pin an input, nothing written, no watches. Outside drives stay. */
  powerOn(): void {
    const prev = this.pins;
    this.pins = [];
    for (let i = 0; i < PIN_COUNT; i++) {
      const ext = prev[i] ? prev[i].ext : null;
      this.pins.push({ mode: 'input', forced: false, out: 0, ext, level: ext === null ? 0 : ext });
    }
    this.clearAllWatches();
  }

  private state(p: unknown, what: string): PinState & { n: number } {
    const n = pinNumber(p);
    if (n < 0) throw this.err(what + ': invalid pin ' + String(p));
    return Object.assign(this.pins[n], { n });
  }

  private computeLevel(s: PinState): 0 | 1 {
    switch (s.mode) {
      case 'output':
      case 'af_output':
        return s.out;
      case 'opendrain':
      case 'af_opendrain':
      case 'opendrain_pullup':
        if (s.out === 0) return 0;
        return s.ext === null ? (s.mode === 'opendrain_pullup' ? 1 : 0) : s.ext;
      case 'input_pullup':
        return s.ext === null ? 1 : s.ext;
      default:
        return s.ext === null ? 0 : s.ext;
    }
  }

  private refresh(n: number): void {
    const s = this.pins[n];
    const lvl = this.computeLevel(s);
    if (lvl === s.level) return;
    s.level = lvl;
    this.edge(n, lvl);
  }

  pinMode(p: unknown, mode?: unknown, automatic?: unknown): void {
    const s = this.state(p, 'pinMode');
    if (mode === undefined || mode === 'auto') {
      s.forced = false;
      this.refresh(s.n);
      return;
    }
    if (typeof mode !== 'string' || MODES.indexOf(mode) < 0) throw this.err('pinMode: unknown pin mode ' + String(mode));
    s.mode = mode as PinMode;
    s.forced = !automatic;
    this.refresh(s.n);
  }

  getPinMode(p: unknown): string {
    return this.state(p, 'getPinMode').mode;
  }

  digitalWrite(p: unknown, value: unknown): void {
    if (Array.isArray(p)) {
      const v = Number(value) || 0;
      for (let i = 0; i < p.length; i++) this.digitalWrite(p[i], (v >> (p.length - 1 - i)) & 1);
      return;
    }
    const s = this.state(p, 'digitalWrite');
    if (!s.forced) s.mode = 'output';
    s.out = value ? 1 : 0;
    const w: PinWrite = { pin: s.n, value: s.out, t: this.clock.now, real: performance.now(), seq: this.nextSeq() };
    this.writes.push(w);
    if (this.writes.length > 20000) this.writes.splice(0, 10000);
    this.refresh(s.n);
    this.onWrite(w);
  }

  digitalRead(p: unknown): number {
    if (Array.isArray(p)) {
      let v = 0;
      for (let i = 0; i < p.length; i++) v = (v << 1) | this.digitalRead(p[i]);
      return v;
    }
    const s = this.state(p, 'digitalRead');
    if (!s.forced && s.mode !== 'input' && s.mode !== 'input_pullup' && s.mode !== 'input_pulldown') s.mode = 'input';
    this.refresh(s.n);
    return s.level;
  }

  /** The level on the pin now (what a meter would read). */
  level(p: unknown): 0 | 1 {
    const s = this.state(p, 'level');
    return s.level;
  }

  /** Whether the firmware drives the pin as an output. */
  isOutput(p: unknown): boolean {
    const m = this.state(p, 'isOutput').mode;
    return m === 'output' || m === 'af_output' || m === 'opendrain' || m === 'opendrain_pullup' || m === 'af_opendrain';
  }

  mode(p: unknown): PinMode {
    return this.state(p, 'mode').mode;
  }

  /** The outside world drives the pin (null: lets it float). Edges trigger watches. */
  drive(p: unknown, value: 0 | 1 | null): void {
    const s = this.state(p, 'drive');
    s.ext = value;
    this.refresh(s.n);
  }

  // ---- watches ----

  setWatch(fn: unknown, p: unknown, options: unknown): number {
    if (typeof fn !== 'function') throw this.err('setWatch: expecting a function, got ' + typeof fn);
    const n = pinNumber(p);
    if (n < 0) throw this.err('setWatch: invalid pin ' + String(p));
    if (n >= 6 && n <= 11) throw this.err('setWatch: pin D' + n + ' is used by the flash chip');
    let repeat = false;
    let edge: Watch['edge'] = 'both';
    let debounce = 0;
    if (typeof options === 'boolean') repeat = options;
    else if (options && typeof options === 'object') {
      const o = options as { repeat?: unknown; edge?: unknown; debounce?: unknown };
      repeat = !!o.repeat;
      if (o.edge !== undefined) {
        if (o.edge === 'rising' || o.edge === 1) edge = 'rising';
        else if (o.edge === 'falling' || o.edge === -1) edge = 'falling';
        else if (o.edge === 'both' || o.edge === 0) edge = 'both';
        else throw this.err('setWatch: invalid edge ' + String(o.edge));
      }
      if (o.debounce !== undefined) debounce = Math.max(0, Number(o.debounce) || 0);
    }
    const s = this.pins[n];
    const id = this.nextWatch++;
    this.watches.push({ id, pin: n, fn: fn as (e: WatchEvent) => void, repeat, edge, debounce, stable: s.level, lastTime: this.timeAt(this.clock.now), debounceTimer: null });
    return id;
  }

  clearWatch(id?: unknown): void {
    if (id === undefined) {
      this.clearAllWatches();
      return;
    }
    const i = this.watches.findIndex((w) => w.id === Number(id));
    if (i < 0) throw this.err('Unknown Watch ' + String(id));
    this.dropWatch(i);
  }

  watchCount(pin?: unknown): number {
    if (pin === undefined) return this.watches.length;
    const n = pinNumber(pin);
    return this.watches.filter((w) => w.pin === n).length;
  }

  private dropWatch(i: number): void {
    const w = this.watches[i];
    if (w.debounceTimer !== null) this.clock.clearTimer(w.debounceTimer);
    this.watches.splice(i, 1);
  }

  private clearAllWatches(): void {
    while (this.watches.length) this.dropWatch(this.watches.length - 1);
  }

  private matches(w: Watch, lvl: 0 | 1): boolean {
    return w.edge === 'both' || (w.edge === 'rising' && lvl === 1) || (w.edge === 'falling' && lvl === 0);
  }

  private fire(w: Watch, lvl: 0 | 1, atMs: number): void {
    const time = this.timeAt(atMs);
    const ev = { state: lvl === 1, time, lastTime: w.lastTime };
    w.lastTime = time;
    if (!w.repeat) {
      const i = this.watches.indexOf(w);
      if (i >= 0) this.dropWatch(i);
    }
    const pin = w.pin;
    this.clock.post(() => {
      this.lastEdgeReal[pin] = performance.now();
      w.fn(ev);
    });
  }

  private edge(n: number, lvl: 0 | 1): void {
    const at = this.clock.now;
    for (const w of this.watches.slice()) {
      if (w.pin !== n) continue;
      if (w.debounce <= 0) {
        w.stable = lvl;
        if (this.matches(w, lvl)) this.fire(w, lvl, at);
        continue;
      }
      if (w.debounceTimer !== null) this.clock.clearTimer(w.debounceTimer);
      w.debounceTimer = this.clock.setTimer(() => {
        w.debounceTimer = null;
        const now = this.pins[n].level;
        if (now === w.stable) return;
        w.stable = now;
        if (this.matches(w, now) && this.watches.indexOf(w) >= 0) this.fire(w, now, this.clock.now);
      }, w.debounce, false, 'env');
    }
  }
}
