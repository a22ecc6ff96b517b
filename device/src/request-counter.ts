// The strictly increasing request counter that binds each signed sync to one answer. It is
// persisted BEFORE a request goes out: flash holds a high-water mark reserved in blocks, so a
// reboot always resumes above every counter ever sent without a flash write per request.
import type { FlashStore } from './hal.js';
import { DurableRecord } from './durable-record.js';

export const COUNTER_FILE = 'fgctr';
/** Counters reserved per flash write (one write per 100 syncs, ~8 minutes at 5 s). */
export const COUNTER_BLOCK = 100;

export class RequestCounter {
  private record: DurableRecord<number>;
  private last = 0;
  private reserved = 0;

  constructor(store: FlashStore) {
    this.record = new DurableRecord<number>(store, COUNTER_FILE);
  }

  /** Resumes above the persisted high-water mark. */
  load(): void {
    const v = this.record.load();
    this.reserved = typeof v === 'number' && v > 0 ? v : 0;
    this.last = this.reserved;
  }

  /** The next counter, or -1 when it could not be persisted first (then nothing may be sent). */
  next(): number {
    const n = this.last + 1;
    if (n > this.reserved) {
      if (!this.record.save(n + COUNTER_BLOCK - 1)) return -1;
      this.reserved = n + COUNTER_BLOCK - 1;
    }
    this.last = n;
    return n;
  }

  /** The server says it has seen `seen`: continue above it (persisted before use by next()). */
  skipPast(seen: number): void {
    if (seen > this.last) this.last = seen;
  }

  /** Highest counter handed out so far. */
  current(): number {
    return this.last;
  }
}
