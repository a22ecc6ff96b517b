// dm_mac's processing order for one `POST /api/machine/update` (reboot, oops, always-enabled,
// card change, config drift), applied through decide().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineConfig, T0, user } from '../test/decision-fixtures.js';
import type { MachineConfig, UserRecord } from './config-types.js';
import { decide, initialState, subjectFor } from './decision.js';
import { applyLegacyUpdate, type LegacyDecision, type LegacyUpdate } from './legacy-update.js';
import type { Decision, MachineState, Subject } from './decision-types.js';

const TODAY = '2026-01-01';

const USERS: UserRecord[] = [
  user({}),
  user({ account_id: '2', full_name: 'Bob Jones', preferred_name: 'Bob', fob_codes: ['0000000002'], authorizations: [] }),
  user({ account_id: '3', full_name: 'Mia Maint', preferred_name: 'Mia', fob_codes: ['0000000003'], authorizations: [], oops_override: true }),
];

function lookupFor(m: MachineConfig) {
  return function (fob: string): Subject | null {
    for (const u of USERS) if (u.fob_codes.indexOf(fob) >= 0) return subjectFor(u, m, fob, TODAY);
    return null;
  };
}

/** A unit posting updates: keeps the state and its last uptime like the server does. */
function unit(m: MachineConfig) {
  let state: MachineState = initialState();
  let prev: number | null = null;
  let now = T0;
  return {
    post(rfid: string | null, uptime: number, oops?: boolean): LegacyDecision {
      now += 1000;
      const d = applyLegacyUpdate(m, state, { oops: oops === true, rfid: rfid, uptime: uptime, prev_uptime: prev }, lookupFor(m), { now: now });
      state = d.state;
      prev = uptime;
      return d;
    },
    state(): MachineState {
      return state;
    },
  };
}

function types(d: Decision): string[] {
  return d.log.map((e) => e.type);
}

test('first update with an authorized card starts a session; the six outputs are set', () => {
  const u = unit(machineConfig());
  const d = u.post('0000000001', 10);
  assert.equal(d.outputs, { relay: true, second_relay: false, display: 'Welcome,\nAnn', oops_led: false, status_led_rgb: [0, 1, 0], status_led_brightness: 0.5 });
  assert.equal(types(d), ['session_start']);
});

test('idle updates with nothing changed change nothing and log nothing', () => {
  const u = unit(machineConfig());
  const a = u.post(null, 10);
  const b = u.post(null, 20);
  assert.equal(a.outputs, b.outputs);
  assert.equal(b.log, []);
  assert.is(b.outputs.display, 'Please Insert\nRFID Card');
  u.post('0000000001', 30);
  const c = u.post('0000000001', 40);
  assert.equal(c.log, []);
  assert.is(c.outputs.relay, true);
});

test("touched (dm_mac's last_update): oops presses, card changes and config resets only", () => {
  const u = unit(machineConfig());
  assert.is(u.post(null, 10).touched, false, 'first heartbeat, nothing changed');
  assert.is(u.post(null, 20).touched, false, 'no-change heartbeat');
  assert.is(u.post('0000000001', 30).touched, true, 'card inserted');
  assert.is(u.post('0000000001', 40).touched, false, 'card stays');
  assert.is(u.post('0000000001', 5).touched, false, 'reboot with the card left in');
  assert.is(u.post(null, 15).touched, true, 'card removed');
  assert.is(u.post('0099999999', 25).touched, true, 'unknown card inserted');
  assert.is(u.post('0099999999', 35, true).touched, true, 'oops pressed');
  assert.is(u.post('0099999999', 45, true).touched, true, 'oops still pressed (dm_mac counts every press)');
  assert.is(u.post('0099999999', 55).touched, false, 'button released');
  const a = unit(machineConfig({ always_enabled: true }));
  assert.is(a.post(null, 10).touched, true, 'relay switched on: the machine became always-on');
  assert.is(a.post(null, 20).touched, false, 'always-on heartbeat');
  assert.is(a.post('0000000001', 30).touched, true, 'always-on card change tracked');
  // rule 6: a machine no longer always-enabled is forced back to idle
  const was = a.state();
  const d = applyLegacyUpdate(machineConfig(), was, { oops: false, rfid: '0000000001', uptime: 40, prev_uptime: 30 }, lookupFor(machineConfig()), { now: T0 });
  assert.equal([d.outputs.relay, d.touched], [false, true]);
});

test('card gone in a later update ends the session with its duration', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 10);
  u.post('0000000001', 20);
  const d = u.post(null, 30);
  assert.is(d.outputs.relay, false);
  assert.equal(types(d), ['session_end']);
  assert.is((d.log[0] as any).duration_ms, 2000);
  assert.is((d.log[0] as any).reason, 'removed');
});

test('"" and null rfid both mean no card', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 10);
  const d = u.post('' as any, 20);
  assert.is(d.outputs.relay, false);
  assert.is(u.state().rfid, null);
});

test('rule 2 first: uptime going backwards is a reboot; the card left in stays logged out until re-inserted', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 100);
  const d = u.post('0000000001', 5);
  assert.equal(types(d), ['reboot', 'session_end']);
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Please Insert\nRFID Card');
  assert.is(u.state().rfid, '0000000001');
  assert.is(u.post('0000000001', 15).outputs.relay, false);
  assert.is(u.post(null, 25).outputs.relay, false);
  assert.is(u.post('0000000001', 35).outputs.relay, true);
});

test('rule 2: a reboot update carrying a different card keeps it as seen (no insertion)', () => {
  const u = unit(machineConfig());
  u.post(null, 100);
  const d = u.post('0000000001', 2);
  assert.equal(types(d), ['reboot']);
  assert.is(d.outputs.relay, false);
  assert.is(u.state().rfid, '0000000001');
});

test('equal uptime is not a reboot', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 100);
  const d = u.post('0000000001', 100);
  assert.equal(d.log, []);
  assert.is(d.outputs.relay, true);
});

test('rule 3 before the card: oops and an insertion in one update -> oopsed, the card changes nothing', () => {
  const u = unit(machineConfig());
  u.post(null, 10);
  const d = u.post('0000000001', 20, true);
  assert.equal(types(d), ['oops', 'denied']);
  assert.is((d.log[1] as any).reason, 'oopsed');
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.oops_led, true);
});

test('rule 3: oops during a session names the member and ends it; button release changes nothing', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 10);
  const d = u.post('0000000001', 20, true);
  assert.equal(types(d), ['oops', 'session_end']);
  assert.is((d.log[0] as any).by, 'Ann Smith');
  assert.is((d.log[0] as any).source, 'button');
  const e = u.post('0000000001', 30, false);
  assert.is(e.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.equal(e.log, []);
});

test('rule 3: oops with a known card in but no session names the card holder', () => {
  const u = unit(machineConfig());
  u.post('0000000002', 10); // Bob: unauthorized
  const d = u.post('0000000002', 20, true);
  assert.is((d.log[0] as any).by, 'Bob Jones');
});

test('reboot and oops in the same update: both logged, in order', () => {
  const u = unit(machineConfig());
  u.post('0000000001', 100);
  const d = u.post('0000000001', 1, true);
  assert.equal(types(d), ['reboot', 'session_end', 'oops']);
  assert.is(d.outputs.display, 'Oops!! Please\ncheck/post Slack');
});

test('rule 4: always-enabled: always-on look, card changes only audited', () => {
  const u = unit(machineConfig({ always_enabled: true }));
  const a = u.post(null, 10);
  assert.is(a.outputs.display, 'Always On');
  assert.is(a.outputs.relay, true);
  const b = u.post('0000000002', 20);
  assert.equal(types(b), ['card_audit']);
  assert.is(b.outputs.display, 'Always On');
  const c = u.post(null, 30);
  assert.equal(types(c), ['card_audit']);
  assert.is(c.outputs.relay, true);
});

test('rule 5: override member on an oopsed machine via legacy updates', () => {
  const m = machineConfig();
  const u = unit(m);
  u.post(null, 10, true);
  const d = u.post('0000000003', 20);
  assert.equal(d.outputs, { relay: true, second_relay: false, display: 'OVERRIDE BY\nMia', oops_led: true, status_led_rgb: [0, 1, 0], status_led_brightness: 0.5 });
  const e = u.post(null, 30);
  assert.is(e.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(e.outputs.relay, false);
});

test('rule 5: unknown and unauthorized cards', () => {
  const u = unit(machineConfig());
  assert.is(u.post('0012345678', 10).outputs.display, 'Unknown RFID');
  assert.is(u.post('0000000002', 20).outputs.display, 'Unauthorized');
  assert.is(u.post(null, 30).outputs.display, 'Please Insert\nRFID Card');
});

test('rule 6: a machine no longer always-enabled goes idle on the next plain update', () => {
  let state = applyLegacyUpdate(machineConfig({ always_enabled: true }), initialState(), { oops: false, rfid: null, uptime: 1, prev_uptime: null }, lookupFor(machineConfig()), { now: T0 }).state;
  assert.is(state.relay, true);
  const d = applyLegacyUpdate(machineConfig(), state, { oops: false, rfid: null, uptime: 2, prev_uptime: 1 }, lookupFor(machineConfig()), { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Please Insert\nRFID Card');
  state = d.state;
  assert.is(state.look, 'idle');
});

test('rule 7: second relay verdict through a legacy update', () => {
  const m = machineConfig({ second_relay: { authorizations_or: ['Dust'], unauthorized_warn_only: true, always_enabled: false, alias: null, display_name: 'dust' } });
  const u = unit(m);
  const d = u.post('0000000001', 10);
  assert.is(d.outputs.second_relay, true);
  assert.equal(types(d), ['session_start', 'second_relay']);
  assert.is((d.log[1] as any).mode, 'warn');
});

test('a lookup that throws treats the fob as unknown (fail closed)', () => {
  const d = applyLegacyUpdate(machineConfig(), initialState(), { oops: false, rfid: '0000000001', uptime: 1, prev_uptime: null }, () => {
    throw new Error('db gone');
  }, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Unknown RFID');
});

test('a malformed update fails closed without throwing', () => {
  const u = unit(machineConfig());
  const running = u.post('0000000001', 10);
  assert.is(running.outputs.relay, true);
  const d = applyLegacyUpdate(machineConfig(), running.state, null as unknown as LegacyUpdate, lookupFor(machineConfig()), { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.equal(types(d), ['session_end', 'error']);
  const e = applyLegacyUpdate(machineConfig(), running.state, { oops: 'yes', rfid: 7, uptime: 'x', prev_uptime: {} } as unknown as LegacyUpdate, lookupFor(machineConfig()), { now: T0 });
  assert.is(e.outputs.relay, false); // rfid 7 is no card: removal
});

test('inputs are not mutated', () => {
  const m = machineConfig();
  const s0 = applyLegacyUpdate(m, initialState(), { oops: false, rfid: '0000000001', uptime: 10, prev_uptime: null }, lookupFor(m), { now: T0 }).state;
  const update: LegacyUpdate = { oops: true, rfid: '0000000002', uptime: 1, prev_uptime: 10 };
  const before = JSON.stringify([m, s0, update]);
  const d = applyLegacyUpdate(m, s0, update, lookupFor(m), { now: T0 + 5 });
  assert.is(JSON.stringify([m, s0, update]), before);
  assert.ok(d.state !== s0);
  assert.is(s0.relay, true);
});

test('every row of the looks table as the six-key legacy answer', () => {
  const rows: Array<[string, () => Decision, [boolean, string, [number, number, number], number, boolean]]> = [
    ['idle', () => unit(machineConfig()).post(null, 1), [false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false]],
    ['welcome', () => unit(machineConfig()).post('0000000001', 1), [true, 'Welcome,\nAnn', [0, 1, 0], 0.5, false]],
    ['unauthorized', () => unit(machineConfig()).post('0000000002', 1), [false, 'Unauthorized', [1, 0.5, 0], 0.5, false]],
    ['unknown fob', () => unit(machineConfig()).post('0012345678', 1), [false, 'Unknown RFID', [1, 0, 0], 0.5, false]],
    ['oops', () => unit(machineConfig()).post(null, 1, true), [false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true]],
    ['always on', () => unit(machineConfig({ always_enabled: true })).post(null, 1), [true, 'Always On', [0, 1, 0], 0.5, false]],
    [
      'override',
      () => {
        const u = unit(machineConfig());
        u.post(null, 1, true);
        return u.post('0000000003', 2);
      },
      [true, 'OVERRIDE BY\nMia', [0, 1, 0], 0.5, true],
    ],
  ];
  for (const r of rows) {
    const o = r[1]().outputs;
    assert.equal(
      { relay: o.relay, display: o.display, oops_led: o.oops_led, status_led_rgb: o.status_led_rgb, status_led_brightness: o.status_led_brightness, second_relay: o.second_relay },
      { relay: r[2][0], display: r[2][1], oops_led: r[2][4], status_led_rgb: r[2][2], status_led_brightness: r[2][3], second_relay: false },
      r[0],
    );
  }
  // locked out comes from the admin route (decided by the server with cut=true), then updates keep it
  const m = machineConfig();
  let s = applyLegacyUpdate(m, initialState(), { oops: false, rfid: '0000000001', uptime: 1, prev_uptime: null }, lookupFor(m), { now: T0 }).state;
  s = decide(m, s, { type: 'admin_lockout', by: 'admin', cut: true }, null, { now: T0 }).state;
  const d = applyLegacyUpdate(m, s, { oops: false, rfid: '0000000001', uptime: 2, prev_uptime: 1 }, lookupFor(m), { now: T0 });
  assert.equal(d.outputs, { relay: false, second_relay: false, display: 'Down for\nmaintenance', oops_led: false, status_led_rgb: [1, 0.5, 0], status_led_brightness: 0.5 });
});

test.run();
