// The simulator's clock and event loop: virtual milliseconds that tests advance explicitly (or
// that follow the wall clock in the interactive CLI), timers ordered by due time, and a queue of
// callbacks (pin watches, HTTP events) that run "on the next idle", as in the interpreter.

export type TimerOwner = 'firmware' | 'env';

/** The shortest positive timer delay (ms): Espruino counts time in microseconds on the ESP32. */
export const TIMER_RESOLUTION_MS = 0.001;

interface SimTimer {
  id: number;
  due: number;
  /** Order of creation, to break ties between timers due at the same instant. */
  order: number;
  interval: number;
  fn: () => void;
  owner: TimerOwner;
}

/** Something real (an HTTP exchange) the clock must wait for before it moves virtual time on. */
export interface PendingWork {
  /** Resolves when the work has finished, or never. */
  done: Promise<void>;
  /** Set once the clock gave up waiting for it (virtual time then moves on without it). */
  stalled: boolean;
}

export interface ClockOptions {
  /** Real milliseconds the clock waits for a pending exchange before letting time move on. */
  settleCapMs?: number;
}

export class SimClock {
  /** Virtual milliseconds since the simulator started (float). */
  now = 0;
  private timers: SimTimer[] = [];
  private queue: Array<() => void> = [];
  private nextId = 1;
  private order = 0;
  private pending: PendingWork[] = [];
  private realTimer: ReturnType<typeof setInterval> | null = null;
  /** Called with any exception a callback throws (the interpreter prints it and goes on). */
  onUncaught: (e: unknown) => void = () => {};
  readonly settleCapMs: number;

  constructor(opts: ClockOptions = {}) {
    this.settleCapMs = opts.settleCapMs ?? 3000;
  }

  setTimer(fn: () => void, ms: number, repeat: boolean, owner: TimerOwner): number {
    let delay = Number(ms);
    if (!(delay > 0)) delay = 0;
    // A positive delay below the timer resolution still lets time pass, as on the chip (where
    // the callback itself takes longer than that). Without it, late in a run now + 1e-12 ===
    // now and a timer that re-arms itself with such a remainder never lets virtual time move.
    if (delay > 0 && delay < TIMER_RESOLUTION_MS) delay = TIMER_RESOLUTION_MS;
    const id = this.nextId++;
    this.timers.push({ id, due: this.now + delay, order: this.order++, interval: repeat ? Math.max(delay, TIMER_RESOLUTION_MS) : 0, fn, owner });
    return id;
  }

  hasTimer(id: number): boolean {
    return this.timers.some((t) => t.id === id);
  }

  clearTimer(id: number): boolean {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i < 0) return false;
    this.timers.splice(i, 1);
    return true;
  }

  /** Change an interval's period (Espruino's changeInterval). */
  changeInterval(id: number, ms: number): boolean {
    const t = this.timers.find((x) => x.id === id);
    if (!t) return false;
    const d = Math.max(Number(ms) || 0, TIMER_RESOLUTION_MS);
    t.interval = t.interval ? d : 0;
    t.due = this.now + d;
    return true;
  }

  clearAll(owner: TimerOwner): void {
    this.timers = this.timers.filter((t) => t.owner !== owner);
  }

  timerCount(owner?: TimerOwner): number {
    return owner ? this.timers.filter((t) => t.owner === owner).length : this.timers.length;
  }

  /** Run fn on the next idle (at the current virtual time). */
  post(fn: () => void): void {
    this.queue.push(fn);
  }

  /** Register real work (an HTTP exchange) that virtual time should wait for. */
  track(work: PendingWork): void {
    this.pending.push(work);
    work.done.then(() => {
      this.pending = this.pending.filter((w) => w !== work);
    }, () => {
      this.pending = this.pending.filter((w) => w !== work);
    });
  }

  get busy(): boolean {
    return this.pending.some((w) => !w.stalled);
  }

  /** Drop all queued callbacks (a reboot loses them). */
  clearQueue(): void {
    this.queue = [];
  }

  private invoke(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.onUncaught(e);
    }
  }

  private runQueue(): number {
    let n = 0;
    while (this.queue.length) {
      const fn = this.queue.shift()!;
      this.invoke(fn);
      n++;
    }
    return n;
  }

  private earliest(limit: number): SimTimer | null {
    let best: SimTimer | null = null;
    for (const t of this.timers) {
      if (t.due > limit) continue;
      if (!best || t.due < best.due || (t.due === best.due && t.order < best.order)) best = t;
    }
    return best;
  }

  /** Let real I/O callbacks and promise jobs run; wait for unstalled pending work (capped). */
  private async settle(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    const live = this.pending.filter((w) => !w.stalled);
    if (!live.length) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const cap = new Promise<'cap'>((r) => {
      timer = setTimeout(() => r('cap'), this.settleCapMs);
    });
    const first = await Promise.race([Promise.race(live.map((w) => w.done.then(() => 'done' as const, () => 'done' as const))), cap]);
    if (timer) clearTimeout(timer);
    if (first === 'cap') for (const w of live) w.stalled = true;
    await new Promise<void>((r) => setImmediate(r));
  }

  /** Run everything that is due now, including what real I/O delivers meanwhile. */
  async flush(): Promise<void> {
    await this.advance(0);
  }

  /**
   * Move virtual time forward by ms, running timers and queued callbacks in order. Calls made
   * while one runs (the real-time ticker and a key press) are queued behind it.
   */
  advance(ms: number): Promise<void> {
    const run = this.chain.then(() => this.advanceNow(ms));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private chain: Promise<void> = Promise.resolve();

  private async advanceNow(ms: number): Promise<void> {
    const target = this.now + Math.max(0, ms);
    let steps = 0;
    for (;;) {
      this.runQueue();
      // Yield to the real event loop when I/O may be in flight, and now and then regardless.
      if (this.pending.length || ++steps % 64 === 0) {
        await this.settle();
        while (this.queue.length || this.busy) {
          this.runQueue();
          await this.settle();
        }
      } else {
        await Promise.resolve();
        if (this.queue.length) continue;
      }
      const t = this.earliest(target);
      if (!t) break;
      if (t.due > this.now) this.now = t.due;
      if (t.interval) t.due = t.due + t.interval;
      else this.clearTimer(t.id);
      this.invoke(t.fn);
    }
    this.now = target;
    this.runQueue();
  }

  /** Advance in steps until pred() holds; returns false when maxMs elapsed first. */
  async until(pred: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const end = this.now + maxMs;
    if (pred()) return true;
    while (this.now < end) {
      await this.advance(Math.min(stepMs, end - this.now));
      if (pred()) return true;
    }
    return pred();
  }

  /** Follow the wall clock (interactive use): virtual time tracks real elapsed time. */
  startRealTime(tickMs = 10): void {
    if (this.realTimer) return;
    let last = Date.now();
    let inTick = false;
    this.realTimer = setInterval(() => {
      if (inTick) return;
      inTick = true;
      const t = Date.now();
      const d = t - last;
      last = t;
      this.advance(d).then(() => { inTick = false; }, (e) => { inTick = false; this.onUncaught(e); });
    }, tickMs);
  }

  stopRealTime(): void {
    if (this.realTimer) clearInterval(this.realTimer);
    this.realTimer = null;
  }
}
