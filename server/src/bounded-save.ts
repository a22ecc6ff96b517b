// Single-flight, coalescing saver with a per-caller time budget: one write at a time per file,
// later callers share ONE follow-up write of the newest snapshot, and nobody waits past budgetMs.

/** What a caller of save() learns: durable, still unknown past its budget, or the write failed. */
export type SaveOutcome = 'saved' | 'timeout' | 'error';

/** The write seam (lowdb's Adapter has this shape). */
export interface SaveAdapter<T> {
  write(data: T): Promise<void>;
}

/** Arms a one-shot timer and returns its canceller (tests pass a fake). */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface SaverClock {
  now(): number;
}

export interface BoundedSaverOptions<T> {
  adapter: SaveAdapter<T>;
  /** Each caller's own budget in ms (default 2000). */
  budgetMs?: number;
  clock?: SaverClock;
  setTimer?: SetTimer;
  /** Called once per finished write (for a save-duration histogram). */
  onWrite?: (durationMs: number, outcome: 'saved' | 'error') => void;
}

export interface SaverStats {
  /** save() calls so far. */
  saves: number;
  writesStarted: number;
  writesCompleted: number;
  writesFailed: number;
  /** 0 or 1: never more. */
  inFlight: number;
  /** A follow-up write is queued behind the one in flight. */
  followUpQueued: boolean;
  /** save() calls that joined an already queued follow-up instead of adding a write. */
  coalesced: number;
  /** Callers answered 'timeout'. */
  timeouts: number;
  /** Callers still waiting for an outcome. */
  waiting: number;
  /** Duration of the last finished write in ms, or null. */
  lastWriteMs: number | null;
  /** The last write failure, or null once a later write succeeded. */
  lastError: { code: string; message: string } | null;
}

interface Waiter {
  settled: boolean;
  resolve: (outcome: SaveOutcome) => void;
  /** When its budget runs out (clock ms); Infinity for a caller that bounds its wait itself. */
  deadline: number;
}

interface Batch<T> {
  waiters: Waiter[];
  snapshot: () => T;
}

const DEFAULT_BUDGET_MS = 2000;

/**
 * The deadline of a caller that bounds its wait itself (a request's save budget): the savers it
 * waits on keep no timer for it, and expire() ends its waits once its own timer has run out (so
 * a stuck disk holds no caller's wait past its budget).
 */
export class CallerDeadline {
  private held: Array<[BoundedSaver<unknown>, Waiter]> | null = null;

  /** @internal a saver registers a wait of this caller */
  hold(saver: BoundedSaver<unknown>, waiter: Waiter): void {
    if (this.held === null) this.held = [];
    this.held.push([saver, waiter]);
  }

  /** The caller's deadline passed: every wait it has on a saver answers 'timeout'. */
  expire(): void {
    const held = this.held;
    this.held = null;
    if (held !== null) for (const [saver, waiter] of held) saver.release(waiter);
  }
}

/** The default SetTimer: a real, unref'd one-shot timer. */
export const realTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

const realClock: SaverClock = { now: () => Date.now() };

function describeError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e && typeof e.code === 'string' ? e.code : 'SAVE_FAILED';
  const message = e && typeof e.message === 'string' ? e.message : String(err);
  return { code, message };
}

export class BoundedSaver<T> {
  private readonly adapter: SaveAdapter<T>;
  private readonly budgetMs: number;
  private readonly clock: SaverClock;
  private readonly setTimer: SetTimer;
  private readonly onWrite: ((durationMs: number, outcome: 'saved' | 'error') => void) | undefined;
  private writing: Batch<T> | null = null;
  private next: Batch<T> | null = null;
  private readonly open = new Set<Waiter>();
  /** The saver's one budget timer, armed for the earliest deadline of the open waiters. */
  private cancelTimer: (() => void) | null = null;
  private timerAt = Infinity;
  private closed = false;
  private counters = {
    saves: 0,
    writesStarted: 0,
    writesCompleted: 0,
    writesFailed: 0,
    coalesced: 0,
    timeouts: 0,
  };
  private lastWriteMs: number | null = null;
  private lastError: { code: string; message: string } | null = null;

  constructor(options: BoundedSaverOptions<T>) {
    if (!options || !options.adapter || typeof options.adapter.write !== 'function') {
      throw new TypeError('BoundedSaver needs an adapter with a write(data) method');
    }
    const budget = options.budgetMs === undefined ? DEFAULT_BUDGET_MS : options.budgetMs;
    if (!Number.isFinite(budget) || budget <= 0) {
      throw new RangeError(`BoundedSaver budgetMs must be a positive number, got ${String(options.budgetMs)}`);
    }
    this.adapter = options.adapter;
    this.budgetMs = budget;
    this.clock = options.clock || realClock;
    this.setTimer = options.setTimer || realTimer;
    this.onWrite = options.onWrite;
  }

  /**
   * Make the newest data durable. `snapshot` is called when the write that carries it starts
   * (for a caller that joins a queued follow-up, the newest caller's snapshot wins). Never
   * rejects; answers 'timeout' once this caller's budget is spent (the write carries on).
   * With `own`, the caller bounds its wait itself (the request's save budget races this promise
   * with its own deadline), so no budget is kept for it here: `own.expire()` releases the wait
   * ('timeout') once that deadline has passed, and close() still does.
   */
  save(snapshot: () => T, own?: CallerDeadline): Promise<SaveOutcome> {
    this.counters.saves++;
    if (this.closed) {
      this.lastError = { code: 'SAVER_CLOSED', message: 'state saver is closed' };
      return Promise.resolve('error');
    }
    return new Promise<SaveOutcome>((resolve) => {
      const waiter = this.waiter(resolve, own);
      if (this.writing === null) {
        this.start({ waiters: [waiter], snapshot });
      } else if (this.next === null) {
        this.next = { waiters: [waiter], snapshot };
      } else {
        this.counters.coalesced++;
        this.next.waiters.push(waiter);
        this.next.snapshot = snapshot;
      }
    });
  }

  /**
   * Waits, within this caller's own budget, for the writes already asked for (the queued
   * follow-up, else the one in flight) without asking for another: 'saved' at once when none is
   * pending. For a caller whose data is already carried by a pending write.
   */
  settled(own?: CallerDeadline): Promise<SaveOutcome> {
    const batch = this.next ?? this.writing;
    if (batch === null) return Promise.resolve('saved');
    return new Promise<SaveOutcome>((resolve) => {
      const waiter = this.waiter(resolve, own);
      batch.waiters.push(waiter);
    });
  }

  /**
   * A caller's wait: open until its batch settles it, or 'timeout' when its budget runs out.
   * One timer per saver (armed for the earliest deadline), not one per waiter.
   */
  private waiter(resolve: (o: SaveOutcome) => void, own: CallerDeadline | undefined): Waiter {
    const deadline = own === undefined ? this.clock.now() + this.budgetMs : Infinity;
    const waiter: Waiter = { settled: false, resolve, deadline };
    this.open.add(waiter);
    if (own !== undefined) own.hold(this as BoundedSaver<unknown>, waiter);
    else if (deadline < this.timerAt) this.arm(deadline);
    return waiter;
  }

  /** A caller's own deadline passed: its wait ends ('timeout'; the write carries on). */
  release(waiter: Waiter): void {
    if (waiter.settled) return;
    this.counters.timeouts++;
    this.settle(waiter, 'timeout');
  }

  private arm(at: number): void {
    if (this.cancelTimer !== null) this.cancelTimer();
    this.timerAt = at;
    this.cancelTimer = this.setTimer(() => this.expire(at), Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    if (this.cancelTimer !== null) this.cancelTimer();
    this.cancelTimer = null;
    this.timerAt = Infinity;
  }

  /** The timer armed for `at` ran out: every waiter due by then answers 'timeout'. */
  private expire(at: number): void {
    this.cancelTimer = null;
    this.timerAt = Infinity;
    for (const waiter of Array.from(this.open)) {
      if (waiter.deadline > at) continue;
      this.counters.timeouts++;
      this.settle(waiter, 'timeout');
    }
    this.rearm();
  }

  /** Keeps the timer on the earliest deadline still open (none: no timer). */
  private rearm(): void {
    let first = Infinity;
    for (const waiter of this.open) if (waiter.deadline < first) first = waiter.deadline;
    if (first === Infinity) this.disarm();
    else if (first !== this.timerAt) this.arm(first);
  }

  stats(): SaverStats {
    return {
      saves: this.counters.saves,
      writesStarted: this.counters.writesStarted,
      writesCompleted: this.counters.writesCompleted,
      writesFailed: this.counters.writesFailed,
      inFlight: this.writing === null ? 0 : 1,
      followUpQueued: this.next !== null,
      coalesced: this.counters.coalesced,
      timeouts: this.counters.timeouts,
      waiting: this.open.size,
      lastWriteMs: this.lastWriteMs,
      lastError: this.lastError,
    };
  }

  /**
   * Stop taking saves and release every waiter now ('timeout': the outcome is unknown to them).
   * A write in flight and a queued follow-up still run to the end so no accepted change is lost.
   */
  close(): void {
    this.closed = true;
    for (const waiter of Array.from(this.open)) this.settle(waiter, 'timeout');
    this.disarm();
  }

  private settle(waiter: Waiter, outcome: SaveOutcome): void {
    if (waiter.settled) return;
    waiter.settled = true;
    this.open.delete(waiter);
    waiter.resolve(outcome);
  }

  private start(batch: Batch<T>): void {
    this.writing = batch;
    this.counters.writesStarted++;
    const began = this.clock.now();
    let pending: Promise<void>;
    try {
      const data = batch.snapshot();
      pending = Promise.resolve(this.adapter.write(data));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => this.finish(batch, began, null),
      (err: unknown) => this.finish(batch, began, describeError(err)),
    );
  }

  private finish(batch: Batch<T>, began: number, error: { code: string; message: string } | null): void {
    const took = Math.max(0, this.clock.now() - began);
    this.lastWriteMs = took;
    if (error === null) {
      this.counters.writesCompleted++;
      this.lastError = null;
    } else {
      this.counters.writesFailed++;
      this.lastError = error;
    }
    if (this.onWrite) {
      try {
        this.onWrite(took, error === null ? 'saved' : 'error');
      } catch {
        // a metrics hook must never break saving
      }
    }
    for (const waiter of batch.waiters) this.settle(waiter, error === null ? 'saved' : 'error');
    if (this.cancelTimer !== null) this.rearm();
    this.writing = null;
    const follow = this.next;
    this.next = null;
    if (follow !== null) this.start(follow);
  }
}

/** A write that did not become durable for its caller: past the budget, or failed. */
export class SaveOutcomeError extends Error {
  readonly outcome: 'timeout' | 'error';
  readonly code: 'SAVE_TIMEOUT' | 'SAVE_FAILED';
  constructor(outcome: 'timeout' | 'error', detail: { code: string; message: string } | null) {
    super(outcome === 'timeout' ? 'state save timeout' : `state save failed${detail ? `: ${detail.message}` : ''}`);
    this.name = 'SaveOutcomeError';
    this.outcome = outcome;
    this.code = outcome === 'timeout' ? 'SAVE_TIMEOUT' : 'SAVE_FAILED';
  }
}

/** The read/write seam lowdb's Low sits on (its Adapter<T>). */
export interface DocAdapter<T> {
  read(): Promise<T | null>;
  write(data: T): Promise<void>;
}
