// dm_mac drop-in, exactly: each behaviour an ESPHome fleet, its Grafana dashboard or its admins
// would notice, through the real HTTP routes, comparing exact status, body, Slack texts and
// metric samples (docs/dm-mac-compat.md). The deliberate differences are pinned elsewhere
// (shared/src/decision-differences.test.ts, bad-input, hostile-input and legacy tests).
import { test } from 'uvu';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { AUTH, machinesConfig, makeApp, postUpdate, removeDir, stateOnDisk, tempDir, update } from './helpers.js';
import { ADA, BOB, COMPAT_NAMES, CY, IDLE, STRANGER, compatApp, labels, look, type CompatApp } from './compat-fixture.js';
import { parseExposition, select, valueOf } from './prom-text.js';
import { fixSampleValues } from '../src/metrics.js';

let t: CompatApp;

/** Polls a JSON file until `ok` holds for it (10 s at most). */
async function untilOnDisk(dir: string, ok: (data: any) => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  const path = join(dir, 'state.journal');
  for (;;) {
    try {
      if (ok(stateOnDisk(dir))) return;
    } catch {
      // not written yet
    }
    if (Date.now() > end) throw new Error(`${path} never reached the expected content`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
test.before.each(async () => {
  t = await compatApp();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

const OOPS_LOOK = look(false, 'Oops!! Please\ncheck/post Slack', true, [1, 0, 0], 0.5);
const ALWAYS_ON = look(true, 'Always On', false, [0, 1, 0], 0.5);

// ------------------------------------------------------------------ routes

test('routes: a wrong method on an existing path answers 405 with Allow and our JSON body', async () => {
  const cases: Array<[string, string, string, string]> = [
    ['GET', '/api/machine/update', 'OPTIONS, POST', 'method GET is not allowed on /api/machine/update (allowed: POST)'],
    ['GET', '/api/reload-users', 'OPTIONS, POST', 'method GET is not allowed on /api/reload-users (allowed: POST)'],
    ['PUT', '/api/machine/oops/lathe', 'DELETE, OPTIONS, POST', 'method PUT is not allowed on /api/machine/oops/lathe (allowed: DELETE, POST)'],
    ['GET', '/api/machine/locked_out/nope', 'DELETE, OPTIONS, POST', 'method GET is not allowed on /api/machine/locked_out/nope (allowed: DELETE, POST)'],
    ['POST', '/metrics', 'GET, HEAD, OPTIONS', 'method POST is not allowed on /metrics (allowed: GET, HEAD)'],
    ['DELETE', '/api/', 'GET, HEAD, OPTIONS', 'method DELETE is not allowed on /api/ (allowed: GET, HEAD)'],
  ];
  for (const [method, url, allow, error] of cases) {
    const r = await t.app.inject({ method: method as 'GET', url });
    assert.is(r.statusCode, 405, `${method} ${url}: ${r.body}`);
    assert.is(r.headers.allow, allow, url);
    assert.match(String(r.headers['content-type']), 'application/json');
    assert.equal(r.json(), { error }, url);
  }
  // fobgate's own routes carry the error code too
  const admin = await t.app.inject({ method: 'PATCH', url: '/api/admin/users', headers: AUTH });
  assert.is(admin.statusCode, 405);
  assert.equal(admin.json(), { error: 'method PATCH is not allowed on /api/admin/users (allowed: GET, HEAD, PUT)', code: 'METHOD_NOT_ALLOWED' });
  // OPTIONS lists the methods; a path nobody serves is still 404
  const options = await t.app.inject({ method: 'OPTIONS', url: '/api/machine/update' });
  assert.equal([options.statusCode, options.headers.allow, options.body], [200, 'OPTIONS, POST', '']);
  const none = await t.app.inject({ method: 'GET', url: '/api/machine/nope' });
  assert.equal([none.statusCode, none.json()], [404, { error: 'no route GET /api/machine/nope', code: 'ROUTE_NOT_FOUND' }]);
});

test('routes: GET /api/ answers exactly {"message": "Nothing to see here..."}', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/api/' });
  assert.is(r.statusCode, 200);
  assert.match(String(r.headers['content-type']), 'application/json');
  assert.is(r.body, '{"message":"Nothing to see here..."}');
});

test('routes: GET /api answers 308 with Location /api/', async () => {
  const r = await t.app.inject({ method: 'GET', url: '/api' });
  assert.equal([r.statusCode, r.headers.location, r.body], [308, '/api/', '']);
  const q = await t.app.inject({ method: 'GET', url: '/api?x=1' });
  assert.equal([q.statusCode, q.headers.location], [308, '/api/?x=1']);
});

// ------------------------------------------------------------------ timestamps and telemetry

test('machine_last_update_timestamp moves only when an update changed something; admin actions and no-change heartbeats leave it', async () => {
  const T = t.start / 1000;
  const stamps = async (name: string) => {
    const e = await t.scrape();
    return [valueOf(e, 'machine_last_checkin_timestamp', labels(name)), valueOf(e, 'machine_last_update_timestamp', labels(name))];
  };
  t.at(0);
  await t.up('lathe');
  assert.equal(await stamps('lathe'), [T, 0], 'first heartbeat: checked in, nothing changed');
  t.at(10);
  await t.up('lathe', { rfid_value: ADA });
  assert.equal(await stamps('lathe'), [T + 10, T + 10], 'card inserted');
  t.at(20);
  await t.up('lathe', { rfid_value: ADA });
  assert.equal(await stamps('lathe'), [T + 20, T + 10], 'no-change heartbeat');
  t.at(30);
  await t.admin('POST', 'oops', 'lathe');
  await t.admin('DELETE', 'oops', 'lathe');
  await t.admin('POST', 'locked_out', 'lathe');
  await t.admin('DELETE', 'locked_out', 'lathe');
  assert.equal(await stamps('lathe'), [T + 20, T + 10], 'admin actions move neither');
  t.at(40);
  await t.up('lathe', { rfid_value: ADA, uptime: 5 });
  assert.equal(await stamps('lathe'), [T + 40, T + 10], 'reboot with the card left in');
  t.at(50);
  await t.up('lathe', { rfid_value: '', uptime: 15 });
  assert.equal(await stamps('lathe'), [T + 50, T + 50], 'card removed');
  t.at(60);
  await t.up('lathe', { oops: true, uptime: 25 });
  assert.equal(await stamps('lathe'), [T + 60, T + 60], 'oops pressed');
  t.at(70);
  await t.up('lathe', { oops: false, uptime: 35 });
  assert.equal(await stamps('lathe'), [T + 70, T + 60], 'button released');
  // an always-on machine: switched on by its first update, then only card changes count
  t.at(80);
  await t.up('lights');
  assert.equal(await stamps('lights'), [T + 80, T + 80]);
  t.at(90);
  await t.up('lights');
  assert.equal(await stamps('lights'), [T + 90, T + 80]);
  t.at(100);
  await t.up('lights', { rfid_value: ADA });
  assert.equal(await stamps('lights'), [T + 100, T + 100], 'card change tracked');
});

test('never-seen machines export 0 for last check-in and last update; every per-machine gauge has a sample for every configured machine', async () => {
  const e = await t.scrape();
  const gauges = [
    'machine_relay_state', 'machine_oops_state', 'machine_lockout_state', 'machine_override_login_state',
    'machine_unauth_warn_only_state', 'machine_last_checkin_timestamp', 'machine_last_update_timestamp', 'machine_rfid_present',
    'machine_rfid_present_since_timestamp', 'machine_current_amps', 'machine_known_user', 'machine_uptime_seconds',
    'machine_wifi_signal_db', 'machine_wifi_signal_percent', 'machine_esp_temperature_c', 'mac_state_save_timeouts_total',
  ];
  for (const name of gauges) {
    const series = select(e, name);
    assert.is(series.size, COMPAT_NAMES.length, name);
    for (const [n] of COMPAT_NAMES) {
      const want = name === 'machine_unauth_warn_only_state' && n === 'drill' ? 1 : 0;
      assert.is(valueOf(e, name, labels(n)), want, `${name} ${n}`);
    }
  }
  for (const [n] of COMPAT_NAMES) {
    for (const attr of ['red', 'green', 'blue', 'brightness']) {
      assert.is(valueOf(e, 'machine_status_led', { ...labels(n), led_attribute: attr }), 0, `${n} ${attr}`);
    }
  }
});

test('telemetry sent as null, or left out, keeps the previous values', async () => {
  await t.up('lathe', { wifi_signal_db: -61, wifi_signal_percent: 78, internal_temperature_c: 41.5, amps: 2.5, uptime: 100 });
  const expect = async (what: string) => {
    const e = await t.scrape();
    const L = labels('lathe');
    assert.equal(
      [
        valueOf(e, 'machine_wifi_signal_db', L),
        valueOf(e, 'machine_wifi_signal_percent', L),
        valueOf(e, 'machine_esp_temperature_c', L),
        valueOf(e, 'machine_current_amps', L),
        valueOf(e, 'machine_uptime_seconds', L),
      ],
      [-61, 78, 41.5, 2.5, 100],
      what,
    );
  };
  await expect('reported');
  await t.up('lathe', { wifi_signal_db: null, wifi_signal_percent: null, internal_temperature_c: null, amps: null, uptime: null });
  await expect('null keeps them');
  const bare = await postUpdate(t.app, { machine_name: 'lathe' });
  assert.equal([bare.statusCode, bare.json()], [200, IDLE]);
  await expect('absent keeps them');
  await t.up('lathe', { wifi_signal_db: -70, wifi_signal_percent: 60, internal_temperature_c: 39, amps: 0, uptime: 110 });
  const e = await t.scrape();
  assert.is(valueOf(e, 'machine_wifi_signal_db', labels('lathe')), -70);
  assert.is(valueOf(e, 'machine_current_amps', labels('lathe')), 0, 'a real 0 is a value');
});

// ------------------------------------------------------------------ looks

test('oopsed and locked out at once: the lockout look with oops_led true, whichever came first', async () => {
  await t.admin('POST', 'oops', 'lathe');
  await t.admin('POST', 'locked_out', 'lathe');
  const both = look(false, 'Down for\nmaintenance', true, [1, 0.5, 0], 0.5);
  assert.equal(await t.up('lathe'), both);
  await t.admin('POST', 'locked_out', 'saw');
  await t.admin('POST', 'oops', 'saw');
  assert.equal(await t.up('saw'), both);
  const e = await t.scrape();
  const L = labels('lathe');
  assert.equal(
    ['red', 'green', 'blue', 'brightness'].map((a) => valueOf(e, 'machine_status_led', { ...L, led_attribute: a })),
    [1, 0.5, 0, 0.5],
  );
  assert.equal([valueOf(e, 'machine_oops_state', L), valueOf(e, 'machine_lockout_state', L)], [1, 1]);
  // an override session in between and a reboot keep it
  assert.is((await t.up('lathe', { rfid_value: CY })).display, 'OVERRIDE BY\nCy');
  assert.equal(await t.up('lathe', { rfid_value: '' }), both);
  assert.equal(await t.up('lathe', { uptime: 3 }), both);
  // one flag cleared: the other's look
  await t.admin('DELETE', 'locked_out', 'lathe');
  assert.equal(await t.up('lathe', { uptime: 4 }), OOPS_LOOK);
});

test('safety: an admin clearing the oops during an override session ends it: relay off, idle, the card must be re-inserted', async () => {
  t.at(0);
  await t.admin('POST', 'oops', 'lathe');
  t.at(10);
  assert.equal(await t.up('lathe', { rfid_value: CY }), look(true, 'OVERRIDE BY\nCy', true, [0, 1, 0], 0.5));
  t.slack();
  t.at(70);
  await t.admin('DELETE', 'oops', 'lathe');
  assert.equal(t.slack(), ['control: Machine Metal Lathe un-oopsed via API.', 'oops: Machine Metal Lathe oops has been cleared.']);
  t.at(80);
  assert.equal(await t.up('lathe', { rfid_value: CY }), IDLE, 'same card still in: relay off, idle');
  const e = await t.scrape();
  const L = labels('lathe');
  assert.equal(
    ['machine_relay_state', 'machine_override_login_state', 'machine_oops_state', 'machine_known_user', 'machine_rfid_present'].map((n) => valueOf(e, n, L)),
    [0, 0, 0, 0, 1],
  );
  assert.equal(await t.up('lathe', { rfid_value: CY }), IDLE, 'still not a new login');
  t.at(130);
  assert.equal(await t.up('lathe', { rfid_value: '' }), IDLE);
  assert.equal(t.slack(), ['control: RFID logout on Metal Lathe by unknown; session duration 2 minutes']);
  assert.equal(await t.up('lathe', { rfid_value: CY }), look(false, 'Unauthorized', false, [1, 0.5, 0], 0.5), 're-inserted: a fresh, normal login');
  // the same through fobgate's own admin API, and for the lockout
  await t.admin('POST', 'locked_out', 'saw');
  assert.is((await t.up('saw', { rfid_value: CY })).relay, true);
  const r = await t.app.inject({ method: 'DELETE', url: '/api/admin/machines/saw/lockout', headers: AUTH });
  assert.is(r.statusCode, 200);
  assert.equal(await t.up('saw', { rfid_value: CY }), IDLE);
});

// ------------------------------------------------------------------ always-on and the second relay

test('an always-enabled machine with a known card in exports machine_known_user 1', async () => {
  const known = async () => valueOf(await t.scrape(), 'machine_known_user', labels('lights'));
  assert.equal(await t.up('lights'), ALWAYS_ON);
  assert.is(await known(), 0);
  assert.equal(await t.up('lights', { rfid_value: BOB }), ALWAYS_ON);
  assert.is(await known(), 1);
  assert.is(valueOf(await t.scrape(), 'machine_rfid_present', labels('lights')), 1);
  await t.up('lights', { rfid_value: '' });
  assert.is(await known(), 0);
  await t.up('lights', { rfid_value: STRANGER });
  assert.is(await known(), 0, 'an unknown card is no known user');
  assert.equal(t.slack().filter((x) => x.includes('lights')), [], 'always-on card changes are audit only');
});

test('safety: an always-enabled machine with a warn-only second relay and nobody logged in keeps the second relay off', async () => {
  const second = async () => valueOf(await t.scrape(), 'machine_second_relay_state', { ...labels('booth'), second_relay_alias: '' });
  assert.equal(await t.up('booth'), ALWAYS_ON);
  assert.is(await second(), 0);
  assert.equal(await t.up('booth', { rfid_value: STRANGER }), ALWAYS_ON, 'an unknown card is nobody');
  await t.up('booth', { rfid_value: '' });
  // with a known card in, it follows its holder as dm_mac's current user: warn-only, then granted
  assert.equal(await t.up('booth', { rfid_value: BOB }), look(true, 'Always On', false, [0, 1, 0], 0.5, true));
  assert.is(await second(), 1);
  await t.up('booth', { rfid_value: '' });
  assert.equal(await t.up('booth', { rfid_value: ADA }), look(true, 'Always On', false, [0, 1, 0], 0.5, true));
  assert.equal(await t.up('booth', { rfid_value: '' }), ALWAYS_ON);
  assert.is(await second(), 0);
});

test('second_relay_alias is the alias or ""; machine_second_relay_* only for machines with a second relay', async () => {
  await t.up('saw', { rfid_value: ADA });
  const e = await t.scrape();
  const saw = { ...labels('saw'), second_relay_alias: 'Dust Collector' };
  const booth = { ...labels('booth'), second_relay_alias: '' };
  const rows: Array<[string, number, number]> = [
    ['machine_second_relay_state', 1, 0],
    ['machine_second_relay_configured', 1, 1],
    ['machine_second_relay_unauth_warn_only', 0, 1],
    ['machine_second_relay_always_enabled', 0, 0],
  ];
  for (const [name, sawValue, boothValue] of rows) {
    assert.is(e.types.get(name), 'gauge', name);
    assert.is(select(e, name).size, 2, `${name}: only saw and booth`);
    assert.is(valueOf(e, name, saw), sawValue, name);
    assert.is(valueOf(e, name, booth), boothValue, name);
  }
});

test('single-relay configs: no machine_second_relay_* family at all, not even HELP/TYPE', async () => {
  const single = await makeApp({ machines: machinesConfig({ lathe: { authorizations_or: ['Lathe'] }, drill: { authorizations_or: ['Drill'], unauthorized_warn_only: true } }) });
  try {
    await postUpdate(single.app, update('lathe', { rfid_value: ADA }));
    const text = (await single.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.not.match(text, 'machine_second_relay');
    assert.match(text, 'machine_relay_state{machine_name="lathe",display_name="lathe"} 1');
  } finally {
    await single.close();
    removeDir(single.dir);
  }
});

// ------------------------------------------------------------------ persistence metrics

test('mac_state_save_timeouts_total survives a restart: exported from the persisted count at start', async () => {
  const dir = tempDir();
  const a = await compatApp({ dir, budgetMs: 300 });
  try {
    a.disk.stall();
    assert.is((await postUpdate(a.app, update('lathe', { rfid_value: ADA }))).statusCode, 503);
    assert.is((await a.app.inject({ method: 'POST', url: '/api/machine/oops/lathe', headers: AUTH })).statusCode, 503);
    assert.is(valueOf(await a.scrape(), 'mac_state_save_timeouts_total', labels('lathe')), 2);
    assert.is(a.slack().filter((x) => x.includes('state-save timeout (')).length, 1, 'the per-machine alert at 2');
    // the disk recovers: wait until the count is on disk (a busy machine may take a while)
    a.disk.release();
    await untilOnDisk(dir, (s) => s.save_timeouts?.lathe === 2);
  } finally {
    await a.close();
  }
  const b = await compatApp({ dir, budgetMs: 300 });
  try {
    const e = await b.scrape();
    assert.equal(e.types.get('mac_state_save_timeouts_total'), 'counter');
    assert.is(valueOf(e, 'mac_state_save_timeouts_total', labels('lathe')), 2, 'restored before any request');
    assert.is(valueOf(e, 'mac_state_save_timeouts_total', labels('saw')), 0);
    b.disk.stall();
    assert.is((await postUpdate(b.app, update('lathe', { rfid_value: '' }))).statusCode, 503);
    assert.is(valueOf(await b.scrape(), 'mac_state_save_timeouts_total', labels('lathe')), 3);
    assert.equal(b.slack().filter((x) => x.includes('state-save timeout (')), [], 'a restored count does not alert again');
  } finally {
    await b.close();
    removeDir(dir);
  }
});

test('fobgate_state_save_duration_seconds observes every state write', async () => {
  let e = await t.scrape();
  assert.is(valueOf(e, 'fobgate_state_save_duration_seconds_count', {}), t.disk.writes);
  await t.up('lathe', { rfid_value: ADA });
  await t.up('lathe', { rfid_value: '' });
  await t.admin('POST', 'oops', 'saw');
  e = await t.scrape();
  const count = valueOf(e, 'fobgate_state_save_duration_seconds_count', {})!;
  assert.ok(count >= 3, `count ${count}`);
  assert.is(count, t.disk.writes, 'one observation per finished write');
  assert.is(valueOf(e, 'fobgate_state_save_duration_seconds_bucket', { le: '+Inf' }), count);
  assert.ok(valueOf(e, 'fobgate_state_save_duration_seconds_sum', {})! >= 0);
});

test('/metrics never prints Nan: back-to-back scrapes stay valid text format', async () => {
  for (let i = 0; i < 20; i++) {
    const r = await t.app.inject({ method: 'GET', url: '/metrics' });
    assert.not.match(r.body, / Nan$/m, `scrape ${i}`);
    parseExposition(r.body); // throws on any value the text format does not allow
  }
  assert.is(
    fixSampleValues('# HELP x Nan\nx 1\nnodejs_eventloop_lag_min_seconds Nan\ny{a="b Nan"} Nan\n'),
    '# HELP x Nan\nx 1\nnodejs_eventloop_lag_min_seconds NaN\ny{a="b Nan"} NaN\n',
  );
});

// ------------------------------------------------------------------ Slack

test("Slack: dm_mac's admin routes post its API lines, by unknown user, (both relays) on second-relay machines", async () => {
  await t.admin('POST', 'oops', 'lathe');
  await t.admin('DELETE', 'oops', 'lathe');
  await t.admin('POST', 'locked_out', 'lathe');
  await t.admin('DELETE', 'locked_out', 'lathe');
  assert.equal(t.slack(), [
    'control: Machine Metal Lathe oopsed via API by unknown user.',
    "oops: Machine Metal Lathe has been Oops'ed!",
    'control: Machine Metal Lathe un-oopsed via API.',
    'oops: Machine Metal Lathe oops has been cleared.',
    'control: Machine Metal Lathe locked-out via API.',
    'oops: Machine Metal Lathe is locked-out for maintenance.',
    'control: Machine Metal Lathe locked-out cleared via API.',
    'oops: Machine Metal Lathe is no longer locked-out for maintenance.',
  ]);
  await t.admin('POST', 'oops', 'saw');
  await t.admin('DELETE', 'oops', 'saw');
  await t.admin('POST', 'locked_out', 'saw');
  await t.admin('DELETE', 'locked_out', 'saw');
  assert.equal(t.slack(), [
    'control: Machine Table Saw oopsed via API by unknown user (both relays).',
    "oops: Machine Table Saw has been Oops'ed!",
    'control: Machine Table Saw un-oopsed via API (both relays).',
    'oops: Machine Table Saw oops has been cleared.',
    'control: Machine Table Saw locked-out via API (both relays).',
    'oops: Machine Table Saw is locked-out for maintenance.',
    'control: Machine Table Saw locked-out cleared via API (both relays).',
    'oops: Machine Table Saw is no longer locked-out for maintenance.',
  ]);
});

test('Slack: the oops button says whether a card was present, and whose', async () => {
  await t.up('lathe', { oops: true });
  assert.equal(t.slack(), ['control: Machine Metal Lathe oopsed via Oops button without RFID present by unknown user.', "oops: Machine Metal Lathe has been Oops'ed!"]);
  await t.admin('DELETE', 'oops', 'lathe');
  await t.up('lathe', { rfid_value: ADA });
  t.slack();
  await t.up('lathe', { rfid_value: ADA, oops: true });
  assert.equal(t.slack(), ['control: Machine Metal Lathe oopsed via Oops button with RFID present by Ada Tester.', "oops: Machine Metal Lathe has been Oops'ed!"]);
  await t.up('lathe', { rfid_value: '' });
  await t.admin('DELETE', 'oops', 'lathe');
  await t.up('lathe', { rfid_value: STRANGER });
  t.slack();
  await t.up('lathe', { rfid_value: STRANGER, oops: true });
  assert.equal(t.slack(), ['control: Machine Metal Lathe oopsed via Oops button with RFID present by unknown user.', "oops: Machine Metal Lathe has been Oops'ed!"]);
  await t.up('saw', { oops: true });
  assert.equal(t.slack(), ['control: Machine Table Saw oopsed via Oops button without RFID present by unknown user (both relays).', "oops: Machine Table Saw has been Oops'ed!"]);
});

test('Slack: logins refused while oopsed or locked out, unknown fobs, unauthorized members', async () => {
  await t.up('lathe', { rfid_value: BOB });
  await t.up('lathe', { rfid_value: '' });
  await t.up('lathe', { rfid_value: STRANGER });
  await t.up('lathe', { rfid_value: '' });
  await t.admin('POST', 'oops', 'lathe');
  t.slack();
  await t.up('lathe', { rfid_value: ADA });
  await t.up('lathe', { rfid_value: '' });
  await t.up('lathe', { rfid_value: STRANGER });
  await t.up('lathe', { rfid_value: '' });
  await t.admin('DELETE', 'oops', 'lathe');
  await t.admin('POST', 'locked_out', 'lathe');
  t.slack();
  await t.up('lathe', { rfid_value: ADA });
  await t.up('lathe', { rfid_value: '' });
  await t.up('lathe', { rfid_value: STRANGER });
  const texts = t.notifier.sent.map((s) => s.text);
  for (const want of [
    'rejected RFID login on Metal Lathe by UNAUTHORIZED user Bob Tester',
    'RFID login attempt on Metal Lathe by unknown fob',
    'RFID login attempt on Metal Lathe by Ada Tester when oopsed.',
    'RFID login attempt on Metal Lathe by unknown fob when oopsed or locked out.',
    'RFID login attempt on Metal Lathe by Ada Tester when machine locked-out.',
  ]) {
    assert.ok(texts.includes(want), `missing "${want}" in ${JSON.stringify(texts)}`);
  }
  assert.equal(t.slack(), [
    'control: RFID login attempt on Metal Lathe by Ada Tester when machine locked-out.',
    'control: RFID logout on Metal Lathe by unknown; session duration a moment',
    'control: RFID login attempt on Metal Lathe by unknown fob when oopsed or locked out.',
  ]);
});

test('Slack: a logout is posted when the card is pulled, with a humanized duration; not at oops, lockout or reboot', async () => {
  t.at(0);
  await t.up('lathe', { rfid_value: ADA });
  assert.equal(t.slack(), ['control: RFID login on Metal Lathe by authorized user Ada Tester']);
  t.at(65);
  await t.up('lathe', { rfid_value: '' });
  assert.equal(t.slack(), ['control: RFID logout on Metal Lathe by Ada Tester; session duration a minute']);
  // oops with the card in: no logout then; the line comes with the pull
  t.at(100);
  await t.up('lathe', { rfid_value: ADA });
  t.at(400);
  await t.up('lathe', { rfid_value: ADA, oops: true });
  assert.equal(t.slack(), [
    'control: RFID login on Metal Lathe by authorized user Ada Tester',
    'control: Machine Metal Lathe oopsed via Oops button with RFID present by Ada Tester.',
    "oops: Machine Metal Lathe has been Oops'ed!",
  ]);
  t.at(700);
  await t.up('lathe', { rfid_value: '' });
  assert.equal(t.slack(), ['control: RFID logout on Metal Lathe by unknown; session duration 10 minutes']);
  await t.admin('DELETE', 'oops', 'lathe');
  t.slack();
  // lockout through dm_mac's API ends the session at once; logout at the pull
  t.at(1000);
  await t.up('lathe', { rfid_value: ADA });
  await t.admin('POST', 'locked_out', 'lathe');
  t.at(1000 + 7200);
  await t.up('lathe', { rfid_value: '' });
  assert.equal(t.slack(), [
    'control: RFID login on Metal Lathe by authorized user Ada Tester',
    'control: Machine Metal Lathe locked-out via API.',
    'oops: Machine Metal Lathe is locked-out for maintenance.',
    'control: RFID logout on Metal Lathe by unknown; session duration 2 hours',
  ]);
  await t.admin('DELETE', 'locked_out', 'lathe');
  t.slack();
  // reboot with the card left in
  t.at(9000);
  await t.up('lathe', { rfid_value: ADA, uptime: 500 });
  t.at(9000 + 86400);
  await t.up('lathe', { rfid_value: ADA, uptime: 2 });
  t.at(9000 + 86400 + 30);
  await t.up('lathe', { rfid_value: '', uptime: 32 });
  assert.equal(t.slack(), [
    'control: RFID login on Metal Lathe by authorized user Ada Tester',
    'control: Machine Metal Lathe has rebooted.',
    'control: RFID logout on Metal Lathe by unknown; session duration a day',
  ]);
});

test('Slack: second-relay logins carry its verdict; logouts " (override session)" and "; both relays off"', async () => {
  t.at(0);
  await t.up('saw', { rfid_value: ADA });
  t.at(8);
  await t.up('saw', { rfid_value: '' });
  await t.up('saw', { rfid_value: BOB });
  t.at(9);
  await t.up('saw', { rfid_value: '' });
  assert.equal(t.slack(), [
    'control: RFID login on Table Saw by authorized user Ada Tester; Dust Collector authorized',
    'control: RFID logout on Table Saw by Ada Tester; session duration 8 seconds; both relays off',
    'control: RFID login on Table Saw by authorized user Bob Tester; Dust Collector NOT authorized — relay off',
    'control: RFID logout on Table Saw by Bob Tester; session duration a second; both relays off',
  ]);
  await t.admin('POST', 'oops', 'saw');
  t.slack();
  t.at(100);
  assert.equal(await t.up('saw', { rfid_value: CY }), look(true, 'OVERRIDE BY\nCy', true, [0, 1, 0], 0.5));
  t.at(280);
  assert.equal(await t.up('saw', { rfid_value: '' }), OOPS_LOOK);
  assert.equal(t.slack(), [
    'control: Override login on Table Saw by Cy Tester.',
    'control: RFID logout on Table Saw by Cy Tester; session duration 3 minutes (override session); both relays off',
  ]);
  // an override on a single-relay machine
  await t.admin('POST', 'locked_out', 'lathe');
  t.slack();
  await t.up('lathe', { rfid_value: CY });
  t.at(281);
  await t.up('lathe', { rfid_value: '' });
  assert.equal(t.slack(), [
    'control: Override login on Metal Lathe by Cy Tester.',
    'control: RFID logout on Metal Lathe by Cy Tester; session duration a second (override session)',
  ]);
});

test('Slack: a warn-only login is two messages, the warning first', async () => {
  const body = await t.up('drill', { rfid_value: BOB });
  assert.equal(body, look(true, 'Welcome,\nBob', false, [0, 1, 0], 0.5));
  assert.equal(t.slack(), [
    'control: WARNING - Authorizing user Bob Tester for drill based on unauthorized_warn_only setting for machine. User is NOT authorized for this machine.',
    'control: RFID login on drill by authorized user Bob Tester',
  ]);
});

test.run();
