// The seven places where fobgate deliberately differs from dm_mac (docs/dm-mac-compat.md, "Where we deliberately differ"),
// each pinned by a test named "difference N: ...".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineConfig, T0, user } from '../test/decision-fixtures.js';
import type { MachineConfig, UserRecord } from './config-types.js';
import { decide, initialState, subjectFor } from './decision.js';
import { applyLegacyUpdate } from './legacy-update.js';
import type { DecisionMachine, MachineEvent, MachineState, Subject } from './decision-types.js';

const ANN = subjectFor(user(), machineConfig(), '0000000001', '2026-01-01');
const BOB = subjectFor(user({ account_id: '2', full_name: 'Bob Jones', preferred_name: 'Bob', fob_codes: ['0000000002'], authorizations: [] }), machineConfig(), '0000000002', '2026-01-01');

/** dm_mac's lookup of a fob after a reload: the user holding it now, as this machine sees them. */
function lookupIn(users: UserRecord[], m: MachineConfig, today: string) {
  return function (fob: string): Subject | null {
    for (const u of users) if (u.fob_codes.indexOf(fob) >= 0) return subjectFor(u, m, fob, today);
    return null;
  };
}

function step(m: DecisionMachine, s: MachineState, e: MachineEvent, subj: Subject | null, now?: number) {
  return decide(m, s, e, subj, { now: now === undefined ? T0 : now });
}

function chain(m: DecisionMachine, events: Array<[MachineEvent, Subject | null]>): MachineState {
  let s = initialState();
  for (const e of events) s = step(m, s, e[0], e[1]).state;
  return s;
}

const OOPS: MachineEvent = { type: 'oops_pressed' };
const LOCK: MachineEvent = { type: 'admin_lockout', by: 'admin', cut: true };
const CONFIG: MachineEvent = { type: 'config_changed' };
const REBOOT: MachineEvent = { type: 'reboot' };

// ---- 1
test('difference 1: reboot of an always-enabled oopsed machine keeps the relay off with the oops look', () => {
  const m = machineConfig({ always_enabled: true });
  const s = chain(m, [[CONFIG, null], [OOPS, null]]);
  const d = step(m, s, REBOOT, null);
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(d.outputs.oops_led, true);
  assert.equal(d.outputs.status_led_rgb, [1, 0, 0]);
});

test('difference 1: reboot of an always-enabled locked-out machine keeps the relay off with the lockout look', () => {
  const m = machineConfig({ always_enabled: true });
  const s = chain(m, [[CONFIG, null], [LOCK, null]]);
  const d = step(m, s, REBOOT, null);
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Down for\nmaintenance');
});

test('difference 1: the same through a legacy update whose uptime went backwards', () => {
  const m = machineConfig({ always_enabled: true });
  let s = applyLegacyUpdate(m, initialState(), { oops: false, rfid: null, uptime: 100, prev_uptime: null }, lookupIn([], m, '2026-01-01'), { now: T0 }).state;
  assert.is(s.relay, true);
  s = applyLegacyUpdate(m, s, { oops: true, rfid: null, uptime: 110, prev_uptime: 100 }, lookupIn([], m, '2026-01-01'), { now: T0 }).state;
  const d = applyLegacyUpdate(m, s, { oops: false, rfid: null, uptime: 3, prev_uptime: 110 }, lookupIn([], m, '2026-01-01'), { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.equal(d.log.map((e) => e.type), ['reboot']);
});

// ---- 2
test('difference 2: swapping an authorized card directly for an unknown one ends the session, relay off', () => {
  const m = machineConfig();
  const s = chain(m, [[{ type: 'card_inserted', fob: ANN.fob }, ANN]]);
  assert.is(s.relay, true);
  const d = step(m, s, { type: 'card_inserted', fob: '0099999999' }, null, T0 + 50);
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Unknown RFID');
  assert.is(d.state.user, null);
  assert.equal(d.log.map((e) => e.type), ['session_end', 'denied']);
  assert.is((d.log[0] as any).reason, 'swap');
  assert.is((d.log[0] as any).duration_ms, 50);
});

test('difference 2: swapping an authorized card directly for an unauthorized one ends the session, relay off', () => {
  const m = machineConfig();
  const s = chain(m, [[{ type: 'card_inserted', fob: ANN.fob }, ANN]]);
  const d = step(m, s, { type: 'card_inserted', fob: BOB.fob }, BOB);
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Unauthorized');
});

test('difference 2: the same swap seen by the server as one legacy update (rfid changed, never empty)', () => {
  const m = machineConfig();
  const users = [user(), user({ account_id: '2', full_name: 'Bob Jones', fob_codes: ['0000000002'], authorizations: [] })];
  const look = lookupIn(users, m, '2026-01-01');
  const a = applyLegacyUpdate(m, initialState(), { oops: false, rfid: '0000000001', uptime: 10, prev_uptime: null }, look, { now: T0 });
  assert.is(a.outputs.relay, true);
  const b = applyLegacyUpdate(m, a.state, { oops: false, rfid: '0099999999', uptime: 20, prev_uptime: 10 }, look, { now: T0 + 1 });
  assert.is(b.outputs.relay, false);
  assert.is(b.outputs.display, 'Unknown RFID');
  const c = applyLegacyUpdate(m, a.state, { oops: false, rfid: '0000000002', uptime: 20, prev_uptime: 10 }, look, { now: T0 + 1 });
  assert.is(c.outputs.relay, false);
  assert.is(c.outputs.display, 'Unauthorized');
});

// ---- 3
test('difference 3: clearing oops while still locked out shows the lockout look', () => {
  const m = machineConfig();
  const s = chain(m, [[OOPS, null], [LOCK, null]]);
  const both = step(m, s, CONFIG, null).outputs;
  assert.equal([both.display, both.oops_led], ['Down for\nmaintenance', true], 'both set: the lockout look, oops LED lit');
  const d = step(m, s, { type: 'admin_clear_oops', by: 'admin' }, null);
  assert.is(d.outputs.display, 'Down for\nmaintenance');
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.oops_led, false);
  assert.equal(d.outputs.status_led_rgb, [1, 0.5, 0]);
});

test('difference 3: unlocking while still oopsed shows the oops look', () => {
  const m = machineConfig();
  const s = chain(m, [[LOCK, null], [OOPS, null]]);
  const d = step(m, s, { type: 'admin_unlock', by: 'admin' }, null);
  assert.is(d.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(d.outputs.oops_led, true);
  assert.is(d.outputs.relay, false);
});

test('difference 3: a reboot while oopsed / locked out keeps that look', () => {
  const m = machineConfig();
  const o = step(m, chain(m, [[OOPS, null]]), REBOOT, null);
  assert.is(o.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(o.outputs.oops_led, true);
  const l = step(m, chain(m, [[LOCK, null]]), REBOOT, null);
  assert.is(l.outputs.display, 'Down for\nmaintenance');
});

// ---- 4
test('difference 4: card removal alone cuts power (one local decision, no server answer)', () => {
  const m = machineConfig();
  const s = chain(m, [[{ type: 'card_inserted', fob: ANN.fob }, ANN]]);
  assert.is(s.relay, true);
  const d = decide(m, s, { type: 'card_removed' }, null, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.state.relay, false);
});

test('difference 4: the oops button alone cuts power (one local decision, no server answer)', () => {
  const m = machineConfig({ second_relay: { authorizations_or: ['X'], unauthorized_warn_only: true, always_enabled: true, alias: null, display_name: 'x' } });
  const s = chain(m, [[{ type: 'card_inserted', fob: ANN.fob }, ANN]]);
  assert.is(s.second_relay, true);
  const d = decide(m, s, { type: 'oops_pressed' }, null, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.second_relay, false);
  const a = decide(machineConfig({ always_enabled: true }), chain(machineConfig({ always_enabled: true }), [[CONFIG, null]]), { type: 'oops_pressed' }, null, { now: T0 });
  assert.is(a.outputs.relay, false);
});

// ---- 5
test('difference 5: every reload applies to every user, including one whose fob codes changed', () => {
  const m = machineConfig();
  const today = '2026-01-01';
  const v1 = [user({ fob_codes: ['0000000001'] })];
  const v2 = [user({ fob_codes: ['0000000011'] })]; // new fob for Ann
  const v3 = [user({ fob_codes: ['0000000011'], authorizations: [] })]; // then her authorization is revoked
  assert.is(lookupIn(v1, m, today)('0000000001')!.main, true);
  assert.is(lookupIn(v2, m, today)('0000000001'), null);
  assert.is(lookupIn(v2, m, today)('0000000011')!.main, true);
  const s = lookupIn(v3, m, today)('0000000011')!;
  assert.is(s.main, false);
  const d = decide(m, initialState(), { type: 'card_inserted', fob: '0000000011' }, s, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Unauthorized');
  // and the old fob no longer opens anything
  const old = decide(m, initialState(), { type: 'card_inserted', fob: '0000000001' }, lookupIn(v3, m, today)('0000000001'), { now: T0 });
  assert.is(old.outputs.display, 'Unknown RFID');
});

test('difference 5: a reload that grants an authorization applies at the next insertion', () => {
  const m = machineConfig();
  const before = lookupIn([user({ authorizations: [] })], m, '2026-01-01');
  const after = lookupIn([user({ authorizations: ['Mill', 'Lathe'] })], m, '2026-01-01');
  assert.is(decide(m, initialState(), { type: 'card_inserted', fob: '0000000001' }, before('0000000001'), { now: T0 }).outputs.relay, false);
  assert.is(decide(m, initialState(), { type: 'card_inserted', fob: '0000000001' }, after('0000000001'), { now: T0 }).outputs.relay, true);
});

// ---- 6
test("difference 6: the button's oops log says 'unknown user' when no known card is present", () => {
  const m = machineConfig();
  const none = decide(m, initialState(), OOPS, null, { now: T0 });
  assert.equal(none.log, [{ type: 'oops', at: T0, source: 'button', by: 'unknown user' }]);
  const unknownCard = chain(m, [[{ type: 'card_inserted', fob: '0099999999' }, null]]);
  const d = decide(m, unknownCard, OOPS, null, { now: T0 });
  assert.is((d.log[0] as any).by, 'unknown user');
  const leg = applyLegacyUpdate(m, initialState(), { oops: true, rfid: null, uptime: 5, prev_uptime: 4 }, lookupIn([], m, '2026-01-01'), { now: T0 });
  assert.is((leg.log[0] as any).by, 'unknown user');
});

test('difference 6: with a session running the oops log names the member', () => {
  const m = machineConfig();
  const s = chain(m, [[{ type: 'card_inserted', fob: ANN.fob }, ANN]]);
  const d = decide(m, s, OOPS, null, { now: T0 });
  assert.is((d.log[0] as any).by, 'Ann Smith');
});

// ---- 7
test('difference 7: expiry is off by default (expiry_grace_days null): never expired', () => {
  const s = subjectFor(user({ expiration_ymd: '1999-01-01' }), machineConfig(), '0000000001', '2026-06-01');
  assert.is(s.expired, false);
  const d = decide(machineConfig(), initialState(), { type: 'card_inserted', fob: '0000000001' }, s, { now: T0 });
  assert.is(d.outputs.relay, true);
});

test('difference 7: expiry with a configurable grace: denied "Membership expired" once past the grace', () => {
  const m = machineConfig({ expiry_grace_days: 7 });
  const u = user({ expiration_ymd: '2026-01-01' });
  assert.is(subjectFor(u, m, '0000000001', '2026-01-08').expired, false); // 7 days after: still in grace
  const s = subjectFor(u, m, '0000000001', '2026-01-09');
  assert.is(s.expired, true);
  const d = decide(m, initialState(), { type: 'card_inserted', fob: '0000000001' }, s, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Membership\nexpired');
  assert.equal(d.outputs.status_led_rgb, [1, 0.5, 0]);
  assert.is((d.log[0] as any).reason, 'expired');
});

test('difference 7: grace 0 expires the day after expiration_ymd', () => {
  const m = machineConfig({ expiry_grace_days: 0 });
  assert.is(subjectFor(user({ expiration_ymd: '2025-12-31' }), m, '0000000001', '2025-12-31').expired, false);
  assert.is(subjectFor(user({ expiration_ymd: '2025-12-31' }), m, '0000000001', '2026-01-01').expired, true);
});

test.run();
