// How old the unit's list is: the offline-freshness rule (docs/offline-freshness.md).
//
// The age is the unit's RUNNING time since its last verified sync, summed over reboots. Within a
// boot it comes from the monotonic clock. Across reboots it is kept in a tally file: one byte
// written per tick of running time into a pre-sized Storage file (a write into erased bytes:
// no new file, no garbage, so no compaction however often it ticks). A power cut loses at most
// the tick in progress, so every power-on charges one tick for it: the count never falls
// behind the running time, and runs ahead of it by at most one tick per power-on. The time a
// unit spends without power cannot be known without a trusted clock and counts as nothing
// beyond that tick. Wall time: the server's time arrives only in a verified answer, which ends
// the outage; the unit then reports how long it was offline by its own count and by the
// server's clock, so uncounted power-off time is visible to admins.
import type { Clock, FlashStore } from './hal.js';
import type { FlashWriteAt } from './list-store.js';

export const TALLY_FILE = 'fgtly';
/** Bytes before the first tick: `{"t":<tick ms>,"w":<server ms of the last sync>}` padded with spaces. */
export const TALLY_HEADER = 40;
/** Most ticks a tally holds (the grace is reached well before). */
export const MAX_TICKS = 4096;
/** Shortest tick: fewer flash writes; also the most a power-on can over-count. */
export const MIN_TICK_MS = 10000;
const TICK_CHAR = 'x';

/**
 * The tick for a grace period: 1/4000 of it, at least MIN_TICK_MS and at least two sync
 * intervals (a unit that syncs normally never writes a tick).
 */
export function tickFor(graceMs: number, syncIntervalMs: number): number {
  return Math.max(MIN_TICK_MS, Math.ceil(graceMs / 4000), 2 * syncIntervalMs);
}

/** Ticks written in a tally file's text (they are written in order: binary search). */
export function countTicks(text: string): number {
  let lo = 0;
  let hi = text.length - TALLY_HEADER;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (text.charCodeAt(TALLY_HEADER + mid - 1) !== 0xff) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface OutageReport {
  /** Running time counted offline (ms). */
  countedMs: number;
  /** Server time now minus server time at the last sync before the outage, or -1 when unknown. */
  wallMs: number;
}

export class Freshness {
  private store: FlashStore;
  private writeAt: FlashWriteAt | null;
  private clock: Clock;
  /** Ticks recorded for the current outage. */
  private ticks = 0;
  private tickMs = MIN_TICK_MS;
  /** Clock time up to which running time is in `ticks`. */
  private mark = 0;
  /** Tally file size when it exists, else 0. */
  private size = 0;
  /** Server time (epoch ms) of the last verified sync, 0 when unknown. */
  private syncWall = 0;
  private intervalMs = 5000;
  /** Flash refused a tick: the count is kept in RAM only (reported once). */
  failed = false;

  constructor(store: FlashStore, writeAt: FlashWriteAt | null, clock: Clock) {
    this.store = store;
    this.writeAt = writeAt;
    this.clock = clock;
  }

  /** Power-on: the outage recorded before the cut, plus one tick for the unrecorded tail. */
  boot(graceMs: number, syncIntervalMs: number): void {
    this.mark = this.clock.now();
    this.ticks = 0;
    this.size = 0;
    this.intervalMs = syncIntervalMs;
    this.tickMs = tickFor(graceMs, syncIntervalMs);
    const text = this.store.read(TALLY_FILE);
    if (typeof text === 'string') {
      let head: { t?: unknown; w?: unknown } | null = null;
      try {
        head = JSON.parse(text.substring(0, TALLY_HEADER).trim());
      } catch (e) {
        head = null;
      }
      if (head && typeof head.t === 'number' && head.t >= 1000 && text.length > TALLY_HEADER) {
        this.tickMs = head.t;
        this.syncWall = typeof head.w === 'number' ? head.w : 0;
        this.size = text.length;
        this.ticks = countTicks(text);
      } else {
        this.store.erase(TALLY_FILE);
      }
    }
    this.addTick(graceMs);
  }

  /** Age of the list: running time since the last verified sync (ms). */
  ageMs(): number {
    return this.ticks * this.tickMs + (this.clock.now() - this.mark);
  }

  /** Records the ticks that are due (called from the unit's loop). */
  update(graceMs: number): void {
    const now = this.clock.now();
    // the tick is fixed when a tally starts, for the grace in force then
    if (this.size === 0 && this.ticks === 0) this.tickMs = tickFor(graceMs, this.intervalMs);
    while (now - this.mark >= this.tickMs) {
      this.mark += this.tickMs;
      this.addTick(graceMs);
    }
  }

  /**
   * A verified sync at server time `serverMs` (0 = not epoch): the age is 0 again and the tally
   * goes. Returns what the outage that just ended looked like, or null when there was none.
   */
  synced(serverMs: number, graceMs: number, syncIntervalMs: number): OutageReport | null {
    const counted = this.ageMs();
    const hadOutage = this.size > 0;
    const report: OutageReport | null = hadOutage ? { countedMs: counted, wallMs: this.syncWall > 0 && serverMs > 0 ? serverMs - this.syncWall : -1 } : null;
    if (hadOutage) this.store.erase(TALLY_FILE);
    this.size = 0;
    this.ticks = 0;
    this.mark = this.clock.now();
    this.intervalMs = syncIntervalMs;
    this.tickMs = tickFor(graceMs, syncIntervalMs);
    if (serverMs > 0) this.syncWall = serverMs;
    return report;
  }

  /** One more tick of running time: counted, and written to flash while it still matters. */
  private addTick(graceMs: number): void {
    this.ticks++;
    // past the grace (plus margin) the list is stale whatever follows: no more writes
    if (this.ticks * this.tickMs > graceMs + 2 * this.tickMs || this.ticks > MAX_TICKS) return;
    const writeAt = this.writeAt;
    if (!writeAt) {
      this.failed = true;
      return;
    }
    if (this.size === 0) {
      const room = Math.min(MAX_TICKS, Math.ceil(graceMs / this.tickMs) + 4);
      let head = JSON.stringify({ t: this.tickMs, w: this.syncWall });
      while (head.length < TALLY_HEADER) head += ' ';
      if (head.length > TALLY_HEADER || !writeAt(TALLY_FILE, head, 0, TALLY_HEADER + room)) {
        this.failed = true;
        return;
      }
      this.size = TALLY_HEADER + room;
    }
    const at = TALLY_HEADER + this.ticks - 1;
    if (at < this.size && !writeAt(TALLY_FILE, TICK_CHAR, at, this.size)) this.failed = true;
  }
}
