// The audit log's database (SQLite through better-sqlite3, WAL): the schema, the writes (events,
// the sessions derived from session_start/session_end, the monthly usage per member and machine,
// the last event per machine) and the bounded queries (by machine, member, time range; newest
// first; keyset-paged). Synchronous: it runs inside the event-log worker threads (and once on the
// main thread at start-up for the schema and the id to continue from), never on a request path.
import Database from 'better-sqlite3';
import type { StoredEvent, StoredSession } from '@fobgate/shared';
import type { EventQuery, Page, UsageQuery, UsageRow } from './event-queries.js';

type DB = Database.Database;

export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  machine TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  account_id TEXT,
  full_name TEXT,
  fob TEXT,
  reason TEXT,
  duration_ms INTEGER,
  detail TEXT,
  unit_seq INTEGER
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE INDEX IF NOT EXISTS events_machine_at ON events(machine, at);
CREATE INDEX IF NOT EXISTS events_account_at ON events(account_id, at) WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_fob_at ON events(fob, at) WHERE fob IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_name_at ON events(full_name COLLATE NOCASE, at) WHERE full_name IS NOT NULL;
CREATE TABLE IF NOT EXISTS sessions (
  id INTEGER PRIMARY KEY,
  machine TEXT NOT NULL,
  account_id TEXT,
  full_name TEXT NOT NULL,
  fob TEXT NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER,
  duration_ms INTEGER,
  override INTEGER NOT NULL,
  start_event INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_start ON sessions(start);
CREATE INDEX IF NOT EXISTS sessions_machine_start ON sessions(machine, start);
CREATE INDEX IF NOT EXISTS sessions_account_start ON sessions(account_id, start) WHERE account_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_fob_start ON sessions(fob, start);
CREATE INDEX IF NOT EXISTS sessions_name_start ON sessions(full_name COLLATE NOCASE, start);
CREATE INDEX IF NOT EXISTS sessions_open ON sessions(machine) WHERE end IS NULL;
CREATE TABLE IF NOT EXISTS usage_monthly (
  month TEXT NOT NULL,
  machine TEXT NOT NULL,
  member TEXT NOT NULL,
  full_name TEXT NOT NULL,
  sessions INTEGER NOT NULL,
  total_ms INTEGER NOT NULL,
  PRIMARY KEY (month, machine, member)
);
CREATE TABLE IF NOT EXISTS last_event (machine TEXT PRIMARY KEY, event_id INTEGER NOT NULL);
`;

// The query and row shapes live in event-queries.ts; re-exported for the log's users.
export type { NewEvent, EventQuery, Page, UsageQuery, UsageKey, UsageRow } from './event-queries.js';

/** Pages written to the WAL before it is checkpointed into the database (SQLite's default). */
export const WAL_CHECKPOINT_PAGES = 1000;
/** Size the WAL file is truncated to after a checkpoint, bytes. */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

/** Opens (creating) the database with the pragmas every connection of ours uses. */
export function openEventDb(path: string, opts: { readonly?: boolean } = {}): DB {
  // The reader opens read-write but refuses writes (query_only): a read-only connection cannot
  // open a WAL database whose -shm file is gone (the last connection closed it).
  const db = new Database(path, { fileMustExist: opts.readonly === true });
  db.pragma('busy_timeout = 5000');
  if (opts.readonly) {
    db.pragma('query_only = ON');
  } else {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk when it returns (units get ack_seq only for stored events)
    db.pragma('synchronous = FULL');
    // the WAL is checkpointed every WAL_CHECKPOINT_PAGES pages and cut back to this size after
    // each checkpoint, so its file stays bounded whatever a burst of commits wrote
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
    db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  db.pragma('cache_size = -16000');
  return db;
}

/** Creates the tables and indexes when missing; answers the id the next event takes. */
export function prepareSchema(db: DB): number {
  db.exec(SCHEMA);
  db.prepare(`INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
  const row = db.prepare('SELECT max(id) AS id FROM events').get() as { id: number | null };
  return (row.id ?? 0) + 1;
}

export function metaGet(db: DB, key: string): string | null {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row ? row.value : null;
}

export function metaSet(db: DB, key: string, value: string): void {
  db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** The newest event of every machine (one row per machine: start-up cost independent of history). */
export function lastEvents(db: DB): StoredEvent[] {
  return db.prepare('SELECT e.* FROM last_event l JOIN events e ON e.id = l.event_id').all() as StoredEvent[];
}

/** YYYY-MM of an epoch ms in the server's local time zone (billing months). */
export function monthOf(ms: number): string {
  const d = new Date(ms);
  const m = d.getMonth() + 1;
  return `${d.getFullYear()}-${m < 10 ? '0' : ''}${m}`;
}

interface OpenSession {
  id: number;
  start: number;
  account_id: string | null;
  full_name: string;
}

/**
 * Writes events (ids already assigned) and keeps sessions, monthly usage and the last event per
 * machine in step, in one transaction per call.
 */
export class EventWriter {
  private readonly db: DB;
  private readonly insertEvent: Database.Statement;
  private readonly insertSession: Database.Statement;
  private readonly closeSession: Database.Statement;
  private readonly findOpen: Database.Statement;
  private readonly addUsage: Database.Statement;
  private readonly setLast: Database.Statement;
  private readonly writeMany: (events: StoredEvent[]) => void;

  constructor(db: DB) {
    this.db = db;
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO events(id, machine, at, type, source, account_id, full_name, fob, reason, duration_ms, detail, unit_seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertSession = db.prepare(
      `INSERT INTO sessions(machine, account_id, full_name, fob, start, end, duration_ms, override, start_event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.closeSession = db.prepare('UPDATE sessions SET end = ?, duration_ms = ? WHERE id = ?');
    this.findOpen = db.prepare(
      'SELECT id, start, account_id, full_name FROM sessions WHERE machine = ? AND end IS NULL ORDER BY start DESC, id DESC LIMIT 1',
    );
    this.addUsage = db.prepare(
      `INSERT INTO usage_monthly(month, machine, member, full_name, sessions, total_ms) VALUES (?, ?, ?, ?, 1, ?)
       ON CONFLICT(month, machine, member) DO UPDATE SET sessions = sessions + 1, total_ms = total_ms + excluded.total_ms,
       full_name = excluded.full_name`,
    );
    this.setLast = db.prepare(
      `INSERT INTO last_event(machine, event_id) VALUES (?, ?)
       ON CONFLICT(machine) DO UPDATE SET event_id = max(event_id, excluded.event_id)`,
    );
    this.writeMany = db.transaction((events: StoredEvent[]) => {
      const last = new Map<string, number>();
      for (const e of events) {
        // positional: binding twelve named parameters looked each one up on the object by name,
        // a fifth of this thread's instructions per event (callgrind)
        const r = this.insertEvent.run(e.id, e.machine, e.at, e.type, e.source, e.account_id ?? null, e.full_name ?? null, e.fob ?? null,
          e.reason ?? null, e.duration_ms ?? null, e.detail ?? null, e.unit_seq ?? null);
        if (r.changes === 0) continue; // stored before (an import run twice)
        this.derive(e);
        if (e.machine && (last.get(e.machine) ?? 0) < e.id) last.set(e.machine, e.id);
      }
      for (const [machine, id] of last) this.setLast.run(machine, id);
    });
  }

  write(events: StoredEvent[]): void {
    if (events.length) this.writeMany(events);
  }

  private ended(s: OpenSession, machine: string, end: number, duration: number): void {
    this.closeSession.run(end, duration, s.id);
    this.addUsage.run(monthOf(s.start), machine, s.account_id ?? '', s.full_name, duration);
  }

  /** Sessions from session_start / session_end (a start closes one left open on the machine). */
  private derive(e: StoredEvent): void {
    if (e.type === 'session_start') {
      const prev = this.findOpen.get(e.machine) as OpenSession | undefined;
      if (prev) this.ended(prev, e.machine, e.at, Math.max(0, e.at - prev.start));
      this.insertSession.run(e.machine, e.account_id, e.full_name ?? '', e.fob ?? '', e.at, null, null, e.reason === 'override' ? 1 : 0, e.id);
    } else if (e.type === 'session_end') {
      const open = this.findOpen.get(e.machine) as OpenSession | undefined;
      const duration = e.duration_ms ?? (open ? Math.max(0, e.at - open.start) : 0);
      if (open) {
        this.ended(open, e.machine, e.at, duration);
      } else {
        // the start was never seen (a unit that buffered only the end): reconstruct it
        const start = e.at - duration;
        const r = this.insertSession.run(e.machine, e.account_id, e.full_name ?? '', e.fob ?? '', start, e.at, duration, e.detail === 'override' ? 1 : 0, e.id);
        this.addUsage.run(monthOf(start), e.machine, e.account_id ?? '', e.full_name ?? '', duration);
        void r;
      }
    }
  }

  /**
   * Deletes events and sessions older than `before` (epoch ms), at most `batch` rows of each per
   * call so no transaction runs long; answers how many rows went. Monthly usage is kept.
   */
  prune(before: number, batch: number): number {
    const ev = this.db
      .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < ? ORDER BY at LIMIT ?)')
      .run(before, batch).changes;
    const se = this.db
      .prepare('DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE start < ? AND end IS NOT NULL ORDER BY start LIMIT ?)')
      .run(before, batch).changes;
    if (ev > 0) this.db.prepare('DELETE FROM last_event WHERE event_id NOT IN (SELECT id FROM events)').run();
    return ev + se;
  }
}

/** How a member string is looked up: by account id, fob and full name (case-insensitive). */
const MEMBER_COLUMNS = ['account_id', 'fob', 'full_name'] as const;

interface Row {
  id: number;
  [k: string]: unknown;
}

/**
 * Bounded, index-backed reads: every query is a range scan of one index (per member key),
 * newest first, LIMIT n+1; member matches over three keys are merged here.
 */
export class EventReader {
  private readonly db: DB;
  private readonly cache = new Map<string, Database.Statement>();

  constructor(db: DB) {
    this.db = db;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  private page(table: 'events' | 'sessions', timeCol: 'at' | 'start', q: EventQuery): { rows: Row[]; next: Page<Row>['next'] } {
    const limit = Math.max(1, Math.min(q.limit ?? 100, 10000));
    const base: string[] = [];
    const args: unknown[] = [];
    if (q.machine !== undefined) {
      base.push('machine = ?');
      args.push(q.machine);
    }
    if (q.from !== undefined) {
      base.push(`${timeCol} >= ?`);
      args.push(q.from);
    }
    if (q.to !== undefined) {
      base.push(`${timeCol} <= ?`);
      args.push(q.to);
    }
    if (q.before) {
      base.push(`(${timeCol} < ? OR (${timeCol} = ? AND id < ?))`);
      args.push(q.before.at, q.before.at, q.before.id);
    }
    const order = `ORDER BY ${timeCol} DESC, id DESC LIMIT ?`;
    let rows: Row[];
    if (q.member === undefined) {
      const where = base.length ? `WHERE ${base.join(' AND ')}` : '';
      rows = this.stmt(`SELECT * FROM ${table} ${where} ${order}`).all(...args, limit + 1) as Row[];
    } else {
      const seen = new Set<number>();
      rows = [];
      for (const col of MEMBER_COLUMNS) {
        const cond = col === 'full_name' ? 'full_name = ? COLLATE NOCASE' : `${col} = ?`;
        const where = `WHERE ${[cond, ...base].join(' AND ')}`;
        for (const r of this.stmt(`SELECT * FROM ${table} ${where} ${order}`).all(q.member, ...args, limit + 1) as Row[]) {
          if (!seen.has(r.id)) {
            seen.add(r.id);
            rows.push(r);
          }
        }
      }
      rows.sort((a, b) => (b[timeCol] as number) - (a[timeCol] as number) || b.id - a.id);
    }
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? { at: last[timeCol] as number, id: last.id } : null };
  }

  events(q: EventQuery): Page<StoredEvent> {
    const { rows, next } = this.page('events', 'at', q);
    return { items: rows as unknown as StoredEvent[], next };
  }

  sessions(q: EventQuery): Page<StoredSession> {
    const { rows, next } = this.page('sessions', 'start', q);
    const items = rows.map(
      (r): StoredSession => ({
        machine: r.machine as string,
        account_id: (r.account_id as string | null) ?? null,
        full_name: r.full_name as string,
        fob: r.fob as string,
        start: r.start as number,
        end: (r.end as number | null) ?? null,
        duration_ms: (r.duration_ms as number | null) ?? null,
        override: r.override === 1,
      }),
    );
    return { items, next };
  }

  usage(q: UsageQuery): UsageRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.fromMonth !== undefined) {
      where.push('month >= ?');
      args.push(q.fromMonth);
    }
    if (q.toMonth !== undefined) {
      where.push('month <= ?');
      args.push(q.toMonth);
    }
    if (q.machine !== undefined) {
      where.push('machine = ?');
      args.push(q.machine);
    }
    if (q.member !== undefined) {
      where.push('(member = ? OR full_name = ? COLLATE NOCASE)');
      args.push(q.member, q.member);
    }
    if (q.after !== undefined) {
      // keyset paging in the report's own order: the 100th page costs what the first does
      where.push('(month, full_name COLLATE NOCASE, member, machine) > (?, ?, ?, ?)');
      args.push(q.after.month, q.after.full_name, q.after.account_id, q.after.machine);
    }
    const sql =
      'SELECT month, machine, member AS account_id, full_name, sessions, total_ms FROM usage_monthly' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY month, full_name COLLATE NOCASE, member, machine LIMIT ?';
    args.push(q.limit ?? 100000);
    return this.stmt(sql).all(...args) as UsageRow[];
  }

  count(): number {
    return (this.stmt('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }
}
