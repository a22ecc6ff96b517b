// The existing Grafana dashboard's view of /metrics: a list of dashboard-style queries (every
// dm_mac metric name, selected by machine_name, display_name, led_attribute and
// second_relay_alias) run against a fresh server and again after a day of typical activity
// (sessions, refusals, an oops, a lockout with an override session, reboots, an always-on card,
// the second relay, a save timeout) on an injected clock. Each query must find exactly the series
// dm_mac would export, with dm_mac's values.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH, postUpdate, removeDir, tempDir, update } from './helpers.js';
import { ADA, BOB, COMPAT_NAMES, COMPAT_USERS, CY, STRANGER, compatApp, type CompatApp } from './compat-fixture.js';
import { parseSelector, select, seriesKey, type Exposition } from './prom-text.js';

/** What dm_mac exports for one machine. */
interface Row {
  relay: number;
  oops: number;
  lockout: number;
  override: number;
  warnOnly: number;
  checkin: number;
  update: number;
  rfid: number;
  since: number;
  amps: number;
  known: number;
  uptime: number;
  db: number;
  pct: number;
  temp: number;
  led: [number, number, number, number];
  timeouts: number;
  second: { alias: string; state: number; warn: number; always: number } | null;
}

const PER_MACHINE: Array<[string, (r: Row) => number]> = [
  ['machine_relay_state', (r) => r.relay],
  ['machine_oops_state', (r) => r.oops],
  ['machine_lockout_state', (r) => r.lockout],
  ['machine_override_login_state', (r) => r.override],
  ['machine_unauth_warn_only_state', (r) => r.warnOnly],
  ['machine_last_checkin_timestamp', (r) => r.checkin],
  ['machine_last_update_timestamp', (r) => r.update],
  ['machine_rfid_present', (r) => r.rfid],
  ['machine_rfid_present_since_timestamp', (r) => r.since],
  ['machine_current_amps', (r) => r.amps],
  ['machine_known_user', (r) => r.known],
  ['machine_uptime_seconds', (r) => r.uptime],
  ['machine_wifi_signal_db', (r) => r.db],
  ['machine_wifi_signal_percent', (r) => r.pct],
  ['machine_esp_temperature_c', (r) => r.temp],
  ['mac_state_save_timeouts_total', (r) => r.timeouts],
];
const LED = ['red', 'green', 'blue', 'brightness'];
const SECOND: Array<[string, (s: NonNullable<Row['second']>) => number]> = [
  ['machine_second_relay_state', (s) => s.state],
  ['machine_second_relay_configured', () => 1],
  ['machine_second_relay_unauth_warn_only', (s) => s.warn],
  ['machine_second_relay_always_enabled', (s) => s.always],
];

interface Expected {
  global: Record<string, number>;
  machines: Record<string, Row>;
}

/** The samples dm_mac would export, as name -> series key -> value. */
function model(x: Expected): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const put = (name: string, labels: Record<string, string>, v: number) => {
    if (!out.has(name)) out.set(name, new Map());
    out.get(name)!.set(seriesKey(labels), v);
  };
  for (const name of Object.keys(x.global)) put(name, {}, x.global[name]);
  for (const [n, dn] of COMPAT_NAMES) {
    const r = x.machines[n];
    const L = { machine_name: n, display_name: dn };
    for (const [name, pick] of PER_MACHINE) put(name, L, pick(r));
    LED.forEach((a, i) => put('machine_status_led', { ...L, led_attribute: a }, r.led[i]));
    if (r.second) for (const [name, pick] of SECOND) put(name, { ...L, second_relay_alias: r.second.alias }, pick(r.second));
  }
  return out;
}

/** Every name and label a dashboard selects on: whole families, per machine, per display name. */
function queries(): string[] {
  const q = ['app_start_timestamp', 'user_count', 'fob_count', 'machine_config_load_timestamp', 'user_config_load_timestamp', 'user_config_file_mtime'];
  for (const [name] of PER_MACHINE) {
    q.push(name);
    for (const [n, dn] of COMPAT_NAMES) q.push(`${name}{machine_name="${n}"}`, `${name}{display_name="${dn}"}`);
  }
  q.push('machine_status_led');
  for (const [n, dn] of COMPAT_NAMES) for (const a of LED) q.push(`machine_status_led{machine_name="${n}",led_attribute="${a}"}`, `machine_status_led{display_name="${dn}",led_attribute="${a}"}`);
  for (const [name] of SECOND) {
    q.push(name, `${name}{second_relay_alias="Dust Collector"}`, `${name}{second_relay_alias=""}`, `${name}{machine_name="saw"}`, `${name}{machine_name="lathe"}`);
  }
  return q;
}

function expectedFor(m: Map<string, Map<string, number>>, query: string): Map<string, number> {
  const sel = parseSelector(query);
  const out = new Map<string, number>();
  for (const [key, v] of m.get(sel.name) ?? new Map<string, number>()) {
    const labels = Object.fromEntries(key === '' ? [] : key.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, i), JSON.parse(kv.slice(i + 1)) as string];
    }));
    if (Object.keys(sel.match).every((k) => labels[k] === sel.match[k])) out.set(key, v);
  }
  return out;
}

const sorted = (m: Map<string, number>) => Object.fromEntries(Array.from(m.entries()).sort((a, b) => (a[0] < b[0] ? -1 : 1)));

/** Runs every query; answers how many distinct series the dashboard expects. */
function runQueries(e: Exposition, x: Expected): number {
  const m = model(x);
  for (const q of queries()) assert.equal(sorted(select(e, q)), sorted(expectedFor(m, q)), q);
  let series = 0;
  for (const family of m.values()) series += family.size;
  // the dashboard's template variable: label_values(machine_relay_state, display_name)
  const names = Array.from(select(e, 'machine_relay_state').keys()).map((k) => JSON.parse(k.split(',')[0].split('=')[1]) as string);
  assert.equal(names.sort(), COMPAT_NAMES.map((r) => r[1]).sort());
  return series;
}

function idleRow(warnOnly = 0, second: Row['second'] = null): Row {
  return {
    relay: 0, oops: 0, lockout: 0, override: 0, warnOnly, checkin: 0, update: 0, rfid: 0, since: 0, amps: 0, known: 0,
    uptime: 0, db: 0, pct: 0, temp: 0, led: [0, 0, 0, 0], timeouts: 0, second,
  };
}

let t: CompatApp;
let dir: string;
let usersMtime: number;

test.before.each(async () => {
  dir = tempDir();
  const usersPath = join(dir, 'users.json');
  writeFileSync(usersPath, JSON.stringify(COMPAT_USERS));
  usersMtime = statSync(usersPath).mtimeMs / 1000;
  t = await compatApp({ dir, usersPath, budgetMs: 300 });
});
test.after.each(async () => {
  await t.close();
  removeDir(dir);
});

function fresh(): Expected {
  const S = t.start / 1000;
  return {
    global: {
      app_start_timestamp: S,
      user_count: 3,
      fob_count: 3,
      machine_config_load_timestamp: S,
      user_config_load_timestamp: S,
      user_config_file_mtime: usersMtime,
    },
    machines: {
      lathe: idleRow(),
      saw: idleRow(0, { alias: 'Dust Collector', state: 0, warn: 0, always: 0 }),
      drill: idleRow(1),
      lights: idleRow(),
      booth: idleRow(0, { alias: '', state: 0, warn: 1, always: 0 }),
    },
  };
}

test('Grafana queries on a fresh server: every series, every machine, dm_mac values', async () => {
  // 6 global gauges, 16 per-machine families x 5 machines, 4 LED attributes x 5, 4 second-relay
  // families x 2 machines
  assert.is(runQueries(await t.scrape(), fresh()), 6 + 16 * 5 + 4 * 5 + 4 * 2);
});

test("Grafana queries after a day's typical activity: every series with dm_mac values", async () => {
  const S = t.start / 1000;
  const tel = (db: number, pct: number, temp: number, amps: number, uptime: number) => ({
    wifi_signal_db: db, wifi_signal_percent: pct, internal_temperature_c: temp, amps, uptime,
  });
  const up = (m: string, s: number, over: Record<string, unknown>) => {
    t.at(s);
    return t.up(m, over);
  };
  // morning: every unit checks in
  for (const [n] of COMPAT_NAMES) await up(n, 0, tel(-60, 80, 40, 0, 10));
  // lathe: a session, a refused member; later it reboots with nobody at it
  await up('lathe', 60, { rfid_value: ADA, ...tel(-60, 80, 41, 6.5, 70) });
  await up('lathe', 3600, { rfid_value: '', ...tel(-60, 80, 44, 0, 3610) });
  await up('lathe', 4000, { rfid_value: BOB, ...tel(-60, 80, 42, 0, 4010) });
  await up('lathe', 4010, { rfid_value: '', ...tel(-60, 80, 42, 0, 4020) });
  await up('lathe', 20000, tel(-61, 79, 39, 0, 20010));
  await up('lathe', 20010, tel(-62, 77, 38, 0, 5));
  // saw: a member with the dust collector, then one without it, who is still at it; the disk
  // stalls on that login (503, applied in memory, one timeout counted)
  await up('saw', 5000, { rfid_value: ADA, ...tel(-55, 90, 45, 9, 5010) });
  await up('saw', 5600, { rfid_value: '', ...tel(-55, 90, 45, 0, 5610) });
  t.disk.stall();
  t.at(6000);
  const stalled = await postUpdate(t.app, update('saw', { rfid_value: BOB, ...tel(-55, 90, 45, 3, 6010) }));
  assert.equal([stalled.statusCode, stalled.json()], [503, { error: 'state save timeout' }]);
  t.disk.release();
  // drill (warn-only): a member without the authorization; oops with the card in; card pulled
  await up('drill', 7000, { rfid_value: BOB, ...tel(-70, 60, 50, 2, 7010) });
  await up('drill', 7200, { rfid_value: BOB, oops: true, ...tel(-70, 60, 50, 0, 7210) });
  await up('drill', 7300, { rfid_value: '', ...tel(-70, 60, 50, 0, 7310) });
  // lights (always on): a member leaves a card in
  await up('lights', 8000, { rfid_value: ADA, ...tel(-50, 100, 35, 1.5, 8010) });
  // booth (always on, warn-only second relay): locked out; a repair member runs it; done
  t.at(9000);
  assert.is((await t.app.inject({ method: 'POST', url: '/api/machine/locked_out/booth', headers: AUTH })).statusCode, 200);
  const o = await up('booth', 9100, { rfid_value: CY, ...tel(-58, 84, 43, 4, 9110) });
  assert.equal([o.relay, o.second_relay, o.display], [true, true, 'OVERRIDE BY\nCy']);
  // mid-day: the dashboard sees the override session and the second relay running for Cy
  const mid = await t.scrape();
  assert.equal(sorted(select(mid, 'machine_override_login_state{machine_name="booth"}')), { 'display_name="booth",machine_name="booth"': 1 });
  assert.equal(sorted(select(mid, 'machine_second_relay_state{second_relay_alias=""}')), { 'display_name="booth",machine_name="booth",second_relay_alias=""': 1 });
  await up('booth', 9500, { rfid_value: '', ...tel(-58, 84, 43, 0, 9510) });
  // an unknown fob tried on the oopsed drill
  await up('drill', 9600, { rfid_value: STRANGER, ...tel(-70, 60, 50, 0, 9610) });
  await up('drill', 9610, { rfid_value: '', ...tel(-70, 60, 50, 0, 9620) });
  // evening: last heartbeats (lathe's telemetry missing: it keeps the last values)
  const E = 30000;
  await up('lathe', E, { wifi_signal_db: null, wifi_signal_percent: null, internal_temperature_c: null, amps: null, uptime: 9995 });
  await up('saw', E, { rfid_value: BOB, ...tel(-56, 88, 46, 3.2, 30010) });
  await up('drill', E, tel(-71, 58, 49, 0, 30010));
  await up('lights', E, { rfid_value: ADA, ...tel(-51, 98, 36, 1.25, 30010) });
  await up('booth', E, tel(-59, 82, 42, 0, 30010));

  const x = fresh();
  const ck = S + E;
  x.machines.lathe = {
    ...idleRow(), checkin: ck, update: S + 4010, uptime: 9995, db: -62, pct: 77, temp: 38, amps: 0,
  };
  x.machines.saw = {
    ...idleRow(), relay: 1, checkin: ck, update: S + 6000, rfid: 1, since: S + 6000, known: 1, uptime: 30010, db: -56, pct: 88, temp: 46,
    amps: 3.2, led: [0, 1, 0, 0.5], timeouts: 1, second: { alias: 'Dust Collector', state: 0, warn: 0, always: 0 },
  };
  x.machines.drill = {
    ...idleRow(1), oops: 1, checkin: ck, update: S + 9610, uptime: 30010, db: -71, pct: 58, temp: 49, amps: 0, led: [1, 0, 0, 0.5],
  };
  x.machines.lights = {
    ...idleRow(), relay: 1, checkin: ck, update: S + 8000, rfid: 1, since: S + 8000, known: 1, uptime: 30010, db: -51, pct: 98, temp: 36,
    amps: 1.25, led: [0, 1, 0, 0.5],
  };
  x.machines.booth = {
    ...idleRow(), lockout: 1, checkin: ck, update: S + 9500, uptime: 30010, db: -59, pct: 82, temp: 42, amps: 0, led: [1, 0.5, 0, 0.5],
    second: { alias: '', state: 0, warn: 1, always: 0 },
  };
  const e = await t.scrape();
  assert.is(runQueries(e, x), 114);
  // and a day of it reads as dm_mac's Slack channel did
  const control = t.notifier.sent.filter((s) => s.channel === 'control').map((s) => s.text);
  assert.ok(control.includes('RFID logout on Metal Lathe by Ada Tester; session duration 59 minutes'), control.join('\n'));
  assert.ok(control.includes('Machine Metal Lathe has rebooted.'));
  assert.ok(control.includes('RFID login on Table Saw by authorized user Bob Tester; Dust Collector NOT authorized — relay off'));
  assert.ok(control.includes('Machine drill oopsed via Oops button with RFID present by Bob Tester.'));
  assert.ok(control.includes('RFID logout on drill by unknown; session duration 5 minutes'));
  assert.ok(control.includes('Override login on booth by Cy Tester.'));
  assert.ok(control.includes('RFID logout on booth by Cy Tester; session duration 6 minutes (override session); both relays off'));
});

test.run();
