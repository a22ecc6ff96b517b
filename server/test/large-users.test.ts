// A whole space's member export goes through the admin API: 5,000 members in users.json format
// (about 1.5 MB) are accepted by PUT /api/admin/users, while other routes keep the small limit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, makeApp, removeDir, user, type TestApp } from './helpers.js';

let t: TestApp;
test.before(async () => {
  t = await makeApp();
});
test.after(async () => {
  await t.close();
  removeDir(t.dir);
});

function members(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const u = user(String(10000 + i), 'Member' + i, String(1000000 + i).padStart(10, '0'), ['Lathe', 'Saw']);
    u.email = `member.with.a.long.address.${i}@makerspace.example.org`;
    out.push(u);
  }
  return out;
}

test('5,000 members (over 1 MB of JSON) replace the users list', async () => {
  const body = members(5000);
  const size = Buffer.byteLength(JSON.stringify(body));
  assert.ok(size > 1024 * 1024, `payload is ${size} bytes`);
  const r = await t.app.inject({ method: 'PUT', url: '/api/admin/users?allow_removals=true', headers: AUTH, payload: body });
  assert.is(r.statusCode, 200, r.body.slice(0, 300));
  assert.is(r.json().added.length, 5000);
  const back = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH });
  assert.is(back.json().length, 5000);
});

test('other routes still refuse an oversized body with 413 JSON naming their limit', async () => {
  const r = await t.app.inject({
    method: 'POST',
    url: '/api/machine/update',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ machine_name: 'lathe', pad: 'x'.repeat(2 * 1024 * 1024) }),
  });
  assert.is(r.statusCode, 413);
  assert.match(r.json().error, /1048576|1 MiB|1024 KiB|bytes/);
});

test.run();
