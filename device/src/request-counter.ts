// The strictly increasing request counter that binds each signed sync to one answer. It is
// persisted BEFORE a request goes out: flash holds a high-water mark reserved in blocks, so a
// reboot always resumes above every counter ever sent without a flash write per request.
//
// Only the server's signed refusal (a 409 bound to the refused request) may move it forward
// (`rebase`). A persisted value the server can never accept (above MAX_COUNTER, or unreadable)
// restarts the count from 1: the server refuses that with a signed 409 naming the counter it
// holds, and the unit continues above it. The server alone protects against replays, and every
// answer names the request it answers, so starting lower again opens no replay.
import { MAX_COUNTER } from '@fobgate/shared';
import type { FlashStore } from './hal.js';
import { DurableRecord } from './durable-record.js';

export const COUNTER_FILE = 'fgctr';
/** Counters reserved per flash write (one write per 100 syncs, ~8 minutes at 5 s). */
export const COUNTER_BLOCK = 100;

/** next() could not persist the reservation (flash refused the write). */
export const COUNTER_FLASH_FAILED = -1;
/** next() has no counter left: the server holds MAX_COUNTER (the unit must be registered again). */
export const COUNTER_EXHAUSTED = -2;

function valid(v: unknown): v is number {
  return typeof v === 'number' && v === Math.floor(v) && v >= 0 && v <= MAX_COUNTER;
}

export class RequestCounter {
  private record: DurableRecord<number>;
  private last = 0;
  private reserved = 0;
  /** What load() found when it could not use it (for the boot log), else null. */
  discarded: unknown = null;

  constructor(store: FlashStore) {
    this.record = new DurableRecord<number>(store, COUNTER_FILE);
  }

  /** Resumes above the persisted high-water mark; one out of range restarts from 0. */
  load(): void {
    const v = this.record.load();
    this.discarded = v !== null && !valid(v) ? v : null;
    this.reserved = valid(v) ? v : 0;
    this.last = this.reserved;
  }

  /**
   * The next counter, COUNTER_FLASH_FAILED when it could not be persisted first (then nothing
   * may be sent), or COUNTER_EXHAUSTED above MAX_COUNTER.
   */
  next(): number {
    const n = this.last + 1;
    if (n > MAX_COUNTER) return COUNTER_EXHAUSTED;
    if (n > this.reserved) {
      const top = Math.min(n + COUNTER_BLOCK - 1, MAX_COUNTER);
      if (!this.record.save(top)) return COUNTER_FLASH_FAILED;
      this.reserved = top;
    }
    this.last = n;
    return n;
  }

  /**
   * The server's signed refusal says it holds `held`: continue above it (persisted by the next
   * next()). Values out of range are ignored.
   */
  rebase(held: number): void {
    if (valid(held) && held > this.last) this.last = held;
  }

  /** Highest counter handed out so far. */
  current(): number {
    return this.last;
  }
}
