// Every malformed input gets a 4xx JSON `{"error": ...}` saying what is wrong (never a 500, an
// HTML page or a stack trace); unknown routes are 404 JSON; OpenAPI and the docs UI are served.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SYNC_PATH } from '@fobgate/shared';
import { AUTH, TestUnit, makeApp, removeDir, update, type TestApp } from './helpers.js';

let t: TestApp;
test.before(async () => {
  t = await makeApp({ bodyLimit: 4096 });
});
test.after(async () => {
  await t.close();
  removeDir(t.dir);
});

function assertJsonError(r: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, contains: string) {
  assert.is(r.statusCode, status, r.body);
  assert.match(String(r.headers['content-type']), 'application/json');
  const b = JSON.parse(r.body);
  assert.type(b.error, 'string');
  assert.match(b.error, contains);
  assert.not.match(r.body, /at \w+ \(|node_modules|<html/i);
}

const post = (url: string, payload: string, contentType = 'application/json', headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers: { 'content-type': contentType, ...headers }, payload });

test('malformed JSON, empty body, garbage bytes', async () => {
  assertJsonError(await post('/api/machine/update', '{"machine_name": "lathe",'), 400, 'not valid JSON');
  assertJsonError(await post('/api/machine/update', ''), 400, 'empty');
  assertJsonError(await post('/api/machine/update', '\u0000\u00ff\u0013garbage'), 400, 'not valid JSON');
  assertJsonError(await post(SYNC_PATH, 'nonsense'), 400, 'not valid JSON');
  assertJsonError(await post('/api/machine/update', '"just a string"'), 400, 'body');
  assertJsonError(await post('/api/machine/update', '[1,2,3]'), 400, 'body');
  assertJsonError(await post('/api/machine/update', 'null'), 400, 'body');
});

test('wrong types, missing and unknown keys name the field', async () => {
  const send = (body: unknown) => post('/api/machine/update', JSON.stringify(body));
  assertJsonError(await send(update('lathe', { oops: 'true' })), 400, 'body/oops');
  assertJsonError(await send(update('lathe', { uptime: 'ten' })), 400, 'body/uptime');
  assertJsonError(await send(update('lathe', { rfid_value: 12345 })), 400, 'body/rfid_value');
  assertJsonError(await send(update('lathe', { rfid_value: 'abc' })), 400, 'rfid_value');
  assertJsonError(await send(update('lathe', { uptime: -1 })), 400, 'body/uptime');
  assertJsonError(await send({ oops: false }), 400, 'missing required key "machine_name"');
  assertJsonError(await send(update('lathe', { extra: 1 })), 400, 'unknown key "extra"');
  const legacy = await send(update('lathe', { extra: 1 }));
  assert.equal(Object.keys(legacy.json()), ['error'], 'dm_mac error bodies carry only "error"');
  assertJsonError(
    await t.app.inject({ method: 'POST', url: '/api/admin/units', headers: AUTH, payload: { machine: 'lathe', key: 'x' } }),
    400,
    'unknown key "key"',
  );
  assertJsonError(
    await t.app.inject({ method: 'POST', url: '/api/admin/units', headers: AUTH, payload: { machine: 7 } }),
    400,
    'body/machine',
  );
});

test('sync: schema errors after a valid signature name the field', async () => {
  const unit = new TestUnit(t.app, 'unit1');
  await unit.register();
  const req = unit.request() as unknown as Record<string, unknown>;
  let r = await unit.sendRaw(JSON.stringify({ ...req, counter: 'one' }));
  assertJsonError(r, 400, 'body/counter');
  r = await unit.sendRaw(JSON.stringify({ ...req, counter: 99, bonus: true }));
  assertJsonError(r, 400, 'unknown key "bonus"');
  r = await unit.sendRaw(JSON.stringify({ ...req, counter: 100, events: [{ seq: 1, type: 'Party Time!', at: 0, up: 0 }] }));
  assertJsonError(r, 400, 'body/events/0/type');
  r = await unit.sendRaw(JSON.stringify({ ...req, counter: 101, state: { relay: true } }));
  assertJsonError(r, 400, 'body/state');
});

test('oversized body -> 413; wrong content type -> 415', async () => {
  const big = JSON.stringify(update('lathe', { rfid_value: 'x'.repeat(10000) }));
  assertJsonError(await post('/api/machine/update', big), 413, 'larger than the limit of 4096 bytes');
  assertJsonError(await post('/api/machine/update', 'machine_name=lathe', 'application/x-www-form-urlencoded'), 415, 'content type');
  assertJsonError(await post('/api/machine/update', '{}', 'text/plain'), 415, 'content type');
  const none = await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: Buffer.from('{"machine_name":"lathe"}') });
  assert.ok(none.statusCode >= 400 && none.statusCode < 500, String(none.statusCode));
  assert.type(none.json().error, 'string');
});

test('unknown routes -> 404 JSON; a wrong method on an existing path -> 405 JSON', async () => {
  assertJsonError(await t.app.inject({ method: 'GET', url: '/nope' }), 404, 'no route GET /nope');
  assertJsonError(await t.app.inject({ method: 'GET', url: '/api/machine/update' }), 405, 'not allowed');
  assertJsonError(await t.app.inject({ method: 'PATCH', url: '/api/admin/users', headers: AUTH }), 405, 'not allowed');
  assertJsonError(await t.app.inject({ method: 'GET', url: '/api/admin/events?limit=5&limit=6', headers: AUTH }), 400, 'querystring');
});

test('OpenAPI at /openapi.json documents the routes; docs UI at /docs', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.is(r.statusCode, 200);
  const doc = r.json();
  assert.match(doc.openapi, /^3\./);
  for (const p of ['/api/machine/update', '/api/v1/sync', '/api/admin/users', '/api/admin/machines', '/api/admin/events', '/api/reload-users']) {
    assert.ok(doc.paths[p], `missing ${p}`);
  }
  assert.ok(doc.paths['/api/machine/update'].post.requestBody);
  const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
  assert.is(ui.statusCode, 200);
  assert.match(String(ui.headers['content-type']), 'text/html');
});

test.run();
