// The audit log: every event appended as one JSON line to events.jsonl (cost per event does not
// grow with history; one write in flight, later lines batched behind it), an in-memory index for
// queries, and sessions derived from session_start/session_end events.
import { open, type FileHandle } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import type { StoredEvent, StoredSession } from '@fobgate/shared';

export type NewEvent = Omit<StoredEvent, 'id'>;

export interface EventQuery {
  machine?: string;
  /** account_id, fob code or full name (case-insensitive). */
  member?: string;
  from?: number;
  to?: number;
  limit?: number;
}

export interface EventLogInfo {
  /** Lines that could not be read back (e.g. a line cut short by a crash). */
  skippedLines: number;
}

function matchesMember(member: string, account: string | null, fob: string | null, name: string | null): boolean {
  const m = member.toLowerCase();
  return account === member || fob === member || (name !== null && name.toLowerCase() === m);
}

export class EventLog {
  readonly path: string;
  readonly info: EventLogInfo;
  private events: StoredEvent[] = [];
  private sessionList: StoredSession[] = [];
  private openSession: { [machine: string]: StoredSession } = {};
  private lastByMachine: { [machine: string]: StoredEvent } = {};
  private nextId = 1;
  private pending: string[] = [];
  private inFlight: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  private needsNewline = false;
  private written = 0;
  private appended = 0;
  private closed = false;

  private constructor(path: string) {
    this.path = path;
    this.info = { skippedLines: 0 };
  }

  /** Reads the existing log (if any) and returns a log ready to append to. */
  static open(path: string): EventLog {
    const log = new EventLog(path);
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      log.needsNewline = text.length > 0 && !text.endsWith('\n');
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const ev = JSON.parse(line) as StoredEvent;
          if (typeof ev.id !== 'number' || typeof ev.machine !== 'string' || typeof ev.type !== 'string') {
            log.info.skippedLines++;
            continue;
          }
          log.index(ev);
          if (ev.id >= log.nextId) log.nextId = ev.id + 1;
        } catch {
          log.info.skippedLines++;
        }
      }
    }
    return log;
  }

  get count(): number {
    return this.events.length;
  }

  /** Events appended but not yet on disk. */
  get pendingCount(): number {
    return this.appended - this.written;
  }

  /** Assigns an id, indexes the event and queues its line; `flush()` resolves once it is on disk. */
  append(ev: NewEvent): StoredEvent {
    const stored: StoredEvent = Object.assign({ id: this.nextId++ }, ev);
    this.index(stored);
    this.pending.push(JSON.stringify(stored) + '\n');
    this.appended++;
    return stored;
  }

  /** Resolves when every event appended so far has been written (and synced) to the file. */
  flush(): Promise<void> {
    const target = this.appended;
    const loop = async (): Promise<void> => {
      while (this.written < target) {
        if (this.inFlight) {
          await this.inFlight;
          continue;
        }
        this.inFlight = this.writePending().finally(() => {
          this.inFlight = null;
        });
        await this.inFlight;
      }
    };
    return loop();
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    let text = batch.join('');
    if (this.needsNewline) {
      text = '\n' + text;
      this.needsNewline = false;
    }
    try {
      if (!this.handle) this.handle = await open(this.path, 'a');
      await this.handle.write(text);
      await this.handle.datasync();
      this.written += batch.length;
    } catch (e) {
      // Put the lines back so a later flush retries them; the caller sees the failure.
      this.pending = batch.concat(this.pending);
      throw e;
    }
  }

  query(q: EventQuery): StoredEvent[] {
    const limit = q.limit ?? 100;
    const out: StoredEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.events[i];
      if (q.machine !== undefined && e.machine !== q.machine) continue;
      if (q.from !== undefined && e.at < q.from) continue;
      if (q.to !== undefined && e.at > q.to) continue;
      if (q.member !== undefined && !matchesMember(q.member, e.account_id, e.fob, e.full_name)) continue;
      out.push(e);
    }
    return out;
  }

  sessions(q: EventQuery): StoredSession[] {
    const limit = q.limit ?? 100;
    const out: StoredSession[] = [];
    for (let i = this.sessionList.length - 1; i >= 0 && out.length < limit; i--) {
      const s = this.sessionList[i];
      if (q.machine !== undefined && s.machine !== q.machine) continue;
      if (q.to !== undefined && s.start > q.to) continue;
      if (q.from !== undefined && s.end !== null && s.end < q.from) continue;
      if (q.member !== undefined && !matchesMember(q.member, s.account_id, s.fob, s.full_name)) continue;
      out.push(Object.assign({}, s));
    }
    return out;
  }

  lastEvent(machine: string): StoredEvent | null {
    return this.lastByMachine[machine] ?? null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      const h = this.handle;
      this.handle = null;
      if (h) await h.close();
    }
  }

  private index(ev: StoredEvent): void {
    this.events.push(ev);
    this.lastByMachine[ev.machine] = ev;
    if (ev.type === 'session_start') {
      const prev = this.openSession[ev.machine];
      if (prev && prev.end === null) {
        prev.end = ev.at;
        prev.duration_ms = Math.max(0, ev.at - prev.start);
      }
      const s: StoredSession = {
        machine: ev.machine,
        account_id: ev.account_id,
        full_name: ev.full_name ?? '',
        fob: ev.fob ?? '',
        start: ev.at,
        end: null,
        duration_ms: null,
        override: ev.reason === 'override',
      };
      this.sessionList.push(s);
      this.openSession[ev.machine] = s;
    } else if (ev.type === 'session_end') {
      const s = this.openSession[ev.machine];
      if (s && s.end === null) {
        s.end = ev.at;
        s.duration_ms = ev.duration_ms ?? Math.max(0, ev.at - s.start);
        delete this.openSession[ev.machine];
      } else {
        // The start was never seen (e.g. a unit that buffered only the end): reconstruct it.
        const dur = ev.duration_ms ?? 0;
        this.sessionList.push({
          machine: ev.machine,
          account_id: ev.account_id,
          full_name: ev.full_name ?? '',
          fob: ev.fob ?? '',
          start: ev.at - dur,
          end: ev.at,
          duration_ms: dur,
          override: ev.detail === 'override',
        });
      }
    }
  }
}
