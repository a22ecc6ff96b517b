// The audit log as the server's main thread sees it: append() assigns an id and queues the event,
// flush() resolves once everything appended is committed (the writer worker group-commits them
// to SQLite), queries go to the reader worker (bounded, index-backed, paged), and the newest event
// of every machine is kept for the fleet view. Start-up reads only the schema, the next id and one
// row per machine, so it costs the same after ten events or ten million; the main thread keeps no
// history in memory. An events.jsonl of earlier versions is imported once. Old events are pruned
// by the retention setting (sessions' monthly usage is kept).
import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { StoredEvent, StoredSession } from '@fobgate/shared';
import {
  lastEvents,
  openEventDb,
  prepareSchema,
  type EventQuery,
  type NewEvent,
  type Page,
  type UsageQuery,
  type UsageKey,
  type UsageRow,
} from './event-db.js';
import { importJsonl, type ImportResult } from './event-import.js';
import { spawnWorker } from './worker-spawn.js';
import type { ReaderReply, ReaderRequest, WriterReply, WriterRequest } from './event-worker.js';

export type { EventQuery, NewEvent, Page, UsageKey, UsageQuery, UsageRow };

export interface EventLogOptions {
  /** Days of events and sessions kept; 0 keeps everything (default 0). */
  retentionDays?: number;
  /** How often old rows are pruned, ms (default one hour). */
  pruneEveryMs?: number;
  clock?: () => number;
}

export interface EventLogInfo {
  /** What the one-time import of events.jsonl did, when it ran at this start. */
  imported: ImportResult | null;
}

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const PRUNE_BATCH = 5000;
/** How long a query waits for appends still being committed (a stuck disk must not stop reads). */
const READ_WAIT_MS = 2000;
const WORKER_URL = new URL(`./event-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class EventLog {
  readonly path: string;
  readonly info: EventLogInfo;
  private nextId: number;
  private readonly lastByMachine = new Map<string, StoredEvent>();
  /** Appended, not yet posted to the writer. */
  private pending: StoredEvent[] = [];
  /** Posted, not yet confirmed durable (re-posted after a failed commit). */
  private sent: StoredEvent[] = [];
  private durableId: number;
  private waiters: Waiter[] = [];
  private postScheduled = false;
  private readonly writer: Worker;
  private readonly reader: Worker;
  private readonly queries = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextQuery = 1;
  private lastError: Error | null = null;
  /** A thread that stopped on an error: later calls fail at once instead of waiting forever. */
  private writerDead: Error | null = null;
  private readerDead: Error | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pruning = false;
  private pruneDone: (() => void) | null = null;
  private closed = false;
  private readonly retentionMs: number;
  private readonly clock: () => number;
  private readonly readyBoth: Promise<void>;
  private writerReady: () => void = () => undefined;
  private readonly started = { writer: false, reader: false };
  private readerReady: () => void = () => undefined;

  private constructor(path: string, nextId: number, last: StoredEvent[], imported: ImportResult | null, o: EventLogOptions) {
    this.path = path;
    this.nextId = nextId;
    this.durableId = nextId - 1;
    this.info = { imported };
    for (const e of last) this.lastByMachine.set(e.machine, e);
    this.retentionMs = Math.max(0, o.retentionDays ?? 0) * 86_400_000;
    this.clock = o.clock ?? Date.now;
    const w = new Promise<void>((r) => (this.writerReady = r)).then(() => {
      this.started.writer = true;
      this.updateRefs();
    });
    const r = new Promise<void>((res) => (this.readerReady = res)).then(() => {
      this.started.reader = true;
      this.updateRefs();
    });
    this.readyBoth = Promise.all([w, r]).then(() => undefined);
    this.writer = spawnWorker(WORKER_URL, { role: 'writer', path });
    this.writer.on('message', (m: WriterReply) => this.onWriter(m));
    this.writer.on('error', (e) => {
      this.writerReady();
      this.writerDead = e;
      this.failAll(e);
    });
    this.reader = spawnWorker(WORKER_URL, { role: 'reader', path });
    this.reader.on('message', (m: ReaderReply) => this.onReader(m));
    this.reader.on('error', (e) => {
      this.readerReady();
      this.readerDead = e;
      for (const q of this.queries.values()) q.reject(e);
      this.queries.clear();
    });
    this.updateRefs();
    if (this.retentionMs > 0) {
      this.pruneTimer = setInterval(() => void this.prune(), o.pruneEveryMs ?? 3_600_000);
      this.pruneTimer.unref();
    }
  }

  /**
   * Opens the database at `path` (created 0600 when missing; events.jsonl beside it is imported
   * once) and starts the writer and reader threads.
   */
  static open(path: string, o: EventLogOptions = {}): EventLog {
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    const db = openEventDb(path);
    let nextId: number;
    let last: StoredEvent[];
    let imported: ImportResult | null;
    try {
      nextId = prepareSchema(db);
      imported = importJsonl(db, join(dirname(path), 'events.jsonl'));
      if (imported) nextId = prepareSchema(db);
      last = lastEvents(db);
    } finally {
      db.close();
    }
    return new EventLog(path, nextId, last, imported, o);
  }

  /** Events appended but not yet on disk. */
  get pendingCount(): number {
    return this.nextId - 1 - this.durableId;
  }

  /** Assigns an id and queues the event; `flush()` resolves once it is on disk. */
  append(ev: NewEvent): StoredEvent {
    const stored: StoredEvent = Object.assign({ id: this.nextId++ }, ev);
    this.pending.push(stored);
    if (stored.machine) this.lastByMachine.set(stored.machine, stored);
    if (!this.postScheduled) {
      this.postScheduled = true;
      setImmediate(() => this.post());
    }
    return stored;
  }

  private post(): void {
    this.postScheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
    for (const e of batch) this.sent.push(e);
    this.writer.postMessage({ op: 'append', events: JSON.stringify(batch) } satisfies WriterRequest);
  }

  /** Resolves when every event appended so far is committed; rejects if that commit failed. */
  flush(): Promise<void> {
    const target = this.nextId - 1;
    if (this.durableId >= target) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    if (this.writerDead) return Promise.reject(new Error(`event log writer stopped: ${this.writerDead.message}`));
    // a failed commit left its events in `sent`: offer them again with the new ones
    if (this.lastError && this.sent.length) {
      this.pending = this.sent.concat(this.pending);
      this.sent = [];
      this.lastError = null;
    }
    // Appends already scheduled their post for this turn's end: every request of the turn then
    // goes to the writer in one message (posting here sent one message per saving request: in a
    // reboot storm 2,000 structured clones on the main thread and as many reads in the writer).
    if (!this.postScheduled) this.post();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
    this.updateRefs();
    return done;
  }

  /** Resolves once both threads have their database open (the first save then waits for no start-up). */
  ready(): Promise<void> {
    return this.readyBoth;
  }

  private onWriter(m: WriterReply): void {
    if (m.op === 'ready') {
      this.writerReady();
    } else if (m.op === 'appended') {
      if (m.upTo > this.durableId) this.durableId = m.upTo;
      let i = 0;
      while (i < this.sent.length && this.sent[i].id <= m.upTo) i++;
      this.sent.splice(0, i);
      this.lastError = null;
      this.settle((w) => w.target <= this.durableId, null);
    } else if (m.op === 'failed') {
      this.lastError = new Error(`event log write failed: ${m.message}`);
      this.settle((w) => w.target <= m.upTo, this.lastError);
    } else if (m.op === 'pruned') {
      if (this.pruneDone) this.pruneDone();
      this.pruneDone = null;
      this.lastPruned = m.rows;
    }
  }

  private lastPruned = 0;

  /** The threads keep the process alive only while someone waits on them. */
  private updateRefs(): void {
    if (this.closed) {
      // closing: both threads keep the process alive until they have exited
      this.writer.ref();
      this.reader.ref();
      return;
    }
    if (this.waiters.length > 0 || this.pruning || !this.started.writer) this.writer.ref();
    else this.writer.unref();
    if (this.queries.size > 0 || !this.started.reader) this.reader.ref();
    else this.reader.unref();
  }

  private settle(match: (w: Waiter) => boolean, error: Error | null): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (!match(w)) keep.push(w);
      else if (error) w.reject(error);
      else w.resolve();
    }
    this.waiters = keep;
    this.updateRefs();
  }

  private failAll(e: Error): void {
    this.lastError = e;
    this.settle(() => true, e);
  }

  private ask<T>(req: { op: 'events' | 'sessions'; q: EventQuery } | { op: 'usage'; q: UsageQuery }): Promise<T> {
    if (this.closed) return Promise.reject(new Error('event log is closed'));
    if (this.readerDead) return Promise.reject(new Error(`event log reader stopped: ${this.readerDead.message}`));
    const id = this.nextQuery++;
    return new Promise<T>((resolve, reject) => {
      this.queries.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.updateRefs();
      this.reader.postMessage({ ...req, id } as ReaderRequest);
    });
  }

  private onReader(m: ReaderReply): void {
    if (m.id === 0) {
      this.readerReady();
      return;
    }
    const q = this.queries.get(m.id);
    if (!q) return;
    this.queries.delete(m.id);
    this.updateRefs();
    if (m.ok) q.resolve(m.result);
    else q.reject(new Error(m.message));
  }

  /** A page of events matching the query, newest first (by time, then id). */
  async queryPage(q: EventQuery): Promise<Page<StoredEvent>> {
    await this.flushQuietly();
    return this.ask<Page<StoredEvent>>({ op: 'events', q });
  }

  /** Events matching the query, newest first. */
  async query(q: EventQuery): Promise<StoredEvent[]> {
    return (await this.queryPage(q)).items;
  }

  /** A page of sessions (by start time) matching the query, newest first. */
  async sessionsPage(q: EventQuery): Promise<Page<StoredSession>> {
    await this.flushQuietly();
    return this.ask<Page<StoredSession>>({ op: 'sessions', q });
  }

  async sessions(q: EventQuery): Promise<StoredSession[]> {
    return (await this.sessionsPage(q)).items;
  }

  /** Monthly usage per member and machine (sessions counted in the month they started). */
  async usage(q: UsageQuery): Promise<UsageRow[]> {
    await this.flushQuietly();
    return this.ask<UsageRow[]>({ op: 'usage', q });
  }

  /** Reads see what was appended before them (a failed or stuck commit does not block a read). */
  private async flushQuietly(): Promise<void> {
    if (this.pendingCount === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, READ_WAIT_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  lastEvent(machine: string): StoredEvent | null {
    return this.lastByMachine.get(machine) ?? null;
  }

  /** Deletes events and sessions older than the retention, a batch per writer turn; answers rows deleted. */
  async prune(): Promise<number> {
    if (this.retentionMs <= 0 || this.pruning || this.closed) return 0;
    this.pruning = true;
    this.updateRefs();
    const before = this.clock() - this.retentionMs;
    let total = 0;
    try {
      for (;;) {
        await new Promise<void>((resolve) => {
          this.pruneDone = resolve;
          this.writer.postMessage({ op: 'prune', before, batch: PRUNE_BATCH } satisfies WriterRequest);
        });
        total += this.lastPruned;
        if (this.lastPruned === 0 || this.closed) break;
      }
    } finally {
      this.pruning = false;
      this.updateRefs();
    }
    return total;
  }

  /** Commits what is pending (bounded wait), then stops both threads. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.flush(),
        new Promise<void>((r) => {
          timer = setTimeout(r, 5000);
          timer.unref();
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.closed = true;
      this.writer.ref();
      this.reader.ref();
      const stopped = (w: Worker) => new Promise<void>((r) => w.once('exit', () => r()));
      const w = stopped(this.writer);
      const r = stopped(this.reader);
      this.writer.postMessage({ op: 'close' } satisfies WriterRequest);
      this.reader.postMessage({ op: 'close', id: 0 } satisfies ReaderRequest);
      const guard = setTimeout(() => {
        void this.writer.terminate();
        void this.reader.terminate();
      }, 5000);
      guard.unref();
      await Promise.all([w, r]);
      clearTimeout(guard);
      for (const q of this.queries.values()) q.reject(new Error('event log is closed'));
      this.queries.clear();
    }
  }
}
