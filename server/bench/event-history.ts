// A generated audit history for the event benchmark: N events (default 10 million) over three
// years from 200 machines and 20,000 members (sessions with their start and end, denials, card
// audits, oopses) in the server's schema, with the sessions and monthly usage the server would
// derive; bulk-loaded, then indexed. Kept in the OS temp folder and reused while its generator
// version and size match (making 10 M events takes minutes; reading them back takes none).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '@fobgate/shared';
import { SCHEMA_VERSION, metaGet, metaSet, openEventDb, prepareSchema } from '../src/event-db.js';
import { fobOf, machineName } from '../test/fleet-fixture.js';

const GENERATOR = 1;
export const HISTORY_MACHINES = 200;
export const HISTORY_MEMBERS = 20000;
const YEARS = 3;

export interface History {
  path: string;
  events: number;
  from: number;
  to: number;
  builtNow: boolean;
  buildSeconds: number;
}

/** A deterministic pseudo-random sequence (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function memberOf(i: number): { account_id: string; full_name: string; fob: string } {
  return { account_id: String(5000 + i), full_name: `Member ${i}`, fob: fobOf(i) };
}

export function historyPath(events: number): string {
  return join(tmpdir(), 'fobgate-bench', `events-${events}-s${SCHEMA_VERSION}-g${GENERATOR}.db`);
}

/** The history database for `events` events, generated when missing (progress on stdout). */
export function ensureHistory(events: number, progress: (s: string) => void): History {
  const path = historyPath(events);
  const to = Date.UTC(2026, 10, 1);
  const from = to - YEARS * 365 * 86_400_000;
  if (existsSync(path)) {
    const db = openEventDb(path, { readonly: true });
    const done = metaGet(db, 'bench_complete');
    db.close();
    if (done === String(events)) return { path, events, from, to, builtNow: false, buildSeconds: 0 };
  }
  mkdirSync(join(tmpdir(), 'fobgate-bench'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.building`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  const t0 = performance.now();
  const db = openEventDb(tmp);
  db.pragma('synchronous = OFF');
  prepareSchema(db);
  // bulk load: rows first, then the indexes built once by sorting (far faster than 10 M updates)
  const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all() as Array<{ name: string }>;
  for (const { name } of indexes) db.exec(`DROP INDEX ${name}`);
  const insertEvent = db.prepare(
    `INSERT INTO events(id, machine, at, type, source, account_id, full_name, fob, reason, duration_ms, detail, unit_seq)
     VALUES (@id, @machine, @at, @type, @source, @account_id, @full_name, @fob, @reason, @duration_ms, @detail, @unit_seq)`,
  );
  const insertSession = db.prepare(
    'INSERT INTO sessions(machine, account_id, full_name, fob, start, end, duration_ms, override, start_event) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)',
  );
  const rnd = random(42);
  const step = (to - from) / events;
  let id = 1;
  let at = from;
  const base = { source: 'legacy' as const, reason: null, duration_ms: null, detail: null, unit_seq: null };
  const push = (e: Omit<StoredEvent, 'id'>) => {
    insertEvent.run({ id, ...e });
    return id++;
  };
  const chunk = db.transaction((until: number) => {
    while (id <= until) {
      const machine = machineName(Math.floor(rnd() * HISTORY_MACHINES));
      const who = memberOf(Math.floor(rnd() * HISTORY_MEMBERS));
      const r = rnd();
      at += step * (1 + (rnd() - 0.5));
      const t = Math.round(at);
      if (r < 0.8 && id + 1 <= events) {
        // a session: start, then its end a few minutes to two hours later
        const dur = Math.round(60_000 + rnd() * 7_200_000);
        const startId = push({ ...base, machine, at: t, type: 'session_start', ...who, reason: 'authorized' });
        push({ ...base, machine, at: t + dur, type: 'session_end', ...who, reason: 'removed', duration_ms: dur });
        insertSession.run(machine, who.account_id, who.full_name, who.fob, t, t + dur, dur, startId);
      } else if (r < 0.93) {
        push({ ...base, machine, at: t, type: 'denied', ...who, reason: 'unauthorized' });
      } else if (r < 0.99) {
        push({ ...base, machine, at: t, type: 'card_audit', ...who, reason: 'inserted' });
      } else {
        push({ ...base, machine, at: t, type: 'oops', account_id: null, full_name: null, fob: null, reason: 'button', detail: 'by unknown user' });
      }
    }
  });
  for (let until = 200_000; ; until += 200_000) {
    chunk(Math.min(until, events));
    if (until % 1_000_000 === 0) progress(`   generating the history: ${(Math.min(until, events) / 1e6).toFixed(0)} M of ${(events / 1e6).toFixed(0)} M events`);
    if (until >= events) break;
  }
  progress('   generating the history: building indexes, sessions\' monthly usage, statistics');
  prepareSchema(db);
  db.exec(`INSERT INTO usage_monthly(month, machine, member, full_name, sessions, total_ms)
    SELECT strftime('%Y-%m', start / 1000, 'unixepoch', 'localtime'), machine, coalesce(account_id, ''), max(full_name), count(*), sum(duration_ms)
    FROM sessions GROUP BY 1, 2, 3`);
  db.exec('INSERT INTO last_event(machine, event_id) SELECT machine, max(id) FROM events GROUP BY machine');
  metaSet(db, 'bench_complete', String(events));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
  for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, path);
  return { path, events, from, to, builtNow: true, buildSeconds: (performance.now() - t0) / 1000 };
}
