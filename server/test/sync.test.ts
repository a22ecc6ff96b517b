// HTTP tests of the unit sync endpoint: signatures both ways, replay rejection, events stored
// exactly once and acknowledged, delta vs full lists, commands delivered until acknowledged,
// state mirrored from the report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  SIGNATURE_HEADER,
  SYNC_PATH,
  applyDelta,
  findFob,
  fobToNumber,
  verifyList,
  type AuthList,
  type DeviceEvent,
  type ListUpdate,
} from '@fobgate/shared';
import { AUTH, USERS_RAW, TestUnit, makeApp, removeDir, user, type TestApp } from './helpers.js';
import { hmacHex, sha256Hex } from '../src/auth.js';

let t: TestApp;
let unit: TestUnit;
test.before.each(async () => {
  t = await makeApp();
  unit = new TestUnit(t.app, 'unit1');
  await unit.register();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

/** The bytes of an inline list update. */
function bytesOf(u: ListUpdate | null): string {
  assert.ok(u && typeof u.data === 'string', 'an inline update');
  const text = Buffer.from(u!.data!, 'base64').toString('latin1');
  assert.is(text.length, u!.bytes);
  return text;
}

function ev(seq: number, type: DeviceEvent['type'], over: Partial<DeviceEvent> = {}): DeviceEvent {
  return { seq, type, at: 0, up: 50000 + seq, ...over };
}

test('registration issues a 64-hex key; a signed sync gets a signed full list and server time', async () => {
  assert.match(unit.key, /^[0-9a-f]{64}$/);
  t.now.value += 1000;
  const { res, body } = await unit.sync();
  assert.is(res.statusCode, 200, res.body);
  assert.ok(body);
  assert.is(body!.counter, 1);
  assert.is(body!.time, t.now.value);
  assert.is(body!.ack_seq, 0);
  assert.equal(body!.commands, []);
  assert.ok(/^[\x00-\x7f]*$/.test(res.body), 'ASCII-only body');
  const list = body!.list!;
  assert.is(list.kind, 'full');
  const decoded = verifyList(bytesOf(list), list.sig, unit.key, hmacHex, sha256Hex);
  assert.ok(decoded.ok);
  const l = (decoded as { ok: true; value: AuthList }).value;
  assert.is(l.digest, list.digest);
  assert.is(l.version, body!.latest_list_version);
  assert.is(l.machine.name, 'unit1');
  assert.ok(findFob(l, 1) >= 0);
  assert.is(findFob(l, 99), -1);
});

test('bad or missing signature -> 401; unregistered unit -> 401; unknown machine -> 404', async () => {
  const text = JSON.stringify(unit.request());
  let r = await unit.sendRaw(text, 'f'.repeat(64));
  assert.is(r.statusCode, 401);
  assert.match(r.json().error, 'signature');
  r = await t.app.inject({ method: 'POST', url: SYNC_PATH, headers: { 'content-type': 'application/json' }, payload: text });
  assert.is(r.statusCode, 401);
  // tampered body with the original signature
  const tampered = text.replace('"fw":"test-1.0"', '"fw":"evil-1.0"');
  r = await t.app.inject({
    method: 'POST',
    url: SYNC_PATH,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(unit.key, text) },
    payload: tampered,
  });
  assert.is(r.statusCode, 401);
  const other = new TestUnit(t.app, 'lathe');
  other.key = 'a'.repeat(64);
  r = await other.sendRaw(JSON.stringify(other.request()));
  assert.is(r.statusCode, 401);
  assert.match(r.json().error, 'no unit is registered');
  const ghost = new TestUnit(t.app, 'ghost');
  ghost.key = 'a'.repeat(64);
  r = await ghost.sendRaw(JSON.stringify(ghost.request()));
  assert.is(r.statusCode, 404);
});

test('a replayed or lower counter is rejected 409 with the contract message', async () => {
  const req = unit.request({ counter: 5 });
  const text = JSON.stringify(req);
  let r = await unit.sendRaw(text);
  assert.is(r.statusCode, 200);
  r = await unit.sendRaw(text);
  assert.is(r.statusCode, 409);
  assert.equal(r.json().error, 'replayed request: counter 5 is not above 5');
  r = await unit.sendRaw(JSON.stringify({ ...req, counter: 3 }));
  assert.is(r.statusCode, 409);
  assert.is(r.json().error, 'replayed request: counter 3 is not above 5');
});

test('the 409 for a counter not above the held one is signed with the unit key and bound to the refused request; a 200 names the request it answers', async () => {
  const ok = unit.request({ counter: 7 });
  const okText = JSON.stringify(ok);
  let r = await unit.sendRaw(okText);
  assert.is(r.statusCode, 200);
  assert.is(r.json().answers, hmacHex(unit.key, okText), 'the answer names the request signature');
  const low = JSON.stringify({ ...ok, counter: 2, up: 123 });
  r = await unit.sendRaw(low);
  assert.is(r.statusCode, 409);
  assert.is(r.headers[SIGNATURE_HEADER], hmacHex(unit.key, r.body), 'refusal signed with the unit key');
  assert.equal(r.json(), { error: 'replayed request: counter 2 is not above 7', code: 'REPLAYED_REQUEST', counter: 2, held: 7, answers: hmacHex(unit.key, low) });
  // the same for a list download request
  r = await t.app.inject({
    method: 'POST', url: '/api/v1/list',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(unit.key, '{"machine":"unit1","counter":3,"version":1}') },
    payload: '{"machine":"unit1","counter":3,"version":1}',
  });
  assert.is(r.statusCode, 409);
  assert.is(r.json().held, 7);
  assert.is(r.headers[SIGNATURE_HEADER], hmacHex(unit.key, r.body));
});

test('events are stored exactly once across repeated sends and acknowledged', async () => {
  const events = [
    ev(1, 'boot', { v: 1, detail: 'test-1.0' }),
    ev(2, 'session_start', { fob: '0000000001', reason: 'authorized' }),
    ev(3, 'session_end', { fob: '0000000001', reason: 'removed', dur: 65000 }),
  ];
  let s = await unit.sync({ events });
  assert.is(s.body!.ack_seq, 3);
  // the unit did not see the answer and sends the same events again (new counter)
  s = await unit.sync({ events });
  assert.is(s.body!.ack_seq, 3);
  s = await unit.sync({ events: [events[2], ev(4, 'denied', { fob: '0000000002', reason: 'unauthorized' })] });
  assert.is(s.body!.ack_seq, 4);
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=unit1', headers: AUTH });
  const stored = r.json().events as { type: string; unit_seq: number | null; full_name: string | null }[];
  const fromUnit = stored.filter((e) => e.unit_seq !== null);
  assert.equal(fromUnit.map((e) => e.unit_seq).sort(), [1, 2, 3, 4]);
  assert.equal(
    fromUnit.map((e) => e.type).reverse(),
    ['reboot', 'session_start', 'session_end', 'denied'],
  );
  assert.is(fromUnit[0].full_name, 'Bob Tester');
  const texts = t.notifier.sent.map((x) => x.text);
  assert.is(texts.filter((x) => x === 'RFID login on unit1 by authorized user Ada Tester').length, 1);
  assert.ok(texts.includes('RFID logout on unit1 by Ada Tester; session duration a minute'), texts.join('|'));
  assert.ok(texts.includes('Machine unit1 has rebooted.'));
  const sessions = await t.app.inject({ method: 'GET', url: '/api/admin/sessions?member=1', headers: AUTH });
  const list = sessions.json().sessions;
  assert.is(list.length, 1);
  assert.is(list[0].duration_ms, 65000);
  assert.is(list[0].fob, '0000000001');
});

test('an event type from newer firmware is stored as a unit event, not a reason to refuse the sync', async () => {
  const s = await unit.sync({ events: [{ seq: 1, type: 'brownout' as DeviceEvent['type'], at: 0, up: 10, detail: 'x'.repeat(200) }] });
  assert.is(s.res.statusCode, 200, s.res.body);
  assert.is(s.body!.ack_seq, 1);
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=unit1&limit=100', headers: AUTH });
  const stored = (r.json().events as Array<{ type: string; source: string; unit_seq: number | null }>).filter((e) => e.type === 'brownout');
  assert.equal(stored.map((e) => [e.type, e.source, e.unit_seq]), [['brownout', 'unit', 1]]);
});

test('list: full for a fresh unit, nothing when current, delta after a users change, full from an unknown version', async () => {
  // enough members that a one-member change is worth a delta (a tiny list is sent whole)
  const filler = Array.from({ length: 20 }, (_, i) => user(String(100 + i), 'F' + i, String(1000 + i).padStart(10, '0'), ['Lathe']));
  const first = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, ...filler] });
  assert.is(first.statusCode, 200, first.body);
  let s = await unit.sync();
  const full = s.body!.list!;
  assert.is(full.kind, 'full');
  const base = (verifyList(bytesOf(full), full.sig, unit.key, hmacHex, sha256Hex) as { ok: true; value: AuthList }).value;
  unit.listVersion = base.version;
  unit.listDigest = base.digest;
  s = await unit.sync();
  assert.is(s.body!.list, null);
  // a users change bumps the version; the unit gets a delta
  const put = await t.app.inject({
    method: 'PUT',
    url: '/api/admin/users',
    headers: AUTH,
    payload: [...USERS_RAW, ...filler, user('4', 'Dee', '0000000004', ['Lathe'])],
  });
  assert.is(put.statusCode, 200, put.body);
  assert.is(put.json().version, base.version + 1);
  s = await unit.sync();
  const d = s.body!.list!;
  assert.is(d.kind, 'delta');
  assert.is(d.from, base.version);
  assert.ok(d.bytes < full.bytes);
  const applied = applyDelta(base, bytesOf(d), sha256Hex);
  assert.ok(applied.ok, JSON.stringify(applied));
  const next = (applied as { ok: true; value: AuthList }).value;
  assert.is(next.digest, d.digest, 'the delta leads to the announced list');
  assert.ok(verifyList(next.text, d.sig, unit.key, hmacHex, sha256Hex).ok, 'and the signature is that of the resulting list');
  assert.is(next.version, base.version + 1);
  assert.ok(findFob(next, (fobToNumber('0000000004') as { ok: true; value: number }).value) >= 0);
  // the latest version number with other content (a list issued before a crash lost it): newer full list
  s = await unit.sync({ list_version: next.version, list_digest: 'f'.repeat(64) });
  assert.is(s.body!.list!.kind, 'full');
  assert.ok(s.body!.list!.version > next.version);
  // a version the server does not keep -> full
  s = await unit.sync({ list_version: 999999, list_digest: 'x' });
  assert.is(s.body!.list!.kind, 'full');
  assert.ok(s.body!.latest_list_version > 999999, 'server moves past a version it never issued');
});

test('commands: queued by admin, delivered on every sync until acknowledged', async () => {
  let r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/unit1/oops', headers: AUTH, payload: { by: 'Tess' } });
  assert.is(r.statusCode, 200, r.body);
  assert.is(r.json().queued, true);
  r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/unit1/lockout', headers: AUTH, payload: { cut: true } });
  const lockId = r.json().command_id;
  let s = await unit.sync();
  assert.equal(
    s.body!.commands.map((c) => [c.type, c.cut, c.by]),
    [
      ['oops', false, 'Tess'],
      ['lockout', true, 'admin'],
    ],
  );
  const oopsId = s.body!.commands[0].id;
  s = await unit.sync();
  assert.is(s.body!.commands.length, 2, 'still pending without an ack');
  unit.commandAck = oopsId;
  const oopsed = { ...unit.request().state, oopsed: true, look: 'oops', display: 'Oops!! Please\ncheck/post Slack' };
  s = await unit.sync({
    events: [ev(1, 'command_applied', { v: oopsId, reason: 'oops' }), ev(2, 'oops', { reason: 'admin', detail: 'Tess' })],
    state: oopsed,
  });
  assert.equal(s.body!.commands.map((c) => c.id), [lockId]);
  unit.commandAck = lockId;
  s = await unit.sync({ state: oopsed });
  assert.equal(s.body!.commands, []);
  const texts = t.notifier.sent.map((x) => x.text);
  assert.ok(texts.includes('Machine unit1 oopsed via API by Tess.'), texts.join('|'));
  const fleet = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  const row = fleet.json().machines.find((m: { name: string }) => m.name === 'unit1');
  assert.is(row.kind, 'fobgate');
  assert.is(row.oopsed, true);
  assert.is(row.firmware, 'test-1.0');
  assert.is(row.online, true);
});

test('state report is mirrored: session user resolved from the fob', async () => {
  const s = await unit.sync({
    state: {
      relay: true,
      second_relay: false,
      oopsed: false,
      locked_out: false,
      rfid: '0000000001',
      session_fob: '0000000001',
      session_start: t.now.value - 5000,
      look: 'welcome',
      display: 'Welcome,\nAda',
    },
  });
  assert.is(s.res.statusCode, 200);
  const fleet = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  const row = fleet.json().machines.find((m: { name: string }) => m.name === 'unit1');
  assert.is(row.relay, true);
  assert.equal(row.user, { account_id: '1', full_name: 'Ada Tester' });
  assert.is(row.display, 'Welcome,\nAda');
  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, 'machine_relay_state{machine_name="unit1",display_name="unit1"} 1');
  assert.match(metrics.body, 'fobgate_unit_list_version{machine_name="unit1"} 0');
});

test('a lockout waiting for the session is mirrored from the unit: its event and LCD; it ends with the session', async () => {
  const session = (display: string) => ({
    relay: true,
    second_relay: false,
    oopsed: false,
    locked_out: false,
    rfid: '0000000001',
    session_fob: '0000000001',
    session_start: t.now.value - 5000,
    look: 'welcome',
    display,
  });
  const pending = async () => t.app.fobgate.core.store.machine('unit1')!.state.lockout_pending;
  await unit.sync({ state: session('Welcome,\nAda') });
  assert.is(await pending(), false);
  // the unit applied "lock out after the session": its event says so
  await unit.sync({ state: session('Lockout pending\nAda'), events: [ev(1, 'locked_out', { reason: 'pending', detail: 'Tess' })] });
  assert.is(await pending(), true);
  // later syncs without the event keep it (the LCD still says so)
  await unit.sync({ state: session('Lockout pending\nAda') });
  assert.is(await pending(), true);
  // an unlock during the session ends it
  await unit.sync({ state: session('Welcome,\nAda'), events: [ev(2, 'unlocked', { detail: 'Tess' })] });
  assert.is(await pending(), false);
  // pending again, then the member leaves: the lockout takes effect
  await unit.sync({ state: session('Lockout pending\nAda'), events: [ev(3, 'locked_out', { reason: 'pending', detail: 'Tess' })] });
  assert.is(await pending(), true);
  await unit.sync({
    state: { relay: false, second_relay: false, oopsed: false, locked_out: true, rfid: null, session_fob: null, session_start: 0, look: 'locked_out', display: 'Down for\nmaintenance' },
    events: [ev(4, 'session_end', { fob: '0000000001', reason: 'removed' })],
  });
  const st = t.app.fobgate.core.store.machine('unit1')!.state;
  assert.is(st.lockout_pending, false);
  assert.is(st.locked_out, true);
});

test('re-registering rotates the key: the old key no longer verifies', async () => {
  const oldKey = unit.key;
  await unit.register();
  assert.is.not(unit.key, oldKey);
  unit.counter = 0;
  const text = JSON.stringify(unit.request());
  let r = await unit.sendRaw(text, oldKey);
  assert.is(r.statusCode, 401);
  r = await unit.sendRaw(text);
  assert.is(r.statusCode, 200);
});

test.run();
