// Dashboard sign-in and the admin credentials: the session cookie (HttpOnly, SameSite=Strict,
// expiring), CSRF-safe state changes through the admin API, sign-out, per-admin tokens (hashed,
// shown once, revocable), sign-in rate limit, security headers, and no secret in any answer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeApp, postUpdate, update, user, usersConfig, TOKEN, AUTH, type TestApp } from './helpers.js';
import { asPage, signIn } from './dashboard-fixture.js';

let t: TestApp;

test.before.each(async () => {
  t = await makeApp();
});

test.after.each(async () => {
  await t.close();
});

test('sign-in with the admin token sets an HttpOnly, SameSite=Strict cookie; the answer holds no secret', async () => {
  const r = await t.app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token: TOKEN } });
  assert.is(r.statusCode, 200);
  const c = String(r.headers['set-cookie']);
  assert.match(c, /^fobgate_session=[A-Za-z0-9_-]{40,};/);
  assert.match(c, /; HttpOnly/);
  assert.match(c, /; SameSite=Strict/);
  assert.match(c, /; Path=\//);
  assert.not.match(r.body, TOKEN);
  assert.equal(Object.keys(r.json()).sort(), ['admin', 'board', 'csrf', 'expires_at']);
  assert.is(r.json().admin, 'admin');
});

test('a wrong token is refused (401 JSON) and sets no cookie; ten failures from one address get 429', async () => {
  for (let i = 0; i < 10; i++) {
    const r = await t.app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token: 'wrong-token-' + i } });
    assert.is(r.statusCode, 401);
    assert.is(r.headers['set-cookie'], undefined);
    assert.is(r.json().code, 'UNAUTHORIZED');
  }
  const r = await t.app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token: TOKEN } });
  assert.is(r.statusCode, 429, 'even the right token waits after ten failures');
  assert.match(r.json().error, 'too many failed sign-ins');
  t.now.value += 15 * 60_000;
  assert.is((await t.app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token: TOKEN } })).statusCode, 200);
});

test('sign-in from another origin is refused', async () => {
  const r = await t.app.inject({ method: 'POST', url: '/dashboard/api/session', headers: { origin: 'https://evil.example', host: 'fobgate.local' }, payload: { token: TOKEN } });
  assert.is(r.statusCode, 403);
});

test('the session reads the fleet and the admin API; state changes need the CSRF header and the same origin', async () => {
  const s = await signIn(t.app);
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/fleet')).statusCode, 200);
  assert.is((await asPage(t.app, s, 'GET', '/api/admin/machines')).statusCode, 200);
  const url = '/api/admin/machines/lathe/oops';
  // no CSRF header
  let r = await t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie }, payload: {} });
  assert.is(r.statusCode, 403);
  assert.match(r.json().error, 'x-fobgate-csrf');
  // wrong CSRF header
  r = await t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'x-fobgate-csrf': 'x' + s.csrf }, payload: {} });
  assert.is(r.statusCode, 403);
  // right header, foreign origin / cross-site fetch
  r = await asPage(t.app, s, 'POST', url, {}, { origin: 'https://evil.example' });
  assert.is(r.statusCode, 403);
  r = await asPage(t.app, s, 'POST', url, {}, { 'sec-fetch-site': 'cross-site' });
  assert.is(r.statusCode, 403);
  let m = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines.find((x: { name: string }) => x.name === 'lathe');
  assert.is(m.oopsed, false, 'nothing refused changed anything');
  r = await asPage(t.app, s, 'POST', url, {}, { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' });
  assert.is(r.statusCode, 200, r.body);
  m = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines.find((x: { name: string }) => x.name === 'lathe');
  assert.is(m.oopsed, true);
  // the dashboard names its admin: "by" in the audit log and Slack
  const evs = (await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=lathe', headers: AUTH })).json().events;
  assert.ok(evs.some((e: { type: string; detail: string }) => e.type === 'oops' && e.detail === 'by admin via dashboard'), JSON.stringify(evs));
  assert.ok(t.notifier.sent.some((x) => x.text === 'Machine Metal Lathe oopsed via dashboard by admin.'), JSON.stringify(t.notifier.sent));
});

test('sign-out ends the session (needs CSRF); the old cookie is refused afterwards', async () => {
  const s = await signIn(t.app);
  assert.is((await t.app.inject({ method: 'DELETE', url: '/dashboard/api/session', headers: { cookie: s.cookie } })).statusCode, 403);
  const r = await asPage(t.app, s, 'DELETE', '/dashboard/api/session');
  assert.is(r.statusCode, 200);
  assert.match(String(r.headers['set-cookie']), /fobgate_session=; .*Max-Age=0/);
  const after = await asPage(t.app, s, 'GET', '/dashboard/api/fleet');
  assert.is(after.statusCode, 401);
  assert.is((await asPage(t.app, s, 'GET', '/api/admin/machines')).statusCode, 401);
});

test('sessions expire: after 30 idle minutes, and 12 hours after sign-in however busy', async () => {
  const s = await signIn(t.app);
  t.now.value += 29 * 60_000;
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/session')).statusCode, 200, 'used within the idle time');
  t.now.value += 30 * 60_000;
  const r = await asPage(t.app, s, 'GET', '/dashboard/api/session');
  assert.is(r.statusCode, 401, 'idle for 30 minutes');
  const busy = await signIn(t.app);
  for (let h = 0; h < 12 * 3; h++) {
    t.now.value += 20 * 60_000;
    const x = await asPage(t.app, busy, 'GET', '/dashboard/api/fleet');
    if (h < 12 * 3 - 1) assert.is(x.statusCode, 200, `still signed in after ${(h + 1) * 20} minutes`);
    else assert.is(x.statusCode, 401, 'ended 12 hours after sign-in');
  }
  const expired = await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/oops', headers: { cookie: busy.cookie, 'x-fobgate-csrf': busy.csrf }, payload: {} });
  assert.is(expired.statusCode, 401);
  assert.match(expired.json().error, 'expired');
});

test('a members import from a session takes the admin API\'s path: dry run first, mass removals refused unless confirmed', async () => {
  await t.close();
  const many = Array.from({ length: 20 }, (_, i) => user(String(i + 1), 'M' + (i + 1), String(1000000 + i).padStart(10, '0'), ['Saw']));
  t = await makeApp({ users: usersConfig(many) });
  const s = await signIn(t.app);
  const kept = many.slice(0, 14);
  // the page's preview: nothing changes, the answer says confirmation is needed (6 > max(5, 10 %))
  const dry = await asPage(t.app, s, 'PUT', '/api/admin/users?dry_run=true', kept);
  assert.is(dry.statusCode, 200, dry.body);
  assert.is(dry.json().removed.length, 6);
  assert.is(dry.json().removals_need_confirmation, true);
  assert.is(dry.json().removal_limit, 5);
  const version = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().list_version_latest;
  // applied without the confirmation: refused, nothing changed
  const refused = await asPage(t.app, s, 'PUT', '/api/admin/users', kept);
  assert.is(refused.statusCode, 409, refused.body);
  assert.match(refused.json().error, 'allow_removals');
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH })).json().length, 20);
  // without CSRF the session cannot replace the list at all
  const noCsrf = await t.app.inject({ method: 'PUT', url: '/api/admin/users?allow_removals=true', headers: { cookie: s.cookie }, payload: kept });
  assert.is(noCsrf.statusCode, 403);
  // confirmed (the page's tick): applied, one new list version
  const ok = await asPage(t.app, s, 'PUT', '/api/admin/users?allow_removals=true', kept);
  assert.is(ok.statusCode, 200, ok.body);
  assert.is(ok.json().version, version + 1);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH })).json().length, 14);
});

test('per-admin tokens: shown once, kept hashed, work as bearer and for sign-in, name the admin, revocable', async () => {
  const made = await t.app.inject({ method: 'POST', url: '/api/admin/admins', headers: AUTH, payload: { name: 'alice' } });
  assert.is(made.statusCode, 200, made.body);
  const token = made.json().token as string;
  assert.match(token, /^fga_[A-Za-z0-9_-]{43}$/);
  assert.is((await t.app.inject({ method: 'POST', url: '/api/admin/admins', headers: AUTH, payload: { name: 'Alice' } })).statusCode, 409);
  assert.is((await t.app.inject({ method: 'POST', url: '/api/admin/admins', headers: AUTH, payload: { name: 'admin' } })).statusCode, 409);
  assert.is((await t.app.inject({ method: 'POST', url: '/api/admin/admins', headers: AUTH, payload: { name: '<script>' } })).statusCode, 400);
  const list = await t.app.inject({ method: 'GET', url: '/api/admin/admins', headers: AUTH });
  assert.equal(list.json().admins.map((a: { name: string }) => a.name), ['alice']);
  assert.not.match(list.body, token);
  assert.not.match(list.body, /hash/);
  const file = readFileSync(join(t.dir, 'admins.json'), 'utf8');
  assert.not.match(file, token, 'the token itself is never stored');
  assert.match(file, /"hash": ?"[0-9a-f]{64}"/);
  // as bearer: the API and dm_mac's admin routes; actions name her
  const bearer = { authorization: `Bearer ${token}` };
  const r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/drill/lockout', headers: bearer, payload: { cut: true } });
  assert.is(r.statusCode, 200, r.body);
  assert.is((await t.app.inject({ method: 'DELETE', url: '/api/machine/locked_out/drill', headers: bearer })).statusCode, 200);
  const evs = (await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=drill', headers: AUTH })).json().events;
  assert.ok(evs.some((e: { type: string; detail: string }) => e.type === 'locked_out' && e.detail === 'by alice'));
  // as sign-in; removing her revokes the token and ends the session
  const s = await signIn(t.app, token);
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/session')).json().admin, 'alice');
  const del = await t.app.inject({ method: 'DELETE', url: '/api/admin/admins/alice', headers: AUTH });
  assert.is(del.statusCode, 200);
  assert.is(del.json().sessions_ended, 1);
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/session')).statusCode, 401);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: bearer })).statusCode, 401);
  assert.is((await t.app.inject({ method: 'DELETE', url: '/api/admin/admins/alice', headers: AUTH })).statusCode, 404);
});

test('admins survive a restart (hashes only), and an unknown token stays refused', async () => {
  const token = (await t.app.inject({ method: 'POST', url: '/api/admin/admins', headers: AUTH, payload: { name: 'bea' } })).json().token as string;
  const dir = t.dir;
  await t.close();
  t = await makeApp({ dir });
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: { authorization: `Bearer ${token}x` } })).statusCode, 401);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: { authorization: 'Bearer fga_' + 'A'.repeat(43) } })).statusCode, 401);
});

test('a session survives a server restart (only its id hash is kept); a changed ADMIN_TOKEN ends it', async () => {
  const s = await signIn(t.app);
  const dir = t.dir;
  // kept in the background after the answer; close() waits for a write in flight
  for (let i = 0; i < 200 && !existsSync(join(dir, 'sessions.json')); i++) await new Promise((r) => setTimeout(r, 10));
  const file = readFileSync(join(dir, 'sessions.json'), 'utf8');
  assert.not.match(file, s.cookie.split('=')[1], 'the session id itself is not stored');
  assert.not.match(file, TOKEN);
  await t.close();
  t = await makeApp({ dir });
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/session')).statusCode, 200, 'still signed in after the restart');
  assert.is((await asPage(t.app, s, 'POST', '/api/admin/machines/lathe/oops', {})).statusCode, 200, 'the CSRF token too');
  await t.close();
  t = await makeApp({ dir, extra: { adminToken: 'another-admin-token-0123456789' } });
  assert.is((await asPage(t.app, s, 'GET', '/dashboard/api/session')).statusCode, 401, 'the token it was opened with no longer works');
});

test('dashboard pages and answers carry a strict CSP and the other security headers; no page shows a secret', async () => {
  await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
  const s = await signIn(t.app);
  for (const url of ['/', '/assets/dashboard.js', '/assets/dashboard.css', '/dashboard/api/fleet', '/dashboard/api/session']) {
    const r = await asPage(t.app, s, 'GET', url);
    assert.is(r.statusCode, 200, url);
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, "default-src 'none'", url);
    assert.match(csp, "script-src 'self'", url);
    assert.not.match(csp, 'unsafe-inline', url);
    assert.match(csp, "frame-ancestors 'none'", url);
    assert.is(r.headers['x-content-type-options'], 'nosniff', url);
    assert.is(r.headers['x-frame-options'], 'DENY', url);
    assert.is(r.headers['referrer-policy'], 'no-referrer', url);
    assert.not.match(r.body, TOKEN, url);
    assert.not.match(r.body, s.cookie.split('=')[1], url);
  }
  const page = (await t.app.inject({ method: 'GET', url: '/' })).body;
  assert.not.match(page, /<script>|<style>|\son[a-z]+=|style="/i, 'no inline script, style or handler');
  // the fleet answer names the member at the machine, nothing secret
  const fleet = (await asPage(t.app, s, 'GET', '/dashboard/api/fleet')).json();
  const lathe = fleet.machines.find((m: { name: string }) => m.name === 'lathe');
  assert.is(lathe.user.full_name, 'Ada Tester');
  assert.not.match(JSON.stringify(fleet), /key|token|csrf/i);
});

test('without a session: pages load, data does not (401 JSON), the status board is off by default', async () => {
  assert.is((await t.app.inject({ method: 'GET', url: '/' })).statusCode, 200);
  const r = await t.app.inject({ method: 'GET', url: '/dashboard/api/fleet' });
  assert.is(r.statusCode, 401);
  assert.is(r.json().code, 'UNAUTHORIZED');
  assert.is((await t.app.inject({ method: 'GET', url: '/dashboard/api/stream' })).statusCode, 401);
  assert.is((await t.app.inject({ method: 'GET', url: '/board' })).statusCode, 404);
  assert.is((await t.app.inject({ method: 'GET', url: '/assets/nothing.js' })).statusCode, 404);
  assert.is((await t.app.inject({ method: 'GET', url: '/assets/index.html' })).statusCode, 404);
});

test.run();
