// The unit's event buffer: a bounded ring of event files in Storage with device-side sequence
// numbers that survive reboots. Events are sent oldest first and erased once the server has
// acknowledged them; on overflow the oldest is dropped and the loss is counted and reported.
import type { DeviceEvent } from '@fobgate/shared';
import type { FlashStore } from './hal.js';
import { DurableRecord } from './durable-record.js';

/** Storage name prefix of one event file (`fgev` + slot). */
export const EVENT_FILE_PREFIX = 'fgev';
export const EVENT_META_FILE = 'fgevm';
/** Events held while the server is away (~70 sessions with their starts, ends and denials). */
export const DEFAULT_EVENT_CAPACITY = 200;

/** An event before the ring numbers it. */
export type NewEvent = Omit<DeviceEvent, 'seq'>;

interface RingMeta {
  /** Next sequence number to hand out (never goes back). */
  next: number;
  /** Events lost to overflow since the buffer was created. */
  dropped: number;
  /** Of those, how many no 'dropped' event has reported yet. */
  unreported: number;
}

function parseEvent(text: string | undefined): DeviceEvent | null {
  if (typeof text !== 'string') return null;
  try {
    const e = JSON.parse(text);
    if (e && typeof e.seq === 'number' && typeof e.type === 'string') return e as DeviceEvent;
  } catch (err) {
    // a torn write: the slot counts as empty
  }
  return null;
}

export class EventRing {
  private store: FlashStore;
  private capacity: number;
  private meta: DurableRecord<RingMeta>;
  /** Oldest event still held. */
  private first = 1;
  /** Next sequence number. */
  private next = 1;
  private dropped = 0;
  private unreported = 0;

  constructor(store: FlashStore, capacity: number) {
    this.store = store;
    this.capacity = capacity > 0 ? capacity : DEFAULT_EVENT_CAPACITY;
    this.meta = new DurableRecord<RingMeta>(store, EVENT_META_FILE);
  }

  /** Reads the ring back from flash (after a reboot). */
  load(): void {
    const m = this.meta.load();
    let next = m && m.next > 0 ? m.next : 1;
    this.dropped = m && m.dropped > 0 ? m.dropped : 0;
    this.unreported = m && m.unreported > 0 ? m.unreported : 0;
    let min = -1;
    // one directory scan, then only the event files that exist (each lookup walks the flash)
    const names = this.store.list(EVENT_FILE_PREFIX);
    for (const name of names) {
      const tail = name.substring(EVENT_FILE_PREFIX.length);
      let digits = tail.length > 0;
      for (let i = 0; i < tail.length; i++) if (tail.charCodeAt(i) < 48 || tail.charCodeAt(i) > 57) digits = false;
      if (!digits) continue;
      const slot = parseInt(tail, 10);
      const e = parseEvent(this.store.read(name));
      if (!e || slot >= this.capacity || e.seq % this.capacity !== slot) continue;
      if (e.seq + 1 > next) next = e.seq + 1;
      if (min < 0 || e.seq < min) min = e.seq;
    }
    this.next = next;
    this.first = min < 0 ? next : min;
    if (this.next - this.first > this.capacity) this.first = this.next - this.capacity;
  }

  /** Number of events waiting for an acknowledgement. */
  pending(): number {
    return this.next - this.first;
  }

  /** Sequence number the next event will get. */
  nextSeq(): number {
    return this.next;
  }

  /** Total events lost to overflow. */
  droppedTotal(): number {
    return this.dropped;
  }

  /** Numbers and stores an event; drops the oldest one when full. Returns the seq. */
  append(ev: NewEvent): number {
    const seq = this.next;
    if (seq - this.first >= this.capacity) {
      this.first = seq - this.capacity + 1;
      this.dropped++;
      this.unreported++;
      this.saveMeta(seq + 1);
    }
    const full = ev as DeviceEvent;
    full.seq = seq;
    this.store.write(EVENT_FILE_PREFIX + (seq % this.capacity), JSON.stringify(full));
    this.next = seq + 1;
    return seq;
  }

  /** Up to max events, oldest first (slots lost to a torn write are skipped). */
  peek(max: number): DeviceEvent[] {
    const out: DeviceEvent[] = [];
    for (let seq = this.first; seq < this.next && out.length < max; seq++) {
      const e = parseEvent(this.store.read(EVENT_FILE_PREFIX + (seq % this.capacity)));
      if (e && e.seq === seq) out.push(e);
    }
    return out;
  }

  /**
   * The server has stored every event up to ackSeq: erase them. Reports an earlier overflow as
   * a 'dropped' event (built by the caller's stamp function) once there is room again.
   */
  ack(ackSeq: number, stamp: (ev: NewEvent) => NewEvent): void {
    if (!(ackSeq >= this.first)) return;
    const upto = ackSeq < this.next ? ackSeq : this.next - 1;
    const report = this.unreported;
    this.unreported = 0;
    this.saveMeta(this.next);
    for (let seq = this.first; seq <= upto; seq++) this.store.erase(EVENT_FILE_PREFIX + (seq % this.capacity));
    this.first = upto + 1;
    if (report > 0) this.append(stamp({ type: 'dropped', at: 0, up: 0, count: report }));
  }

  private saveMeta(next: number): void {
    this.meta.save({ next: next, dropped: this.dropped, unreported: this.unreported });
  }
}
