// The audit log's admin routes over HTTP: sessions by machine / member / time, paged with the
// `next` cursor until every session is seen once; the monthly usage per member and machine as JSON
// and as CSV (quoted, formulas neutralised); bad queries get a 400 saying what is wrong; the token
// is required.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, makeApp, postUpdate, removeDir, update, usersConfig, user, USERS_RAW, type TestApp } from './helpers.js';
import { monthOf } from '../src/event-db.js';

let t: TestApp;
const MIN = 60_000;

test.before(async () => {
  // a member whose name would be a spreadsheet formula
  t = await makeApp({ users: usersConfig([...USERS_RAW, user('4', '=cmd', '0000000004', ['Lathe'])]) });
  // six sessions on the lathe (Ada, Bob is refused, Ada again...), two on the saw
  let up = 10;
  const session = async (machine: string, fob: string, minutes: number) => {
    await postUpdate(t.app, update(machine, { rfid_value: fob, uptime: up++ }));
    t.now.value += minutes * MIN;
    await postUpdate(t.app, update(machine, { rfid_value: '', uptime: up++ }));
    t.now.value += MIN;
  };
  for (let i = 0; i < 5; i++) await session('lathe', '0000000001', 10 + i);
  await session('lathe', '0000000004', 3);
  await session('saw', '0000000001', 20);
  await session('saw', '0000000002', 7);
});

test.after(async () => {
  await t.close();
  removeDir(t.dir);
});

const get = (url: string, headers: Record<string, string> = AUTH) => t.app.inject({ method: 'GET', url, headers });

test('sessions page newest first; following `next` visits every session exactly once', async () => {
  const seen: number[] = [];
  let url = '/api/admin/sessions?machine=lathe&limit=4';
  for (let pages = 0; pages < 10; pages++) {
    const r = await get(url);
    assert.is(r.statusCode, 200, r.body);
    const body = r.json() as { sessions: Array<{ start: number; duration_ms: number }>; next: string | null };
    for (const s of body.sessions) seen.push(s.start);
    if (!body.next) break;
    url = `/api/admin/sessions?machine=lathe&limit=4&before=${body.next}`;
  }
  assert.is(seen.length, 6);
  assert.equal(seen, seen.slice().sort((a, b) => b - a), 'newest first');
  const ada = (await get('/api/admin/sessions?member=ada%20tester&machine=lathe')).json().sessions;
  assert.equal(ada.map((s: { duration_ms: number }) => s.duration_ms / MIN), [14, 13, 12, 11, 10]);
  const byFob = (await get('/api/admin/sessions?member=0000000002')).json().sessions;
  assert.equal(byFob.map((s: { machine: string }) => s.machine), ['saw']);
  const first = seen[seen.length - 1];
  const window = (await get(`/api/admin/sessions?machine=lathe&from=${first}&to=${first}`)).json().sessions;
  assert.is(window.length, 1);
});

test('usage per member and machine per month: JSON and CSV', async () => {
  const month = monthOf(t.now.value);
  const r = await get(`/api/admin/usage?from=${month}&to=${month}`);
  assert.is(r.statusCode, 200, r.body);
  const rows = r.json().rows as Array<{ account_id: string; machine: string; display_name: string; sessions: number; total_ms: number }>;
  const ada = rows.find((x) => x.account_id === '1' && x.machine === 'lathe')!;
  assert.equal([ada.sessions, ada.total_ms / MIN, ada.display_name], [5, 60, 'Metal Lathe']);
  assert.is(rows.find((x) => x.account_id === '2')!.total_ms, 7 * MIN);
  const csv = await get(`/api/admin/usage?from=${month}&format=csv`);
  assert.is(csv.statusCode, 200);
  assert.match(String(csv.headers['content-type']), 'text/csv');
  const lines = csv.body.trim().split('\r\n');
  assert.is(lines[0], 'month,account_id,full_name,machine,display_name,sessions,total_minutes');
  assert.ok(lines.includes(`${month},1,Ada Tester,lathe,Metal Lathe,5,60`), lines.join('\n'));
  assert.ok(lines.includes(`${month},4,'=cmd Tester,lathe,Metal Lathe,1,3`), 'a formula-looking name is neutralised');
  const byAccept = await get('/api/admin/usage?member=2', { ...AUTH, accept: 'text/csv' });
  assert.is(byAccept.body.trim().split('\r\n').length, 2);
});

test('usage pages: limit and the next cursor walk every row once, in the report order; CSV is whole', async () => {
  const all = (await get('/api/admin/usage')).json();
  assert.is(all.next, null, 'one page holds it all by default');
  const want = (all.rows as Array<{ month: string; account_id: string; machine: string }>).map((r) => `${r.month}/${r.account_id}/${r.machine}`);
  assert.ok(want.length >= 3, `rows: ${want.length}`);
  const seen: string[] = [];
  let after = '';
  for (let pages = 0; pages < 20; pages++) {
    const r = await get(`/api/admin/usage?limit=2${after ? `&after=${after}` : ''}`);
    assert.is(r.statusCode, 200, r.body);
    const page = r.json();
    assert.ok(page.rows.length <= 2);
    for (const x of page.rows) seen.push(`${x.month}/${x.account_id}/${x.machine}`);
    if (page.next === null) break;
    after = page.next;
  }
  assert.equal(seen, want);
  const csv = await get('/api/admin/usage?format=csv&limit=1');
  assert.is(csv.body.trim().split('\r\n').length, want.length + 1, 'CSV ignores the page size');
  for (const bad of ['/api/admin/usage?after=notacursor', '/api/admin/usage?after=' + Buffer.from('[1]').toString('base64url')]) {
    const r = await get(bad);
    assert.is(r.statusCode, 400, bad);
    assert.match(r.json().error, 'querystring/after');
  }
  assert.match((await get('/api/admin/usage?limit=0')).json().error, 'limit');
});

test('bad queries: 400 saying what is wrong; no token: 401', async () => {
  for (const [url, what] of [
    ['/api/admin/usage?from=2026-13', 'querystring/from'],
    ['/api/admin/usage?from=2026-05&to=2026-01', 'from must not be after to'],
    ['/api/admin/sessions?before=abc', 'querystring/before'],
    ['/api/admin/events?limit=0', 'limit'],
    ['/api/admin/events?from=5&to=1', 'from must not be after to'],
  ]) {
    const r = await get(url);
    assert.is(r.statusCode, 400, url);
    assert.match(r.json().error, what);
  }
  assert.is((await get('/api/admin/usage', {})).statusCode, 401);
  assert.is((await get('/api/admin/sessions', {})).statusCode, 401);
});

test.run();
