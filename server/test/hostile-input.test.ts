// Hostile input, generated: thousands of malformed requests (seeded PRNG, deterministic) at every
// route must each get a 4xx JSON `{"error": ...}` (or 200 where the input happens to be valid),
// never a 500, an HTML page or a stack trace; the server keeps answering, state.json reloads, a
// unit sending signed garbage cannot corrupt the shared state, and secrets never reach the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, TOKEN, makeApp, removeDir, type TestApp } from './helpers.js';

type Res = { statusCode: number; headers: Record<string, unknown>; body: string };

/** A 4xx JSON error that says something, with no stack frames or file paths in it. */
function assertClientError(r: Res, what: string): void {
  assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: status ${r.statusCode} ${r.body.slice(0, 300)}`);
  assert.match(String(r.headers['content-type']), 'application/json', what);
  let b: { error?: unknown };
  try {
    b = JSON.parse(r.body);
  } catch {
    throw new assert.Assertion({ message: `${what}: body is not JSON: ${r.body.slice(0, 200)}` });
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

test.run();
