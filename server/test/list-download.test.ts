// HTTP tests of how a list update reaches a unit: the server picks the smaller of delta and full
// list, sends it inline only within the budget the unit declares (list_inline_max, capped by the
// server), else announces it for POST /api/v1/list (signed, counted with the sync counter),
// which answers the raw bytes; the announcement carries the signature of the resulting list.
// Errors are JSON 4xx. One test over a real socket with 5,000 members.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AddressInfo } from 'node:net';
import {
  LIST_PATH,
  SIGNATURE_HEADER,
  applyDelta,
  findFob,
  nameAt,
  verifyList,
  type AuthList,
  type ListUpdate,
} from '@fobgate/shared';
import { AUTH, TestUnit, USERS_RAW, makeApp, removeDir, user, usersConfig, type TestApp } from './helpers.js';
import { hmacHex, sha256Hex } from '../src/auth.js';
import { LIST_INLINE_MAX_BYTES } from '../src/machine-lists.js';

let t: TestApp;
let unit: TestUnit;

/** n members authorized on the lathe (unit1 uses the Lathe authorization). */
function many(n: number, from = 0): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < from + n; i++) out.push(user(String(100 + i), 'Member' + i, String(5000000 + i * 3).padStart(10, '0'), ['Lathe']));
  return out;
}

async function download(u: TestUnit, version: number, over: { counter?: number; key?: string; body?: string; from?: number } = {}) {
  const counter = over.counter ?? ++u.counter;
  const text = over.body ?? JSON.stringify({ machine: u.machine, counter, version, from: over.from ?? 0 });
  return u.app.inject({
    method: 'POST',
    url: LIST_PATH,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(over.key ?? u.key, text) },
    payload: text,
  });
}

/** An update announced for download (no inline data). */
function announced(list: ListUpdate | null): ListUpdate {
  assert.ok(list, 'a list update');
  assert.is(list!.data, undefined, 'no inline data');
  assert.match(list!.digest, /^[0-9a-f]{64}$/);
  return list!;
}

function bytes(r: { rawPayload: Buffer }): string {
  return r.rawPayload.toString('latin1');
}

/** The list the unit holds after taking `u` whose bytes are `text`, checked like the firmware checks it. */
function resulting(u: TestUnit, up: ListUpdate, text: string, held: AuthList | null): AuthList {
  let list: AuthList;
  if (up.kind === 'delta') {
    const r = applyDelta(held!, text, sha256Hex);
    assert.ok(r.ok, JSON.stringify(r));
    list = (r as { ok: true; value: AuthList }).value;
  } else list = { text } as AuthList;
  const v = verifyList(list.text, up.sig, u.key, hmacHex, sha256Hex);
  assert.ok(v.ok, JSON.stringify(v));
  const out = (v as { ok: true; value: AuthList }).value;
  assert.is(out.digest, up.digest, 'the announced digest');
  assert.is(out.version, up.version);
  u.listVersion = out.version;
  u.listDigest = out.digest;
  return out;
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

test('a list above the unit\'s budget is announced with its digest and signature and downloaded as raw bytes', async () => {
  const s = await unit.sync();
  assert.is(s.res.statusCode, 200, s.res.body);
  const f = announced(s.body!.list);
  assert.is(f.kind, 'full');
  assert.ok(f.bytes > unit.listInlineMax, 'bytes ' + f.bytes);
  assert.is(f.version, s.body!.latest_list_version);
  assert.ok(s.res.body.length < 1000, 'the sync answer stays small: ' + s.res.body.length);
  const r = await download(unit, f.version);
  assert.is(r.statusCode, 200, r.body);
  assert.is(r.headers['content-type'], 'application/octet-stream');
  assert.is(Number(r.headers['content-length']), f.bytes);
  assert.is(r.rawPayload.length, f.bytes);
  const list = resulting(unit, f, bytes(r), null);
  assert.not.ok(verifyList(list.text, f.sig, 'b2'.repeat(32), hmacHex, sha256Hex).ok, 'not valid under another key');
  assert.is(list.count, 403, 'every known fob: 400 members and the 3 others');
  assert.is(nameAt(list, findFob(list, 5000000 + 3 * 17)), 'Member17');
});

test('the unit\'s declared budget decides inline or download, capped by the server; none declared means download', async () => {
  const small = await makeApp();
  try {
    const u = new TestUnit(small.app, 'unit1');
    await u.register();
    let s = await u.sync();
    assert.ok(s.body!.list!.data, 'a 3-member list fits the default test budget');
    assert.ok(s.body!.list!.bytes <= u.listInlineMax);
    for (const budget of [0, 100]) {
      u.listInlineMax = budget;
      s = await u.sync();
      announced(s.body!.list);
    }
    s = await u.sync({ list_inline_max: undefined });
    announced(s.body!.list);
    // whatever the unit declares, no more than the server's cap travels inline
    const big = await makeApp({ users: usersConfig([...USERS_RAW, ...many(400)]), extra: { listInlineMaxBytes: 2000 } });
    try {
      const v = new TestUnit(big.app, 'unit1');
      await v.register();
      v.listInlineMax = 1 << 20;
      announced((await v.sync()).body!.list);
    } finally {
      await big.close();
      removeDir(big.dir);
    }
    assert.ok(LIST_INLINE_MAX_BYTES <= 4096);
    const r = await u.sendRaw(JSON.stringify(u.request({ list_inline_max: -1 })));
    assert.is(r.statusCode, 400, 'a negative budget is refused');
    assert.match(r.json().error, /list_inline_max/);
  } finally {
    await small.close();
    removeDir(small.dir);
  }
});

test('delta or full: a small change is a delta (inline), a larger one a downloaded delta, a large one or replacing everyone the full list', async () => {
  const f = announced((await unit.sync()).body!.list);
  let held = resulting(unit, f, bytes(await download(unit, f.version)), null);
  // one member more: a small delta, inline
  let put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...many(401)] });
  assert.is(put.statusCode, 200, put.body);
  let s = await unit.sync();
  let u = s.body!.list!;
  assert.is(u.kind, 'delta');
  assert.is(u.from, held.version);
  assert.ok(u.data && u.bytes < 500, 'one member: ' + u.bytes + ' bytes inline');
  held = resulting(unit, u, Buffer.from(u.data!, 'base64').toString('latin1'), held);
  assert.ok(findFob(held, 5000000 + 3 * 400) >= 0);
  // 100 members more: a delta too large for this unit's budget, downloaded with its base
  await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...many(501)] });
  unit.listInlineMax = 1024;
  s = await unit.sync();
  u = announced(s.body!.list);
  assert.is(u.kind, 'delta');
  let r = await download(unit, u.version, { from: u.from });
  assert.is(r.statusCode, 200, r.body);
  assert.is(r.rawPayload.length, u.bytes);
  held = resulting(unit, u, bytes(r), held);
  assert.is(held.count, 504);
  // 300 more on 504: a delta, but more work for the unit than the list itself: the full list
  put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...many(801)] });
  assert.is(put.statusCode, 200, put.body);
  s = await unit.sync();
  u = announced(s.body!.list);
  assert.is(u.kind, 'full');
  held = resulting(unit, u, bytes(await download(unit, u.version)), null);
  assert.is(held.count, 804);
  // everyone replaced: the full list is smaller than the delta
  put = await t.app.inject({ method: 'PUT', url: '/api/admin/users?allow_removals=true', headers: AUTH, payload: [...USERS_RAW, ...many(800, 5000)] });
  assert.is(put.statusCode, 200, put.body);
  s = await unit.sync();
  u = announced(s.body!.list);
  assert.is(u.kind, 'full');
  r = await download(unit, u.version);
  held = resulting(unit, u, bytes(r), null);
  assert.is(findFob(held, 5000000 + 3 * 17), -1);
  assert.ok(findFob(held, 5000000 + 3 * 5017) >= 0);
  assert.is((await unit.sync()).body!.list, null, 'up to date');
});

test('the download is authenticated: bad signature or unregistered unit 401, unknown machine 404, bad body 400', async () => {
  const f = announced((await unit.sync()).body!.list);
  let r = await download(unit, f.version, { key: 'c3'.repeat(32) });
  assert.is(r.statusCode, 401);
  assert.match(r.json().error, /signature/);
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
  r = await download(unit, f.version, { body: JSON.stringify({ machine: 'unit1', counter: 54, version: f.version, from: 'x' }) });
  assert.is(r.statusCode, 400);
  r = await download(unit, f.version, { body: '{"machine":' });
  assert.is(r.statusCode, 400);
});

test('replay protection: the download shares the sync counter; a repeat or lower counter is 409', async () => {
  const s = await unit.sync();
  const f = announced(s.body!.list);
  let r = await download(unit, f.version, { counter: s.req.counter });
  assert.is(r.statusCode, 409);
  assert.is(r.json().error, `replayed request: counter ${s.req.counter} is not above ${s.req.counter}`);
  r = await download(unit, f.version);
  assert.is(r.statusCode, 200);
  const again = await download(unit, f.version, { counter: unit.counter });
  assert.is(again.statusCode, 409, 'the same download request again');
  const sync = await unit.sendRaw(JSON.stringify(unit.request({ counter: unit.counter })));
  assert.is(sync.statusCode, 409);
});

test('a version or base no longer held is 410 with a clear error; the unit syncs again and gets the new one', async () => {
  const f = announced((await unit.sync()).body!.list);
  for (let k = 0; k < 9; k++) {
    const put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...many(400 + k + 1)] });
    assert.is(put.statusCode, 200, put.body);
    assert.is(announced((await unit.sync()).body!.list).version, f.version + k + 1);
  }
  let r = await download(unit, f.version);
  assert.is(r.statusCode, 410);
  assert.is(r.json().error, `list version ${f.version} is no longer held (latest is ${f.version + 9}): sync again`);
  r = await download(unit, 987654);
  assert.is(r.statusCode, 410);
  r = await download(unit, f.version + 9, { from: f.version });
  assert.is(r.statusCode, 410, 'a delta from a base no longer kept');
  r = await download(unit, f.version + 9, { from: f.version + 9 });
  assert.is(r.statusCode, 410, 'a delta from itself');
  const next = announced((await unit.sync()).body!.list);
  assert.is(next.version, f.version + 9);
  r = await download(unit, next.version);
  assert.is(r.statusCode, 200);
  assert.is(r.rawPayload.length, next.bytes);
  const older = await download(unit, next.version - 1);
  assert.is(older.statusCode, 200, 'a version still kept (not the latest) is served too');
  const d = await download(unit, next.version, { from: next.version - 1 });
  assert.is(d.statusCode, 200, 'and a delta between kept versions');
});

test('over a real socket: 5,000 members, Content-Length and the raw bytes arrive intact', async () => {
  const big = await makeApp({ users: usersConfig([...USERS_RAW, ...many(5000)]) });
  try {
    await big.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (big.app.server.address() as AddressInfo).port;
    const u = new TestUnit(big.app, 'unit1');
    await u.register();
    const s = await u.sync();
    const f = announced(s.body!.list);
    const body = JSON.stringify({ machine: 'unit1', counter: ++u.counter, version: f.version, from: 0 });
    const res = await fetch('http://127.0.0.1:' + port + LIST_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(u.key, body) },
      body,
    });
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-length'), String(f.bytes));
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    const list = resulting(u, f, text, null);
    assert.is(list.count, 5003);
    console.log('  size: 5,000-member list ' + f.bytes + ' bytes (' + (f.bytes / 5003).toFixed(1) + ' per member); sync answer ' + s.res.body.length + ' bytes');
  } finally {
    await big.close();
    removeDir(big.dir);
  }
});

test.run();
