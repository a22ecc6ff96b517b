// Test doubles for the hardware seam: recording pins, a manual clock with timers, edge injection.
// Used by the driver tests (and device/test/fake-hal.ts); never part of the firmware.
import type {
  Clock,
  InputPin,
  OutputPin,
  StopWatch,
  TimerId,
  Timers,
  WatchCallback,
  WatchOptions,
} from '../src/hal.js';

export class FakeOutputPin implements OutputPin {
  writes: boolean[] = [];
  throwOnWrite = false;
  /** Tries to write; counts attempts even when they throw. */
  attempts = 0;
  refused?: boolean;
  write(on: boolean): void {
    this.attempts++;
    if (this.throwOnWrite) throw new Error('pin write failed');
    this.writes.push(on);
  }
  last(): boolean | undefined {
    return this.writes.length ? this.writes[this.writes.length - 1] : undefined;
  }
}

interface FakeWatch {
  cb: WatchCallback;
  opts: WatchOptions;
  active: boolean;
}

/** An input whose level the test sets; watches fire on matching edges (debounce is the driver's job). */
export class FakeInputPin implements InputPin {
  level: boolean;
  watches: FakeWatch[] = [];
  constructor(level: boolean) {
    this.level = level;
  }
  read(): boolean {
    return this.level;
  }
  watch(cb: WatchCallback, opts: WatchOptions): StopWatch {
    const w: FakeWatch = { cb: cb, opts: opts, active: true };
    this.watches.push(w);
    return () => {
      w.active = false;
    };
  }
  activeWatches(): number {
    return this.watches.filter((w) => w.active).length;
  }
  /** Sets the level at time t (ms) and fires the watches whose edge matches. */
  set(level: boolean, t: number): void {
    if (level === this.level) return;
    this.level = level;
    for (const w of this.watches.slice()) {
      if (!w.active) continue;
      const e = w.opts.edge;
      if (e === 'both' || (e === 'rising' && level) || (e === 'falling' && !level)) w.cb(level, t);
    }
  }
  /** A low pulse (falling edge at t, back high shortly after), as a Wiegand data line does. */
  pulseLow(t: number): void {
    this.set(false, t);
    this.set(true, t + 0.05);
  }
}

interface PendingTimer {
  id: number;
  at: number;
  every: number;
  cb: () => void;
}

/** A clock that only moves when the test says so, and timers that run on it. */
export class FakeTime implements Clock, Timers {
  t = 0;
  private nextId = 1;
  private pending: PendingTimer[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(cb: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.pending.push({ id: id, at: this.t + ms, every: 0, cb: cb });
    return id;
  }
  setInterval(cb: () => void, ms: number): TimerId {
    const id = this.nextId++;
    this.pending.push({ id: id, at: this.t + ms, every: ms, cb: cb });
    return id;
  }
  clearTimeout(id: TimerId): void {
    this.pending = this.pending.filter((p) => p.id !== id);
  }
  clearInterval(id: TimerId): void {
    this.clearTimeout(id);
  }
  count(): number {
    return this.pending.length;
  }
  /** Moves the clock forward by ms, running every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: PendingTimer | null = null;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at)) next = p;
      if (!next) break;
      this.t = next.at;
      if (next.every > 0) next.at += next.every;
      else this.pending = this.pending.filter((p) => p !== next);
      next.cb();
    }
    this.t = end;
  }
}
