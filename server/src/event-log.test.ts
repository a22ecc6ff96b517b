// The event log over SQLite: appends are committed by the writer thread and come back after a
// reopen (ids continue), sessions and monthly usage are derived, queries filter by machine,
// member (account, fob, name) and time and page newest first, an events.jsonl of earlier versions
// is imported once (torn line skipped), retention prunes old rows, and new files are 0600.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type NewEvent } from './event-log.js';
import { monthOf } from './event-db.js';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobgate-events-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

function ev(machine: string, at: number, type: string, over: Partial<NewEvent> = {}): NewEvent {
  return {
    machine,
    at,
    type,
    source: 'legacy',
    account_id: null,
    full_name: null,
    fob: null,
    reason: null,
    duration_ms: null,
    detail: null,
    unit_seq: null,
    ...over,
  };
}

const start = (m: string, at: number, who: string) =>
  ev(m, at, 'session_start', { account_id: who, full_name: `${who} Name`, fob: `000000000${who}`, reason: 'authorized' });
const end = (m: string, at: number, who: string, dur: number) =>
  ev(m, at, 'session_end', { account_id: who, full_name: `${who} Name`, fob: `000000000${who}`, reason: 'removed', duration_ms: dur });

test('appends are committed by flush and come back on reopen; ids continue; files are 0600', async () => {
  const path = join(dir, 'events.db');
  const log = EventLog.open(path);
  const a = log.append(ev('lathe', 1000, 'reboot'));
  const b = log.append(start('lathe', 2000, '1'));
  assert.equal([a.id, b.id], [1, 2]);
  assert.is(log.pendingCount, 2);
  await log.flush();
  assert.is(log.pendingCount, 0);
  log.append(end('lathe', 62000, '1', 60000));
  await log.close();
  assert.is(statSync(path).mode & 0o777, 0o600);

  const again = EventLog.open(path);
  assert.equal((await again.query({})).map((e) => e.id), [3, 2, 1]);
  assert.equal(await again.sessions({ machine: 'lathe' }), [
    { machine: 'lathe', account_id: '1', full_name: '1 Name', fob: '0000000001', start: 2000, end: 62000, duration_ms: 60000, override: false },
  ]);
  assert.is(again.lastEvent('lathe')!.type, 'session_end', 'last event per machine restored');
  assert.is(again.append(ev('saw', 3, 'oops')).id, 4, 'ids continue');
  assert.is(again.lastEvent('saw')!.type, 'oops');
  await again.close();
});

test('appends made while a commit runs are grouped; flush waits for all', async () => {
  const log = EventLog.open(join(dir, 'events.db'));
  const flushes: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    log.append(ev('lathe', i, 'denied', { reason: 'unknown' }));
    flushes.push(log.flush());
  }
  await Promise.all(flushes);
  assert.is((await log.query({ limit: 1000 })).length, 50);
  await log.close();
});

test('queries filter by machine, member (account, fob, name) and time; pages go newest first', async () => {
  const log = EventLog.open(join(dir, 'events.db'));
  log.append(start('lathe', 100, '1'));
  log.append(end('lathe', 200, '1', 100));
  log.append(start('saw', 300, '2'));
  log.append(ev('lathe', 400, 'denied', { fob: '0000000009', reason: 'unknown' }));
  await log.flush();
  assert.equal((await log.query({ machine: 'lathe' })).map((e) => e.at), [400, 200, 100]);
  assert.equal((await log.query({ member: '1' })).map((e) => e.at), [200, 100]);
  assert.equal((await log.query({ member: '0000000002' })).map((e) => e.at), [300]);
  assert.equal((await log.query({ member: '2 name' })).map((e) => e.at), [300]);
  assert.equal((await log.query({ from: 150, to: 350 })).map((e) => e.at), [300, 200]);
  const first = await log.queryPage({ limit: 2 });
  assert.equal(first.items.map((e) => e.at), [400, 300]);
  assert.ok(first.next);
  const second = await log.queryPage({ limit: 2, before: first.next! });
  assert.equal(second.items.map((e) => e.at), [200, 100]);
  assert.is(second.next, null);
  const s = await log.sessions({});
  assert.equal(s.map((x) => [x.machine, x.end]), [
    ['saw', null],
    ['lathe', 200],
  ]);
  await log.close();
});

test('sessions: a start closes one left open; an end without its start is reconstructed; usage per month', async () => {
  const log = EventLog.open(join(dir, 'events.db'));
  const t0 = new Date(2026, 0, 31, 23, 0, 0).getTime(); // local time: January
  log.append(start('lathe', t0, '1'));
  log.append(start('lathe', t0 + 60_000, '2')); // closes 1's session after a minute
  log.append(end('lathe', t0 + 2 * 3_600_000, '2', 2 * 3_600_000 - 60_000)); // February by now
  log.append(end('saw', t0 + 5_000_000, '1', 30_000)); // no start seen
  await log.flush();
  const sessions = await log.sessions({ limit: 10 });
  assert.equal(
    sessions.map((x) => [x.machine, x.account_id, x.start, x.end, x.duration_ms]),
    [
      ['saw', '1', t0 + 5_000_000 - 30_000, t0 + 5_000_000, 30_000],
      ['lathe', '2', t0 + 60_000, t0 + 2 * 3_600_000, 2 * 3_600_000 - 60_000],
      ['lathe', '1', t0, t0 + 60_000, 60_000],
    ],
  );
  const jan = monthOf(t0);
  const feb = monthOf(t0 + 5_000_000);
  const usage = await log.usage({});
  const row = (month: string, machine: string, member: string) =>
    usage.find((u) => u.month === month && u.machine === machine && u.account_id === member);
  assert.equal(row(jan, 'lathe', '1'), { month: jan, machine: 'lathe', account_id: '1', full_name: '1 Name', sessions: 1, total_ms: 60_000 });
  assert.is(row(jan, 'lathe', '2')!.total_ms, 2 * 3_600_000 - 60_000, 'counted in the month it started');
  assert.is(row(jan === feb ? jan : feb, 'saw', '1')!.total_ms, 30_000);
  assert.equal((await log.usage({ member: '2 name' })).map((u) => u.account_id), ['2']);
  assert.equal((await log.usage({ machine: 'saw' })).length, 1);
  await log.close();
});

test('an events.jsonl of an earlier version is imported once, ids kept, a torn line skipped', async () => {
  const lines = [
    JSON.stringify({ id: 7, ...start('lathe', 1000, '1') }),
    JSON.stringify({ id: 8, ...end('lathe', 5000, '1', 4000) }),
    '{"id":9,"machine":"lat',
  ];
  writeFileSync(join(dir, 'events.jsonl'), lines.join('\n'));
  const log = EventLog.open(join(dir, 'events.db'));
  assert.equal(log.info.imported, { imported: 2, skippedLines: 1 });
  assert.ok(!existsSync(join(dir, 'events.jsonl')));
  assert.ok(existsSync(join(dir, 'events.jsonl.imported')));
  assert.equal((await log.query({})).map((e) => e.id), [8, 7]);
  assert.is((await log.sessions({}))[0].duration_ms, 4000);
  assert.is(log.append(ev('saw', 6000, 'oops')).id, 9, 'ids continue after the imported ones');
  await log.close();
  const again = EventLog.open(join(dir, 'events.db'));
  assert.is(again.info.imported, null, 'imported only once');
  assert.is((await again.query({})).length, 3);
  await again.close();
});

test('retention prunes events and finished sessions older than the setting, keeps monthly usage', async () => {
  const day = 86_400_000;
  const now = 400 * day;
  const log = EventLog.open(join(dir, 'events.db'), { retentionDays: 30, clock: () => now });
  log.append(start('lathe', now - 100 * day, '1'));
  log.append(end('lathe', now - 100 * day + 1000, '1', 1000));
  log.append(start('lathe', now - day, '2'));
  await log.flush();
  assert.is(await log.prune(), 3, 'two events and one session');
  assert.equal((await log.query({})).map((e) => e.account_id), ['2']);
  assert.equal((await log.sessions({})).map((s) => s.account_id), ['2']);
  assert.is((await log.usage({ member: '1' })).length, 1, 'usage kept');
  await log.close();
});

test.run();
