// The audit log: every event appended as one JSON line to events.jsonl (cost per event does not
// grow with history; one write in flight, later lines batched behind it), the newest events and
// sessions (derived from session_start/session_end) indexed in memory up to a bound, and queries
// that reach further back read the file.
import type { FileHandle } from 'node:fs/promises';
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { StoredEvent, StoredSession } from '@fobgate/shared';
import { openPrivate } from './private-files.js';

export type NewEvent = Omit<StoredEvent, 'id'>;

export interface EventQuery {
  machine?: string;
  /** account_id, fob code or full name (case-insensitive). */
  member?: string;
  /** Epoch ms, inclusive: events by time, sessions by start. */
  from?: number;
  to?: number;
  limit?: number;
}

export interface EventLogOptions {
  /** Newest events (and sessions) kept in memory; older ones are read from the file (100 000). */
  memoryLimit?: number;
}

export interface EventLogInfo {
  /** Lines that could not be read back (e.g. a line cut short by a crash). */
  skippedLines: number;
}

interface SessionRec extends StoredSession {
  /** id of the event that started it (or ended it, when the start was never seen). */
  startId: number;
}

function matchesMember(member: string, account: string | null, fob: string | null, name: string | null): boolean {
  return account === member || fob === member || (name !== null && name.toLowerCase() === member.toLowerCase());
}

function eventMatches(q: EventQuery, e: StoredEvent): boolean {
  if (q.machine !== undefined && e.machine !== q.machine) return false;
  if (q.from !== undefined && e.at < q.from) return false;
  if (q.to !== undefined && e.at > q.to) return false;
  return q.member === undefined || matchesMember(q.member, e.account_id, e.fob, e.full_name);
}

function sessionMatches(q: EventQuery, s: StoredSession): boolean {
  if (q.machine !== undefined && s.machine !== q.machine) return false;
  if (q.from !== undefined && s.start < q.from) return false;
  if (q.to !== undefined && s.start > q.to) return false;
  return q.member === undefined || matchesMember(q.member, s.account_id, s.fob, s.full_name);
}

function publicSession(s: SessionRec): StoredSession {
  return {
    machine: s.machine,
    account_id: s.account_id,
    full_name: s.full_name,
    fob: s.fob,
    start: s.start,
    end: s.end,
    duration_ms: s.duration_ms,
    override: s.override,
  };
}

function parseLine(line: string): StoredEvent | null {
  try {
    const ev = JSON.parse(line) as StoredEvent;
    if (ev === null || typeof ev !== 'object' || typeof ev.id !== 'number' || typeof ev.machine !== 'string' || typeof ev.type !== 'string') {
      return null;
    }
    return ev;
  } catch {
    return null;
  }
}

/** Turns session_start / session_end events into sessions, emitted when they start. */
class SessionDeriver {
  private open: { [machine: string]: SessionRec } = {};
  constructor(private emit: (s: SessionRec) => void) {}

  feed(ev: StoredEvent): void {
    if (ev.type === 'session_start') {
      const prev = this.open[ev.machine];
      if (prev && prev.end === null) {
        prev.end = ev.at;
        prev.duration_ms = Math.max(0, ev.at - prev.start);
      }
      const s: SessionRec = {
        machine: ev.machine,
        account_id: ev.account_id,
        full_name: ev.full_name ?? '',
        fob: ev.fob ?? '',
        start: ev.at,
        end: null,
        duration_ms: null,
        override: ev.reason === 'override',
        startId: ev.id,
      };
      this.open[ev.machine] = s;
      this.emit(s);
    } else if (ev.type === 'session_end') {
      const s = this.open[ev.machine];
      if (s && s.end === null) {
        s.end = ev.at;
        s.duration_ms = ev.duration_ms ?? Math.max(0, ev.at - s.start);
        delete this.open[ev.machine];
      } else {
        // The start was never seen (e.g. a unit that buffered only the end): reconstruct it.
        const dur = ev.duration_ms ?? 0;
        this.emit({
          machine: ev.machine,
          account_id: ev.account_id,
          full_name: ev.full_name ?? '',
          fob: ev.fob ?? '',
          start: ev.at - dur,
          end: ev.at,
          duration_ms: dur,
          override: ev.detail === 'override',
          startId: ev.id,
        });
      }
    }
  }
}

/** Keeps the newest `size` items pushed. */
class Newest<T> {
  items: T[] = [];
  constructor(private size: number) {}
  push(x: T): void {
    if (this.size <= 0) return;
    this.items.push(x);
    if (this.items.length > this.size * 2 + 64) this.items.splice(0, this.items.length - this.size);
  }
  /** Newest first. */
  newestFirst(): T[] {
    return this.items.slice(-this.size).reverse();
  }
}

export class EventLog {
  readonly path: string;
  readonly info: EventLogInfo;
  private readonly memoryLimit: number;
  private events: StoredEvent[] = [];
  private sessionList: SessionRec[] = [];
  private deriver: SessionDeriver;
  /** Events or sessions were dropped from memory: older ones live only in the file. */
  private evictedEvents = false;
  private evictedSessions = false;
  private lastByMachine: { [machine: string]: StoredEvent } = {};
  private nextId = 1;
  private pending: string[] = [];
  private inFlight: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  private needsNewline = false;
  private written = 0;
  private appended = 0;
  private closed = false;

  private constructor(path: string, opts: EventLogOptions) {
    this.path = path;
    this.info = { skippedLines: 0 };
    this.memoryLimit = Math.max(1, opts.memoryLimit ?? 100000);
    this.deriver = new SessionDeriver((s) => {
      this.sessionList.push(s);
      if (this.sessionList.length > this.memoryLimit + Math.ceil(this.memoryLimit / 10)) {
        this.sessionList.splice(0, this.sessionList.length - this.memoryLimit);
        this.evictedSessions = true;
      }
    });
  }

  /** Reads the existing log (if any; line by line) and returns a log ready to append to. */
  static open(path: string, opts: EventLogOptions = {}): EventLog {
    const log = new EventLog(path, opts);
    if (!existsSync(path)) return log;
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      let rest = '';
      let lastByte = -1;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n <= 0) break;
        lastByte = buf[n - 1];
        const lines = (rest + buf.toString('utf8', 0, n)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) log.load(line);
      }
      log.load(rest);
      log.needsNewline = lastByte !== -1 && lastByte !== 0x0a;
    } finally {
      closeSync(fd);
    }
    return log;
  }

  private load(line: string): void {
    if (line.trim() === '') return;
    const ev = parseLine(line);
    if (!ev) {
      this.info.skippedLines++;
      return;
    }
    this.index(ev);
    if (ev.id >= this.nextId) this.nextId = ev.id + 1;
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
    if (this.needsNewline) text = '\n' + text;
    try {
      if (!this.handle) this.handle = await openPrivate(this.path, 'a');
      await this.handle.write(text);
      this.needsNewline = false;
      await this.handle.datasync();
      this.written += batch.length;
    } catch (e) {
      // Put the lines back so a later flush retries them; the caller sees the failure.
      this.pending = batch.concat(this.pending);
      throw e;
    }
  }

  /** Events matching the query, newest first (reads the file for what memory no longer holds). */
  async query(q: EventQuery): Promise<StoredEvent[]> {
    const limit = q.limit ?? 100;
    const out: StoredEvent[] = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < limit; i--) {
      if (eventMatches(q, this.events[i])) out.push(this.events[i]);
    }
    if (out.length < limit && this.evictedEvents && this.events.length > 0) {
      const boundary = this.events[0].id;
      const older = new Newest<StoredEvent>(limit - out.length);
      await this.scanFile((ev) => {
        if (ev.id < boundary && eventMatches(q, ev)) older.push(ev);
      });
      for (const e of older.newestFirst()) out.push(e);
    }
    return out;
  }

  /** Sessions (by start time) matching the query, newest first. */
  async sessions(q: EventQuery): Promise<StoredSession[]> {
    const limit = q.limit ?? 100;
    const out: StoredSession[] = [];
    for (let i = this.sessionList.length - 1; i >= 0 && out.length < limit; i--) {
      if (sessionMatches(q, this.sessionList[i])) out.push(publicSession(this.sessionList[i]));
    }
    if (out.length < limit && this.evictedSessions && this.sessionList.length > 0) {
      const boundary = this.sessionList[0].startId;
      const older = new Newest<SessionRec>(limit - out.length);
      const deriver = new SessionDeriver((s) => {
        if (s.startId < boundary && sessionMatches(q, s)) older.push(s);
      });
      await this.scanFile((ev) => deriver.feed(ev));
      for (const s of older.newestFirst()) out.push(publicSession(s));
    }
    return out;
  }

  private async scanFile(each: (ev: StoredEvent) => void): Promise<void> {
    if (!existsSync(this.path)) return;
    const lines = createInterface({ input: createReadStream(this.path, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const ev = parseLine(line);
      if (ev) each(ev);
    }
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
    if (this.events.length > this.memoryLimit + Math.ceil(this.memoryLimit / 10)) {
      this.events.splice(0, this.events.length - this.memoryLimit);
      this.evictedEvents = true;
    }
    this.lastByMachine[ev.machine] = ev;
    this.deriver.feed(ev);
  }
}
