// End to end, changes from the office and attacks on the wire: a member revoked with PUT users is
// refused at the next insertion within one sync interval (a running session is not cut); a
// lockout from the admin API reaches the unit within one sync interval; tampered and rolled-back
// lists are refused and reported; a replayed request is refused by the server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SIGNATURE_HEADER, SYNC_INTERVAL_S } from '@fobgate/shared';
import { E2EServer, ensureFirmware, FOBS, MEMBERS, member, sign, startUnit, untilListed, untilSynced, type UnitHandle, healthy } from './harness.js';

const INTERVAL_MS = SYNC_INTERVAL_S * 1000;
let server: E2EServer;
let lathe: UnitHandle;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
  lathe = await startUnit(server, 'lathe');
  await untilListed(lathe.unit);
});

test.after(async () => {
  lathe.unit.close();
  await server.close();
});

function withoutLathe(id: string): unknown[] {
  return MEMBERS.map((m) => (m.account_id === id ? { ...m, authorizations: (m.authorizations as string[]).filter((a) => a !== 'Lathe') } : m));
}

async function putUsers(users: unknown[]): Promise<number> {
  const r = await server.admin('PUT', '/api/admin/users', users);
  assert.is(r.status, 200, JSON.stringify(r.json));
  return (r.json as { version: number }).version;
}

test('member revoked on the server -> next insertion denied within one sync interval; the running session is not cut', async () => {
  const u = lathe.unit;
  await u.insertFob(FOBS.dee);
  await u.advance(100);
  assert.ok(u.relay);
  await putUsers(withoutLathe('4'));
  await u.advance(INTERVAL_MS);
  assert.ok(u.http.log.some((x) => x.outcome === 'ok' && /"list":\{/.test(x.responseBody || '')), 'a new list arrived');
  assert.ok(u.relay, 'running session continues');
  assert.is(u.lcdText, 'Welcome,\nDee');
  await u.removeFob();
  await u.insertFob(FOBS.dee);
  await u.advance(100);
  assert.not.ok(u.relay, 'revoked member refused at the next insertion');
  assert.is(u.lcdText, 'Unauthorized\n');
  await u.removeFob();
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay, 'others unaffected');
  await u.removeFob();
  healthy(u);
});

test('lockout from the admin API reaches the unit within one sync interval; pending while a session runs', async () => {
  const u = lathe.unit;
  let r = await server.admin('POST', '/api/admin/machines/lathe/lockout', {});
  assert.is(r.status, 200, JSON.stringify(r.json));
  await u.advance(INTERVAL_MS);
  assert.is(u.lcdText, 'Down for\nmaintenance');
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.not.ok(u.relay, 'locked out: no session');
  await u.removeFob();
  r = await server.admin('DELETE', '/api/admin/machines/lathe/lockout');
  assert.is(r.status, 200);
  await u.advance(INTERVAL_MS);
  assert.is(u.lcdText, 'Please Insert\nRFID Card');
  // With a member at the machine, a lockout waits for the session to end (shown on the LCD).
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay);
  r = await server.admin('POST', '/api/admin/machines/lathe/lockout', {});
  assert.is(r.status, 200);
  await u.advance(INTERVAL_MS);
  assert.ok(u.relay, 'the running session is not cut');
  assert.is(u.lcdText, 'Lockout pending\nAda');
  await u.removeFob();
  assert.is(u.lcdText, 'Down for\nmaintenance');
  r = await server.admin('DELETE', '/api/admin/machines/lathe/lockout');
  await u.advance(INTERVAL_MS);
  assert.is(u.lcdText, 'Please Insert\nRFID Card');
  healthy(u);
});

test('oops from the admin API reaches the unit within one sync interval (relays off); clearing it too', async () => {
  const u = lathe.unit;
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay);
  let r = await server.admin('POST', '/api/admin/machines/lathe/oops', {});
  assert.is(r.status, 200, JSON.stringify(r.json));
  await u.advance(INTERVAL_MS);
  assert.not.ok(u.relay, 'an oops stops the machine');
  assert.is(u.lcdText, 'Oops!! Please\ncheck/post Slack');
  assert.ok(u.oopsLed);
  await u.removeFob();
  r = await server.admin('DELETE', '/api/admin/machines/lathe/oops');
  assert.is(r.status, 200);
  await u.advance(INTERVAL_MS);
  assert.not.ok(u.oopsLed);
  assert.is(u.lcdText, 'Please Insert\nRFID Card');
  healthy(u);
});

test('lockout with cut=true ends a running session at once', async () => {
  const u = lathe.unit;
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay);
  let r = await server.admin('POST', '/api/admin/machines/lathe/lockout', { cut: true });
  assert.is(r.status, 200, JSON.stringify(r.json));
  await u.advance(INTERVAL_MS);
  assert.not.ok(u.relay, 'session cut');
  assert.is(u.lcdText, 'Down for\nmaintenance');
  await u.removeFob();
  r = await server.admin('DELETE', '/api/admin/machines/lathe/lockout');
  await u.advance(INTERVAL_MS);
  assert.is(u.lcdText, 'Please Insert\nRFID Card');
  healthy(u);
});

test('tampered list (re-signed outer answer) is refused and reported; the good list applies afterwards', async () => {
  const u = lathe.unit;
  const eve = member('5', 'Eve', '0000555555', ['Lathe']);
  let tampered = 0;
  u.http.hook = (_ex, res) => {
    if (res.status !== 200 || res.body.indexOf('"list":{') < 0) return res;
    const body = JSON.parse(res.body) as { list: { data?: string } };
    if (typeof body.list.data !== 'string') return res;
    const t = Buffer.from(body.list.data, 'base64').toString('latin1');
    const i = Math.floor(t.length / 2);
    body.list.data = Buffer.from(t.substring(0, i) + (t.charAt(i) === 'A' ? 'B' : 'A') + t.substring(i + 1), 'latin1').toString('base64');
    tampered++;
    const text = JSON.stringify(body);
    const headers = { ...res.headers };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === SIGNATURE_HEADER) headers[k] = sign(lathe.key, text);
    return { status: res.status, headers, body: text };
  };
  await putUsers([...withoutLathe('4'), eve]);
  await u.advance(INTERVAL_MS * 2);
  u.http.hook = null;
  assert.ok(tampered >= 1, 'a list was tampered with');
  await u.insertFob('0000555555');
  await u.advance(100);
  assert.not.ok(u.relay, 'the tampered list was not used');
  await u.removeFob();
  await untilSynced(u);
  const rejected = (await server.events('lathe')).filter((e) => e.type === 'list_rejected');
  assert.ok(rejected.length >= 1, 'list_rejected reported to the server');
  assert.ok(rejected.every((e) => /^(LIST_SIGNATURE|LIST_DIGEST|LIST_MALFORMED|DELTA_MALFORMED)$/.test(String(e.reason))), JSON.stringify(rejected.map((e) => e.reason)));
  await u.advance(INTERVAL_MS);
  await u.insertFob('0000555555');
  await u.advance(100);
  assert.ok(u.relay, 'the untampered list applies at the next sync');
  assert.is(u.lcdText, 'Welcome,\nEve');
  await u.removeFob();
  healthy(u);
});

test('an answer altered without the key is refused (bad signature) and the unit keeps its state', async () => {
  const u = lathe.unit;
  let altered = 0;
  u.http.hook = (_ex, res) => {
    if (altered > 0 || res.status !== 200) return res;
    altered++;
    const body = JSON.parse(res.body) as { commands: unknown[] };
    body.commands = [{ id: 999999, type: 'lockout', cut: true, by: 'mallory' }];
    return { ...res, body: JSON.stringify(body) };
  };
  await u.advance(INTERVAL_MS);
  u.http.hook = null;
  assert.is(altered, 1);
  assert.is(u.lcdText, 'Please Insert\nRFID Card', 'the forged lockout was not applied');
  await untilSynced(u);
  const errs = (await server.events('lathe')).filter((e) => e.type === 'error' && /SIGNATURE/i.test(String(e.reason)));
  assert.ok(errs.length >= 1, 'bad signature reported');
});

test('rolled-back list (older version, genuinely signed) is refused', async () => {
  const u = lathe.unit;
  const first = u.http.log.find((x) => x.outcome === 'ok' && /"list":\{"kind":"full"/.test(x.responseBody || ''));
  assert.ok(first, 'the first full list was seen on the wire');
  const oldList = (JSON.parse(first!.responseBody!) as { list: { version: number } }).list;
  let replaced = 0;
  u.http.hook = (_ex, res) => {
    if (replaced > 0 || res.status !== 200) return res;
    const body = JSON.parse(res.body) as { list: unknown };
    body.list = oldList;
    replaced++;
    const text = JSON.stringify(body);
    const headers = { ...res.headers };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === SIGNATURE_HEADER) headers[k] = sign(lathe.key, text);
    return { status: res.status, headers, body: text };
  };
  await u.advance(INTERVAL_MS);
  u.http.hook = null;
  assert.is(replaced, 1);
  await u.insertFob('0000555555');
  await u.advance(100);
  assert.ok(u.relay, 'still on the newer list (Eve is only in it)');
  await u.removeFob();
  await untilSynced(u);
  const rejected = (await server.events('lathe')).filter((e) => e.type === 'list_rejected');
  assert.ok(rejected.some((e) => /ROLLBACK/i.test(String(e.reason)) || /older|rollback/i.test(String(e.detail))), JSON.stringify(rejected.map((e) => [e.reason, e.detail])));
  healthy(u);
});

test('replayed request is refused by the server (409) and stores nothing twice', async () => {
  const u = lathe.unit;
  const withEvents = u.http.log.filter((x) => x.outcome === 'ok' && x.status === 200 && /"events":\[\{/.test(x.body));
  const ex = withEvents[withEvents.length - 1];
  assert.ok(ex, 'a signed request with events was seen');
  const sigKey = Object.keys(ex.headers).find((k) => k.toLowerCase() === SIGNATURE_HEADER)!;
  const before = (await server.events('lathe')).length;
  const res = await fetch(server.url + ex.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: ex.headers[sigKey] },
    body: Buffer.from(ex.body, 'latin1'),
  });
  assert.is(res.status, 409);
  const err = (await res.json()) as { error: string };
  assert.match(err.error, /^replayed request: counter \d+ is not above \d+$/);
  assert.is((await server.events('lathe')).length, before, 'nothing stored from the replay');
  // The unit itself carries on.
  await u.advance(INTERVAL_MS);
  assert.is(u.http.log[u.http.log.length - 1].status, 200);
});

test.run();
