// The append-only event log: lines on disk after flush, read back on reopen (a torn last line is
// skipped and the next append starts a fresh line), batched appends, sessions derived, and
// queries that reach past the in-memory window read the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type NewEvent } from './event-log.js';

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

test('appends are on disk after flush, one JSON line each, and come back on reopen', async () => {
  const path = join(dir, 'events.jsonl');
  const log = EventLog.open(path);
  const a = log.append(ev('lathe', 1000, 'reboot'));
  const b = log.append(start('lathe', 2000, '1'));
  assert.equal([a.id, b.id], [1, 2]);
  assert.is(log.pendingCount, 2);
  await log.flush();
  assert.is(log.pendingCount, 0);
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.map((l) => JSON.parse(l).type), ['reboot', 'session_start']);
  log.append(end('lathe', 62000, '1', 60000));
  await log.close();

  const again = EventLog.open(path);
  assert.is(again.count, 3);
  assert.equal((await again.query({})).map((e) => e.id), [3, 2, 1]);
  assert.equal(await again.sessions({ machine: 'lathe' }), [
    { machine: 'lathe', account_id: '1', full_name: '1 Name', fob: '0000000001', start: 2000, end: 62000, duration_ms: 60000, override: false },
  ]);
  assert.is(again.append(ev('saw', 3, 'oops')).id, 4, 'ids continue');
  assert.is(again.lastEvent('saw')!.type, 'oops');
  await again.close();
});

test('a torn last line (crash mid-write) is skipped; the next event starts on a new line', async () => {
  const path = join(dir, 'events.jsonl');
  const log = EventLog.open(path);
  log.append(ev('lathe', 1, 'reboot'));
  await log.close();
  appendFileSync(path, '{"id":2,"machine":"lat');
  const again = EventLog.open(path);
  assert.is(again.info.skippedLines, 1);
  assert.is(again.count, 1);
  again.append(ev('lathe', 5, 'oops'));
  await again.close();
  const third = EventLog.open(path);
  assert.is(third.info.skippedLines, 1);
  assert.equal((await third.query({})).map((e) => e.type), ['oops', 'reboot']);
  await third.close();
});

test('appends while a write is in flight are batched behind it; flush waits for all', async () => {
  const path = join(dir, 'events.jsonl');
  const log = EventLog.open(path);
  const flushes: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    log.append(ev('lathe', i, 'denied', { reason: 'unknown' }));
    flushes.push(log.flush());
  }
  await Promise.all(flushes);
  assert.is(readFileSync(path, 'utf8').trim().split('\n').length, 50);
  await log.close();
});

test('queries filter by machine, member (account, fob, name) and time; limit keeps the newest', async () => {
  const log = EventLog.open(join(dir, 'events.jsonl'));
  log.append(start('lathe', 100, '1'));
  log.append(end('lathe', 200, '1', 100));
  log.append(start('saw', 300, '2'));
  log.append(ev('lathe', 400, 'denied', { fob: '0000000009', reason: 'unknown' }));
  assert.equal((await log.query({ machine: 'lathe' })).map((e) => e.at), [400, 200, 100]);
  assert.equal((await log.query({ member: '1' })).map((e) => e.at), [200, 100]);
  assert.equal((await log.query({ member: '0000000002' })).map((e) => e.at), [300]);
  assert.equal((await log.query({ member: '2 name' })).map((e) => e.at), [300]);
  assert.equal((await log.query({ from: 150, to: 350 })).map((e) => e.at), [300, 200]);
  assert.equal((await log.query({ limit: 2 })).map((e) => e.at), [400, 300]);
  const s = await log.sessions({});
  assert.equal(s.map((x) => [x.machine, x.end]), [
    ['saw', null],
    ['lathe', 200],
  ]);
  await log.close();
});

test('memory holds a bounded window; older events and sessions are still found in the file', async () => {
  const path = join(dir, 'events.jsonl');
  const log = EventLog.open(path, { memoryLimit: 20 });
  for (let i = 0; i < 100; i++) {
    log.append(start('lathe', i * 1000, String(i % 3)));
    log.append(end('lathe', i * 1000 + 500, String(i % 3), 500));
  }
  await log.flush();
  assert.ok(log.count <= 22, `in memory: ${log.count}`);
  const all = await log.query({ limit: 1000 });
  assert.is(all.length, 200);
  assert.equal(all.map((e) => e.id), Array.from({ length: 200 }, (_, i) => 200 - i));
  const old = await log.query({ to: 2500, limit: 10 });
  assert.equal(old.map((e) => e.at), [2500, 2000, 1500, 1000, 500, 0]);
  const member = await log.query({ member: '1', limit: 1000 });
  assert.is(member.length, 66);
  const sessions = await log.sessions({ limit: 1000 });
  assert.is(sessions.length, 100);
  assert.equal(sessions[99], { machine: 'lathe', account_id: '0', full_name: '0 Name', fob: '0000000000', start: 0, end: 500, duration_ms: 500, override: false });
  assert.equal((await log.sessions({ to: 1000 })).map((s) => s.start), [1000, 0]);
  await log.close();
  // reopening a long log keeps the same bound
  const again = EventLog.open(path, { memoryLimit: 20 });
  assert.ok(again.count <= 22);
  assert.is((await again.query({ limit: 1000 })).length, 200);
  await again.close();
});

test.run();
