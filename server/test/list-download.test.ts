// HTTP tests of the full-list download: a list above the inline limit is announced as `fetch` in
// the sync answer and fetched from POST /api/v1/list (signed, counted with the sync counter),
// answered as raw signed text; errors are JSON 4xx. One test over a real socket with 5,000 members.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import {
  LIST_PATH,
  LIST_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  decodeList,
  findFob,
  nameAt,
  verifyText,
  type AuthList,
  type ListFetch,
  type ListUpdate,
} from '@fobgate/shared';
import { AUTH, TestUnit, USERS_RAW, makeApp, removeDir, user, usersConfig, type TestApp } from './helpers.js';
import { hmacHex, sha256Hex } from '../src/auth.js';

let t: TestApp;
let unit: TestUnit;

/** n members authorized on the lathe (unit1 uses the Lathe authorization). */
function many(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) out.push(user(String(100 + i), 'Member' + i, String(5000000 + i * 3).padStart(10, '0'), ['Lathe']));
  return out;
}

async function download(u: TestUnit, version: number, over: { counter?: number; key?: string; body?: string } = {}) {
  const counter = over.counter ?? ++u.counter;
  const text = over.body ?? JSON.stringify({ machine: u.machine, counter, version });
  return u.app.inject({
    method: 'POST',
    url: LIST_PATH,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(over.key ?? u.key, text) },
    payload: text,
  });
}

function fetchOf(list: ListUpdate | null): ListFetch {
  assert.ok(list, 'a list update');
  assert.is(list!.kind, 'fetch');
  return list as ListFetch;
}

test.before.each(async () => {
  t = await makeApp({ users: usersConfig([...USERS_RAW, ...many(400)]) });
  unit = new TestUnit(t.app, 'unit1');
  await unit.register();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

test('a list above the inline limit (8 KB) is announced as fetch and downloaded as signed raw text', async () => {
  const s = await unit.sync();
  assert.is(s.res.statusCode, 200, s.res.body);
  const f = fetchOf(s.body!.list);
  assert.ok(f.bytes > 8192, 'bytes ' + f.bytes);
  assert.is(f.version, s.body!.latest_list_version);
  assert.ok(s.res.body.length < 2000, 'the sync answer stays small: ' + s.res.body.length);
  const r = await download(unit, f.version);
  assert.is(r.statusCode, 200, r.body);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.is(Number(r.headers['content-length']), f.bytes);
  assert.is(r.body.length, f.bytes);
  assert.ok(/^[\x20-\x7e\n]*$/.test(r.body), 'printable ASCII');
  const sig = String(r.headers[LIST_SIGNATURE_HEADER]);
  assert.ok(verifyText(r.body, sig, unit.key, hmacHex).ok, 'signed with the unit key');
  assert.not.ok(verifyText(r.body, sig, 'b2'.repeat(32), hmacHex).ok, 'not valid under another key');
  const d = decodeList(r.body, sha256Hex);
  assert.ok(d.ok, JSON.stringify(d));
  const list = (d as { ok: true; value: AuthList }).value;
  assert.is(list.digest, f.digest, 'the announced digest');
  assert.is(list.version, f.version);
  assert.is(list.count, 403, 'every known fob: 400 members and the 3 others');
  const i = findFob(list, 5000000 + 3 * 17);
  assert.ok(i >= 0);
  assert.is(nameAt(list, i), 'Member17');
});

test('the inline limit is a server option; small lists stay inline', async () => {
  const small = await makeApp({ extra: { listInlineMaxBytes: 1 << 20 } });
  try {
    const u = new TestUnit(small.app, 'unit1');
    await u.register();
    const s = await u.sync();
    assert.is(s.body!.list!.kind, 'full');
  } finally {
    await small.close();
    removeDir(small.dir);
  }
  const tiny = await makeApp({ extra: { listInlineMaxBytes: 100 } });
  try {
    const u = new TestUnit(tiny.app, 'unit1');
    await u.register();
    const s = await u.sync();
    const f = fetchOf(s.body!.list);
    const r = await download(u, f.version);
    assert.is(r.statusCode, 200);
    assert.is(r.body.length, f.bytes);
  } finally {
    await tiny.close();
    removeDir(tiny.dir);
  }
});

test('the download is authenticated: bad signature or unregistered unit 401, unknown machine 404, bad body 400', async () => {
  const f = fetchOf((await unit.sync()).body!.list);
  let r = await download(unit, f.version, { key: 'c3'.repeat(32) });
  assert.is(r.statusCode, 401);
  assert.match(r.json().error, /signature/);
  assert.not.ok(r.headers[LIST_SIGNATURE_HEADER], 'no list on a refusal');
  r = await t.app.inject({ method: 'POST', url: LIST_PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ machine: 'unit1', counter: 99, version: f.version }) });
  assert.is(r.statusCode, 401, 'missing signature');
  r = await download(unit, f.version, { body: JSON.stringify({ machine: 'lathe', counter: 50, version: f.version }) });
  assert.is(r.statusCode, 401);
  assert.match(r.json().error, /no unit is registered for machine lathe/);
  r = await download(unit, f.version, { body: JSON.stringify({ machine: 'nope', counter: 51, version: f.version }) });
  assert.is(r.statusCode, 404);
  assert.is(r.json().error, 'No such machine: nope');
  r = await download(unit, f.version, { body: JSON.stringify({ machine: 'unit1', counter: 52 }) });
  assert.is(r.statusCode, 400);
  assert.match(r.json().error, /missing required key "version"/);
  r = await download(unit, f.version, { body: JSON.stringify({ machine: 'unit1', counter: 53, version: f.version, all: true }) });
  assert.is(r.statusCode, 400);
  assert.match(r.json().error, /unknown key "all"/);
  r = await download(unit, f.version, { body: '{"machine":' });
  assert.is(r.statusCode, 400);
});

test('replay protection: the download shares the sync counter; a repeat or lower counter is 409', async () => {
  const s = await unit.sync();
  const f = fetchOf(s.body!.list);
  let r = await download(unit, f.version, { counter: s.req.counter });
  assert.is(r.statusCode, 409);
  assert.is(r.json().error, `replayed request: counter ${s.req.counter} is not above ${s.req.counter}`);
  r = await download(unit, f.version);
  assert.is(r.statusCode, 200);
  const again = await download(unit, f.version, { counter: unit.counter });
  assert.is(again.statusCode, 409, 'the same download request again');
  // the next sync must be above the download's counter
  const sync = await unit.sendRaw(JSON.stringify(unit.request({ counter: unit.counter })));
  assert.is(sync.statusCode, 409);
});

test('a version no longer held is 410 with a clear error; the unit syncs again and gets the new one', async () => {
  const f = fetchOf((await unit.sync()).body!.list);
  // nine users changes, each seen by a sync, push the announced version out of the kept versions
  for (let k = 0; k < 9; k++) {
    const put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...many(400 + k + 1)] });
    assert.is(put.statusCode, 200, put.body);
    assert.is(fetchOf((await unit.sync()).body!.list).version, f.version + k + 1);
  }
  let r = await download(unit, f.version);
  assert.is(r.statusCode, 410);
  assert.is(r.json().error, `list version ${f.version} is no longer held (latest is ${f.version + 9}): sync again`);
  r = await download(unit, 987654);
  assert.is(r.statusCode, 410);
  const next = fetchOf((await unit.sync()).body!.list);
  assert.is(next.version, f.version + 9);
  r = await download(unit, next.version);
  assert.is(r.statusCode, 200);
  assert.is(r.body.length, next.bytes);
  // a version still kept (not the latest) is served too
  const older = await download(unit, next.version - 1);
  assert.is(older.statusCode, 200);
  const d = decodeList(older.body, sha256Hex) as { ok: true; value: AuthList };
  assert.is(d.value.version, next.version - 1);
});

test('over a real socket: 5,000 members, Content-Length and the raw text arrive intact', async () => {
  const big = await makeApp({ users: usersConfig([...USERS_RAW, ...many(5000)]) });
  try {
    await big.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (big.app.server.address() as AddressInfo).port;
    const u = new TestUnit(big.app, 'unit1');
    await u.register();
    const s = await u.sync();
    const f = fetchOf(s.body!.list);
    const body = JSON.stringify({ machine: 'unit1', counter: ++u.counter, version: f.version });
    const res = await fetch('http://127.0.0.1:' + port + LIST_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(u.key, body) },
      body,
    });
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-length'), String(f.bytes));
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    assert.is(text.length, f.bytes);
    assert.ok(verifyText(text, res.headers.get(LIST_SIGNATURE_HEADER) ?? '', u.key, hmacHex).ok);
    const d = decodeList(text, sha256Hex) as { ok: true; value: AuthList };
    assert.ok(d.ok);
    assert.is(d.value.count, 5003);
    assert.is(d.value.digest, f.digest);
    console.log('  size: 5,000-member list text ' + f.bytes + ' bytes (' + (f.bytes / 5003).toFixed(1) + ' per member); sync answer ' + s.res.body.length + ' bytes');
  } finally {
    await big.close();
    removeDir(big.dir);
  }
});

test.run();
