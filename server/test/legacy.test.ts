// HTTP tests of dm_mac's legacy routes: every look through /api/machine/update, the six-key
// answer, reboot detection, oops/lockout admin routes, reload-users, the API root and metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH, UNKNOWN_FOB, USERS_RAW, makeApp, postUpdate, removeDir, update, user, type TestApp } from './helpers.js';

const SIX = ['display', 'oops_led', 'relay', 'second_relay', 'status_led_brightness', 'status_led_rgb'];

let t: TestApp;
test.before.each(async () => {
  t = await makeApp();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

async function send(machine: string, over: Record<string, unknown> = {}) {
  const r = await postUpdate(t.app, update(machine, over));
  assert.is(r.statusCode, 200, r.body);
  const body = r.json();
  assert.equal(Object.keys(body).sort(), SIX);
  return body;
}

test('idle heartbeat answers exactly the six keys with the idle look', async () => {
  const b = await send('lathe');
  assert.equal(b, {
    relay: false,
    display: 'Please Insert\nRFID Card',
    oops_led: false,
    status_led_rgb: [0, 0, 0],
    status_led_brightness: 0,
    second_relay: false,
  });
});

test('welcome, logout, unauthorized and unknown looks', async () => {
  let b = await send('lathe', { rfid_value: '1' });
  assert.equal(b, {
    relay: true,
    display: 'Welcome,\nAda',
    oops_led: false,
    status_led_rgb: [0, 1, 0],
    status_led_brightness: 0.5,
    second_relay: false,
  });
  b = await send('lathe', { rfid_value: '' });
  assert.is(b.relay, false);
  assert.is(b.display, 'Please Insert\nRFID Card');
  b = await send('lathe', { rfid_value: '0000000002' });
  assert.equal([b.relay, b.display, b.status_led_rgb, b.status_led_brightness], [false, 'Unauthorized', [1, 0.5, 0], 0.5]);
  await send('lathe', { rfid_value: null });
  b = await send('lathe', { rfid_value: UNKNOWN_FOB });
  assert.equal([b.relay, b.display, b.status_led_rgb], [false, 'Unknown RFID', [1, 0, 0]]);
  const texts = t.notifier.sent.map((s) => s.text);
  assert.ok(texts.includes('RFID login on Metal Lathe by authorized user Ada Tester'), texts.join('|'));
  assert.ok(texts.some((x) => x.startsWith('RFID logout on Metal Lathe by Ada Tester; session duration')));
  assert.ok(texts.includes('rejected RFID login on Metal Lathe by UNAUTHORIZED user Bob Tester'));
  assert.ok(texts.includes('RFID login attempt on Metal Lathe by unknown fob'));
});

test('oops look from the button, cleared only by an admin; locked-out look; override look', async () => {
  let b = await send('lathe', { rfid_value: '0000000001' });
  assert.is(b.relay, true);
  b = await send('lathe', { rfid_value: '0000000001', oops: true });
  assert.equal(b, {
    relay: false,
    display: 'Oops!! Please\ncheck/post Slack',
    oops_led: true,
    status_led_rgb: [1, 0, 0],
    status_led_brightness: 0.5,
    second_relay: false,
  });
  b = await send('lathe', { rfid_value: '0000000001', oops: false });
  assert.is(b.display, 'Oops!! Please\ncheck/post Slack');
  assert.ok(t.notifier.sent.some((s) => s.channel === 'oops' && s.text === "Machine Metal Lathe has been Oops'ed!"));
  // override member on an oopsed machine
  await send('lathe', { rfid_value: '' });
  b = await send('lathe', { rfid_value: '0000000003' });
  assert.equal([b.relay, b.display, b.oops_led, b.status_led_rgb], [true, 'OVERRIDE BY\nCy', true, [0, 1, 0]]);
  await send('lathe', { rfid_value: '' });
  // clear oops through the legacy admin route
  let r = await t.app.inject({ method: 'DELETE', url: '/api/machine/oops/lathe', headers: AUTH });
  assert.is(r.statusCode, 200);
  assert.equal(r.json(), { success: true });
  b = await send('lathe');
  assert.is(b.display, 'Please Insert\nRFID Card');
  // lockout
  r = await t.app.inject({ method: 'POST', url: '/api/machine/locked_out/lathe', headers: AUTH });
  assert.equal(r.json(), { success: true });
  b = await send('lathe');
  assert.equal([b.relay, b.display, b.status_led_rgb, b.status_led_brightness], [false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5]);
  b = await send('lathe', { rfid_value: '0000000001' });
  assert.is(b.relay, false);
  r = await t.app.inject({ method: 'DELETE', url: '/api/machine/locked_out/lathe', headers: AUTH });
  assert.is(r.statusCode, 200);
  const texts = t.notifier.sent.map((s) => s.text);
  assert.ok(texts.includes('Machine Metal Lathe is locked-out for maintenance.'));
  assert.ok(texts.includes('Machine Metal Lathe is no longer locked-out for maintenance.'));
  assert.ok(texts.includes('Override login on Metal Lathe by Cy Tester.'));
});

test('repeated quiet heartbeats follow every change made elsewhere (admin oops, lockout, clear)', async () => {
  // the route answers a quiet heartbeat on an unchanged state without deciding anew: any change
  // of the machine's state by another path must show in the very next heartbeat
  for (let i = 0; i < 3; i++) assert.is((await send('lathe')).display, 'Please Insert\nRFID Card');
  let r = await t.app.inject({ method: 'POST', url: '/api/machine/oops/lathe', headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  for (let i = 0; i < 2; i++) assert.equal([(await send('lathe')).display, (await send('lathe')).oops_led], ['Oops!! Please\ncheck/post Slack', true]);
  r = await t.app.inject({ method: 'DELETE', url: '/api/machine/oops/lathe', headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  assert.equal([(await send('lathe')).display, (await send('lathe')).oops_led], ['Please Insert\nRFID Card', false]);
  r = await t.app.inject({ method: 'POST', url: '/api/machine/locked_out/lathe', headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  assert.is((await send('lathe')).relay, false);
  const locked = await send('lathe');
  r = await t.app.inject({ method: 'DELETE', url: '/api/machine/locked_out/lathe', headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  assert.not.equal((await send('lathe')).display, locked.display);
  // a card, then quiet heartbeats with it in: the session runs on, the next change still counts
  assert.is((await send('lathe', { rfid_value: '1' })).relay, true);
  for (let i = 0; i < 3; i++) assert.is((await send('lathe', { rfid_value: '1' })).display, 'Welcome,\nAda');
  assert.is((await send('lathe', { rfid_value: '' })).relay, false);
  // a reboot after quiet heartbeats of a session is still seen as one: the session ends
  assert.is((await send('lathe', { rfid_value: '1', uptime: 500 })).relay, true);
  assert.is((await send('lathe', { rfid_value: '1', uptime: 510 })).relay, true);
  assert.is((await send('lathe', { rfid_value: '1', uptime: 5 })).relay, false);
  assert.is(t.store.machine('lathe')!.uptime_s, 5);
});

test('always-on look and warn-only machine', async () => {
  let b = await send('lights');
  assert.equal([b.relay, b.display, b.status_led_rgb, b.status_led_brightness], [true, 'Always On', [0, 1, 0], 0.5]);
  b = await send('drill', { rfid_value: '0000000002' });
  assert.equal([b.relay, b.display], [true, 'Welcome,\nBob']);
});

test('expired look when a machine checks membership expiry (fobgate addition, off by default)', async () => {
  const h = await import('./helpers.js');
  const t2 = await makeApp({
    machines: h.machinesConfig({ lathe: { authorizations_or: ['Lathe'], expiry_grace_days: 0 } }),
    users: h.usersConfig([{ ...h.user('1', 'Ada', '1', ['Lathe']), expiration_ymd: '2020-01-01' }]),
  });
  try {
    const r = await postUpdate(t2.app, update('lathe', { rfid_value: '1' }));
    assert.equal([r.json().relay, r.json().display], [false, 'Membership\nexpired']);
    assert.ok(t2.notifier.sent.some((s) => s.text.includes('EXPIRED member Ada Tester')));
  } finally {
    await t2.close();
    removeDir(t2.dir);
  }
  // the default (no expiry check) lets the same member in
  const r = await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  assert.is(r.json().relay, true);
});

test('second relay follows its own authorization', async () => {
  let b = await send('saw', { rfid_value: '0000000001' });
  assert.equal([b.relay, b.second_relay], [true, true]);
  await send('saw', { rfid_value: '' });
  b = await send('saw', { rfid_value: '0000000002' });
  assert.equal([b.relay, b.second_relay], [true, false]);
  b = await send('lathe', { rfid_value: '0000000001' });
  assert.is(b.second_relay, false);
});

test('reboot (uptime goes backwards) ends the session and keeps the card logged out', async () => {
  let b = await send('lathe', { rfid_value: '0000000001', uptime: 500 });
  assert.is(b.relay, true);
  b = await send('lathe', { rfid_value: '0000000001', uptime: 3 });
  assert.is(b.relay, false);
  assert.is(b.display, 'Please Insert\nRFID Card');
  assert.ok(t.notifier.sent.some((s) => s.text === 'Machine Metal Lathe has rebooted.'));
  b = await send('lathe', { rfid_value: '0000000001', uptime: 13 });
  assert.is(b.relay, false);
  await send('lathe', { rfid_value: '', uptime: 23 });
  b = await send('lathe', { rfid_value: '0000000001', uptime: 33 });
  assert.is(b.relay, true);
});

test('unknown machine -> 404 with dm_mac body; legacy_updates false -> 403', async () => {
  const r = await postUpdate(t.app, update('nope'));
  assert.is(r.statusCode, 404);
  assert.equal(r.json(), { error: 'No such machine: nope' });
  const o = await t.app.inject({ method: 'POST', url: '/api/machine/oops/nope', headers: AUTH });
  assert.is(o.statusCode, 404);
  assert.equal(o.json(), { error: 'No such machine: nope' });
  const l = await t.app.inject({ method: 'DELETE', url: '/api/machine/locked_out/nope', headers: AUTH });
  assert.is(l.statusCode, 404);

  const t2 = await makeApp({
    machines: (await import('./helpers.js')).machinesConfig({ lathe: { authorizations_or: ['Lathe'], legacy_updates: false } }),
  });
  try {
    const d = await postUpdate(t2.app, update('lathe'));
    assert.is(d.statusCode, 403);
    assert.match(d.json().error, 'legacy');
  } finally {
    await t2.close();
    removeDir(t2.dir);
  }
});

test('legacy admin routes need the bearer token', async () => {
  for (const [method, url] of [
    ['POST', '/api/machine/oops/lathe'],
    ['DELETE', '/api/machine/oops/lathe'],
    ['POST', '/api/machine/locked_out/lathe'],
    ['DELETE', '/api/machine/locked_out/lathe'],
    ['POST', '/api/reload-users'],
  ] as const) {
    const none = await t.app.inject({ method, url });
    assert.is(none.statusCode, 401, `${method} ${url}`);
    assert.type(none.json().error, 'string');
    const wrong = await t.app.inject({ method, url, headers: { authorization: 'Bearer wrong-token-wrong-token' } });
    assert.is(wrong.statusCode, 401);
  }
  const b = await send('lathe');
  assert.is(b.oops_led, false, 'no action applied without the token');
});

test('POST /api/reload-users re-reads the file and answers counts; a bad file keeps the users', async () => {
  const path = join(t.dir, 'users.json');
  writeFileSync(path, JSON.stringify(USERS_RAW));
  const t2 = await makeApp({ usersPath: path });
  try {
    let b = await postUpdate(t2.app, update('lathe', { rfid_value: '0000000004' }));
    assert.is(b.json().display, 'Unknown RFID');
    await postUpdate(t2.app, update('lathe', { rfid_value: '' }));
    const next = [USERS_RAW[0], { ...USERS_RAW[1], preferred_name: 'Bobby' }, user('4', 'Dee', '0000000004', ['Lathe'])];
    writeFileSync(path, JSON.stringify(next));
    let r = await t2.app.inject({ method: 'POST', url: '/api/reload-users', headers: AUTH });
    assert.is(r.statusCode, 200, r.body);
    assert.equal(r.json(), { removed: 1, updated: 1, added: 1 });
    b = await postUpdate(t2.app, update('lathe', { rfid_value: '0000000004' }));
    assert.is(b.json().display, 'Welcome,\nDee');
    writeFileSync(path, '[{"account_id": 5}]');
    r = await t2.app.inject({ method: 'POST', url: '/api/reload-users', headers: AUTH });
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, 'users.json');
    assert.match(r.json().error, '/0');
    await postUpdate(t2.app, update('lathe', { rfid_value: '' }));
    b = await postUpdate(t2.app, update('lathe', { rfid_value: '0000000004' }));
    assert.is(b.json().display, 'Welcome,\nDee', 'old users kept');
  } finally {
    await t2.close();
    removeDir(t2.dir);
  }
});

test('GET /api/ and GET /metrics with dm_mac names and labels', async () => {
  const root = await t.app.inject({ method: 'GET', url: '/api/' });
  assert.is(root.statusCode, 200);
  assert.equal(Object.keys(root.json()), ['message']);
  await send('lathe', { rfid_value: '0000000001', amps: 3.5 });
  await send('saw', { rfid_value: '0000000001' });
  const m = await t.app.inject({ method: 'GET', url: '/metrics' });
  assert.is(m.statusCode, 200);
  assert.match(m.headers['content-type'] as string, 'text/plain');
  const text = m.body;
  for (const name of [
    'machine_config_load_timestamp',
    'user_config_load_timestamp',
    'user_config_file_mtime',
    'app_start_timestamp',
    'user_count',
    'fob_count',
    'machine_relay_state',
    'machine_oops_state',
    'machine_lockout_state',
    'machine_override_login_state',
    'machine_unauth_warn_only_state',
    'machine_last_checkin_timestamp',
    'machine_last_update_timestamp',
    'machine_rfid_present',
    'machine_rfid_present_since_timestamp',
    'machine_current_amps',
    'machine_known_user',
    'machine_uptime_seconds',
    'machine_wifi_signal_db',
    'machine_wifi_signal_percent',
    'machine_esp_temperature_c',
    'machine_status_led',
    'mac_state_save_timeouts_total',
    'machine_second_relay_state',
    'machine_second_relay_configured',
    'machine_second_relay_unauth_warn_only',
    'machine_second_relay_always_enabled',
    'fobgate_list_version_latest',
    'fobgate_decisions_total',
    'fobgate_sync_duration_seconds',
    'fobgate_state_save_duration_seconds',
    'fobgate_events_stored_total',
    'fobgate_slack_messages_sent_total',
    'fobgate_slack_messages_dropped_total',
    'process_cpu_seconds_total',
  ]) {
    assert.ok(new RegExp(`^# TYPE ${name} `, 'm').test(text), `missing metric ${name}`);
  }
  assert.match(text, 'machine_relay_state{machine_name="lathe",display_name="Metal Lathe"} 1');
  assert.match(text, 'machine_current_amps{machine_name="lathe",display_name="Metal Lathe"} 3.5');
  assert.match(text, 'machine_status_led{machine_name="lathe",display_name="Metal Lathe",led_attribute="green"} 1');
  assert.match(text, 'machine_second_relay_state{machine_name="saw",display_name="saw",second_relay_alias="Saw dust collector"} 1');
  assert.match(text, 'user_count 3');
  assert.match(text, 'fobgate_decisions_total{outcome="granted"} 2');
  assert.match(text, 'mac_state_save_timeouts_total{machine_name="lathe",display_name="Metal Lathe"} 0');
  assert.not.match(text, 'machine_second_relay_state{machine_name="lathe"');
});

test.run();
