// One valid unit must not flood the server (issue 8.7). Counted, never timed: a unit sending the
// largest syncs it may, ten a second for a (fake-clock) minute, gets at most its event budget
// stored and 429s with retry_after_s for the rest; the log grows by a bounded number of bytes; an
// honest unit beside it is answered 200 every time and loses nothing; and when the event store is
// behind, new events wait on the units while syncs without events go on. FLOOD_FIGURES=1 prints
// the counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_DETAIL_MAX, EVENT_REASON_MAX, LIST_PATH, MAX_EVENTS_PER_SYNC, SIGNATURE_HEADER, SYNC_BODY_MAX, type DeviceEvent } from '@fobgate/shared';
import { hmacHex } from '../src/auth.js';
import { AUTH, TestUnit, makeApp, removeDir } from './helpers.js';
import { DEFAULT_UNIT_LIMITS } from '../src/unit-budget.js';
import { WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES } from '../src/event-db.js';

function bigEvent(seq: number): DeviceEvent {
  return { seq, type: 'error', at: 0, up: seq, reason: 'r'.repeat(EVENT_REASON_MAX), detail: 'd'.repeat(EVENT_DETAIL_MAX) };
}

/** Bytes of every file under `dir`. */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function folderBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const st = statSync(join(dir, name));
    n += st.isDirectory() ? folderBytes(join(dir, name)) : st.size;
  }
  return n;
}

async function storedFor(t: Awaited<ReturnType<typeof makeApp>>, machine: string): Promise<number> {
  const r = await t.app.inject({ method: 'GET', url: `/api/admin/events?machine=${machine}&limit=10000`, headers: AUTH });
  return (r.json().events as { unit_seq: number | null }[]).filter((e) => e.unit_seq !== null).length;
}

test('a unit sending the largest syncs ten times a second for a minute: bounded events, bytes and answers; its neighbour unaffected', async () => {
  const t = await makeApp();
  try {
    const flooder = new TestUnit(t.app, 'unit1');
    const honest = new TestUnit(t.app, 'lathe');
    await flooder.register();
    await honest.register();
    // the whole data folder, whatever the event store's layout
    const sizeBefore = folderBytes(t.dir);
    const start = t.now.value;
    let seq = 0;
    let honestSeq = 0;
    let honestOk = 0;
    let accepted = 0;
    let sentBytes = 0;
    const refused: Record<string, number> = {};
    for (let i = 0; i < 600; i++) {
      t.now.value = start + i * 100;
      const events = Array.from({ length: MAX_EVENTS_PER_SYNC }, () => bigEvent(++seq));
      const req = flooder.request({ events });
      const text = JSON.stringify(req);
      sentBytes += text.length;
      const r = await flooder.sendRaw(text);
      if (r.statusCode === 200) accepted++;
      else {
        assert.is(r.statusCode, 429, r.body);
        const body = r.json() as { error: string; code: string; retry_after_s: number };
        assert.ok(body.code === 'RATE_LIMITED' || body.code === 'EVENTS_RATE_LIMITED', body.code);
        assert.ok(Number.isInteger(body.retry_after_s) && body.retry_after_s >= 1, r.body);
        assert.is(r.headers['retry-after'], String(body.retry_after_s));
        assert.match(body.error, /budget/);
        refused[body.code] = (refused[body.code] ?? 0) + 1;
      }
      if (i % 50 === 0) {
        const h = await honest.sync({ events: [{ seq: ++honestSeq, type: 'boot', at: 0, up: i }] });
        assert.is(h.res.statusCode, 200, h.res.body);
        assert.is(h.body!.ack_seq, honestSeq, 'the honest unit loses nothing');
        honestOk++;
      }
    }
    const minutes = (t.now.value - start) / 60_000;
    if (process.env.FLOOD_FIGURES) console.log(JSON.stringify({ sentBytes, accepted, refused, minutes }));
    const l = DEFAULT_UNIT_LIMITS;
    const flooded = await storedFor(t, 'unit1');
    const eventBound = l.eventBurst + l.eventsPerMin * minutes;
    assert.ok(flooded <= eventBound, `${flooded} events stored, bound ${eventBound}`);
    assert.ok(flooded >= l.eventBurst, 'the burst was taken');
    assert.ok(accepted <= l.requestBurst + l.requestsPerMin * minutes);
    assert.ok((refused.EVENTS_RATE_LIMITED ?? 0) > 0 && (refused.RATE_LIMITED ?? 0) > 0, JSON.stringify(refused));
    assert.is(honestOk, 12);
    assert.is(await storedFor(t, 'lathe'), 12);
    // the disk use grew by what the budget allows, not by what was sent (1.1 GiB in 46 s before)
    // SQLite's write-ahead log holds whole pages per commit until a checkpoint moves them into the
    // database; its own size is capped (checkpoint every WAL_CHECKPOINT_PAGES, truncated to
    // WAL_SIZE_LIMIT_BYTES), so it is bounded apart from the rest of the folder
    const wal = fileBytes(join(t.dir, 'events.db-wal')) + fileBytes(join(t.dir, 'events.db-shm'));
    const grown = folderBytes(t.dir) - sizeBefore - wal;
    if (process.env.FLOOD_FIGURES) console.log(JSON.stringify({ flooded, grown, wal }));
    assert.ok(grown < (flooded + 40) * 1024, `the data folder grew ${grown} bytes for ${flooded} events`);
    assert.ok(grown < sentBytes / 20, `grew ${grown} bytes of ${sentBytes} sent`);
    assert.ok(wal <= WAL_SIZE_LIMIT_BYTES + WAL_CHECKPOINT_PAGES * 4096 + 65536, `the write-ahead log is ${wal} bytes`);
    assert.ok((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).statusCode === 200);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /fobgate_unit_requests_refused_total\{machine_name="unit1",reason="events"\} [1-9]/);
    assert.not.match(metrics, /fobgate_unit_requests_refused_total\{machine_name="lathe"/);
    const alerts = t.notifier.sent.filter((m) => /than its budget allows/.test(m.text));
    assert.is(alerts.length, 1, 'one alert, not one per refusal');
    assert.match(alerts[0].text, 'Machine unit1');

    // a minute later the flooder may send again (it was refused, not banned)
    t.now.value += 60_000;
    const again = await flooder.sync({ events: [bigEvent(++seq)] });
    assert.is(again.res.statusCode, 200, again.res.body);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('one sync carries at most MAX_EVENTS_PER_SYNC events of bounded size; a body over the route limit is refused unread', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    let r = await u.sendRaw(JSON.stringify(u.request({ events: Array.from({ length: MAX_EVENTS_PER_SYNC + 1 }, (_, i) => bigEvent(i + 1)) })));
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, `must NOT have more than ${MAX_EVENTS_PER_SYNC} items`);
    r = await u.sendRaw(JSON.stringify(u.request({ events: [{ ...bigEvent(1), detail: 'd'.repeat(EVENT_DETAIL_MAX + 1) }] })));
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, 'body/events/0/detail');
    r = await u.sendRaw(JSON.stringify(u.request({ fw: 'x'.repeat(SYNC_BODY_MAX) })));
    assert.is(r.statusCode, 413);
    assert.match(r.json().error, `${SYNC_BODY_MAX} bytes`);
    assert.is(await storedFor(t, 'unit1'), 0);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('list downloads count against the same request budget (a unit cannot pull the full list in a loop)', async () => {
  const t = await makeApp({ extra: { unitLimits: { requestBurst: 3, requestsPerMin: 6 }, listInlineMaxBytes: 10 } });
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const s = await u.sync();
    // list format 2: the full list, announced without inline data (over the 10-byte cap)
    assert.is(s.body!.list!.kind, 'full');
    assert.is(s.body!.list!.data, undefined, 'announced for download');
    const download = async () => {
      const text = JSON.stringify({ machine: 'unit1', counter: ++u.counter, version: s.body!.list!.version });
      return t.app.inject({ method: 'POST', url: LIST_PATH, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(u.key, text) }, payload: text });
    };
    assert.is((await download()).statusCode, 200);
    assert.is((await download()).statusCode, 200);
    const r = await download();
    assert.is(r.statusCode, 429, r.body);
    assert.is(r.json().code, 'RATE_LIMITED');
    assert.is(r.headers['retry-after'], '10');
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('while the event store is behind, every unit keeps its events (429) and syncs without events still answer 200', async () => {
  const t = await makeApp({ extra: { unitLimits: { maxPendingEvents: 100 } } });
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    // the disk is stuck: 100 events are waiting to be written
    const pending = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(t.eventLog), 'pendingCount')!;
    Object.defineProperty(t.eventLog, 'pendingCount', { get: () => 100, configurable: true });
    let r = await u.sync({ events: [{ seq: 1, type: 'boot', at: 0, up: 1 }] });
    assert.is(r.res.statusCode, 429);
    assert.is(r.res.json().code, 'EVENTS_RATE_LIMITED');
    assert.match(r.res.json().error, 'event store is behind (100 events waiting');
    r = await u.sync();
    assert.is(r.res.statusCode, 200, 'state, lists and commands keep flowing');
    Object.defineProperty(t.eventLog, 'pendingCount', pending);
    r = await u.sync({ events: [{ seq: 1, type: 'boot', at: 0, up: 1 }] });
    assert.is(r.res.statusCode, 200);
    assert.is(r.body!.ack_seq, 1);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
