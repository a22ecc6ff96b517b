/* eslint max-lines: ['error', 800] -- one test per row of dm_mac's looks table and per rule, in the table's order: a split would hide which rows are covered */
// The decision state machine against dm_mac's looks table and rules (docs/dm-mac-compat.md), one test per
// row and rule; the seven deliberate differences are pinned in decision-differences.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide, initialState, outputsOf } from './decision.js';
import type { DecisionMachine, LogEvent, MachineEvent, MachineState, Outputs, Subject } from './decision-types.js';

const T0 = 1700000000000;

function machine(over?: Partial<DecisionMachine>): DecisionMachine {
  const m: DecisionMachine = {
    name: 'lathe',
    display_name: 'Lathe',
    unauthorized_warn_only: false,
    always_enabled: false,
    second_relay: null,
    offline_grace_hours: 72,
  };
  return Object.assign(m, over || {});
}

function second(over?: Partial<{ unauthorized_warn_only: boolean; always_enabled: boolean; display_name: string }>) {
  return Object.assign({ unauthorized_warn_only: false, always_enabled: false, display_name: 'Dust' }, over || {});
}

function subject(fob: string, over?: Partial<Subject>): Subject {
  return Object.assign(
    { fob: fob, account_id: 'a' + fob, name: 'Ann', full_name: 'Ann Smith', main: true, second: false, override: false, expired: false },
    over || {},
  );
}

const ANN = subject('0000000001');
const BOB = subject('0000000002', { name: 'Bob', full_name: 'Bob Jones', main: false });
const MAINT = subject('0000000003', { name: 'Mia', full_name: 'Mia Maint', main: false, override: true });

/** Run events in order; each entry: [event, subject, now?]. Returns the last decision and all logs. */
function run(m: DecisionMachine, s: MachineState, steps: Array<[MachineEvent, Subject | null, number?]>, stale?: boolean) {
  let state = s;
  let last = { state: s, outputs: outputsOf(m, s), log: [] as LogEvent[] };
  const log: LogEvent[] = [];
  for (let i = 0; i < steps.length; i++) {
    const now = steps[i][2] === undefined ? T0 + i * 1000 : (steps[i][2] as number);
    last = decide(m, state, steps[i][0], steps[i][1], { now: now, list_stale: stale === true });
    state = last.state;
    for (let j = 0; j < last.log.length; j++) log.push(last.log[j]);
  }
  return { state: last.state, outputs: last.outputs, log: log, last: last };
}

const ins = (fob: string): MachineEvent => ({ type: 'card_inserted', fob: fob });
const REMOVE: MachineEvent = { type: 'card_removed' };
const OOPS: MachineEvent = { type: 'oops_pressed' };
const REBOOT: MachineEvent = { type: 'reboot' };
const CONFIG: MachineEvent = { type: 'config_changed' };
const aOops: MachineEvent = { type: 'admin_oops', by: 'admin', source: 'admin' };
const aClear: MachineEvent = { type: 'admin_clear_oops', by: 'admin' };
const aLock: MachineEvent = { type: 'admin_lockout', by: 'admin', cut: true };
const aLockSoft: MachineEvent = { type: 'admin_lockout', by: 'admin', cut: false };
const aUnlock: MachineEvent = { type: 'admin_unlock', by: 'admin' };

function out(relay: boolean, display: string, rgb: [number, number, number], brightness: number, oopsLed: boolean, secondRelay: boolean): Outputs {
  return { relay: relay, second_relay: secondRelay, display: display, oops_led: oopsLed, status_led_rgb: rgb, status_led_brightness: brightness };
}

function types(log: LogEvent[]): string[] {
  return log.map((e) => e.type);
}

// ------------------------------------------------------------------ the looks table, row by row

test('look idle: initial state, relay off, "Please Insert\\nRFID Card", LED off', () => {
  const s = initialState();
  assert.is(s.look, 'idle');
  assert.is(s.relay, false);
  assert.is(s.second_relay, false);
  assert.is(s.user, null);
  assert.equal(outputsOf(machine(), s), out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
});

test('look welcome: authorized insert -> relay on, "Welcome,\\n<preferred_name>", green 0.5', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN]]);
  assert.is(r.state.look, 'welcome');
  assert.equal(r.outputs, out(true, 'Welcome,\nAnn', [0, 1, 0], 0.5, false, false));
});

test('look unauthorized: member without the authorization -> "Unauthorized", orange 0.5, relay off', () => {
  const r = run(machine(), initialState(), [[ins(BOB.fob), BOB]]);
  assert.is(r.state.look, 'unauthorized');
  assert.equal(r.outputs, out(false, 'Unauthorized', [1, 0.5, 0], 0.5, false, false));
});

test('look unknown fob: -> "Unknown RFID", red 0.5, relay off', () => {
  const r = run(machine(), initialState(), [[ins('0099999999'), null]]);
  assert.is(r.state.look, 'unknown');
  assert.equal(r.outputs, out(false, 'Unknown RFID', [1, 0, 0], 0.5, false, false));
});

test('look oops: -> "Oops!! Please\\ncheck/post Slack", red 0.5, relay off, oops_led on', () => {
  const r = run(machine(), initialState(), [[OOPS, null]]);
  assert.is(r.state.look, 'oops');
  assert.equal(r.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
});

test('look locked out: -> "Down for\\nmaintenance", orange 0.5, relay off, oops_led off', () => {
  const r = run(machine(), initialState(), [[aLock, null]]);
  assert.is(r.state.look, 'locked_out');
  assert.equal(r.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
});

test('look always on: always_enabled machine -> relay on, "Always On", green 0.5', () => {
  const m = machine({ always_enabled: true });
  const r = run(m, initialState(), [[CONFIG, null]]);
  assert.is(r.state.look, 'always_on');
  assert.equal(r.outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
  // a reboot also lands on always-on
  assert.equal(run(m, initialState(), [[REBOOT, null]]).outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
});

test('look override: oops_override member on an oopsed machine -> "OVERRIDE BY\\n<name>", green, oops_led stays on', () => {
  const r = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT]]);
  assert.is(r.state.look, 'override');
  assert.is(r.state.override, true);
  assert.equal(r.outputs, out(true, 'OVERRIDE BY\nMia', [0, 1, 0], 0.5, true, false));
});

test('look override on a locked-out machine: oops_led off', () => {
  const r = run(machine(), initialState(), [[aLock, null], [ins(MAINT.fob), MAINT]]);
  assert.equal(r.outputs, out(true, 'OVERRIDE BY\nMia', [0, 1, 0], 0.5, false, false));
});

test('look stale (ours): stale list + non-override fob -> "List too old\\nMaintainers only", orange 0.5', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN]], true);
  assert.is(r.state.look, 'stale');
  assert.equal(r.outputs, out(false, 'List too old\nMaintainers only', [1, 0.5, 0], 0.5, false, false));
});

test('look expired (ours): -> "Membership\\nexpired" in the unauthorized colours', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), subject(ANN.fob, { expired: true })]]);
  assert.is(r.state.look, 'expired');
  assert.equal(r.outputs, out(false, 'Membership\nexpired', [1, 0.5, 0], 0.5, false, false));
});

test('every display line fits the 16x2 LCD', () => {
  const long = subject('0000000009', { name: 'Bartholomew-Alexa' });
  const looks: Outputs[] = [
    outputsOf(machine(), initialState()),
    run(machine(), initialState(), [[ins(long.fob), long]]).outputs,
    run(machine(), initialState(), [[ins(long.fob), long], [aLockSoft, null]]).outputs,
    run(machine(), initialState(), [[OOPS, null], [ins('0000000008'), subject('0000000008', { override: true, name: 'Bartholomew-Alexa' })]]).outputs,
    run(machine(), initialState(), [[ins(BOB.fob), BOB]]).outputs,
    run(machine(), initialState(), [[ins('0099999999'), null]]).outputs,
    run(machine(), initialState(), [[OOPS, null]]).outputs,
    run(machine(), initialState(), [[aLock, null]]).outputs,
    run(machine({ always_enabled: true }), initialState(), [[CONFIG, null]]).outputs,
    run(machine(), initialState(), [[ins(ANN.fob), ANN]], true).outputs,
    run(machine(), initialState(), [[ins(ANN.fob), subject(ANN.fob, { expired: true })]]).outputs,
  ];
  for (const o of looks) {
    const lines = o.display.split('\n');
    assert.ok(lines.length <= 2, o.display);
    for (const l of lines) assert.ok(l.length <= 16, JSON.stringify(l));
  }
});

test('second_relay output is false for machines without a second relay', () => {
  const r = run(machine({ unauthorized_warn_only: true }), initialState(), [[ins(ANN.fob), subject(ANN.fob, { second: true })]]);
  assert.is(r.outputs.relay, true);
  assert.is(r.outputs.second_relay, false);
  assert.is(r.state.second_mode, 'off');
});

// ------------------------------------------------------------------ rule 2: reboot

test('rule 2: reboot ends the session, relay off, idle look, card kept as seen', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [REBOOT, null, T0 + 5000]]);
  assert.is(r.state.user, null);
  assert.is(r.state.override, false);
  assert.is(r.state.rfid, ANN.fob);
  assert.equal(r.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.equal(types(r.last.log), ['reboot', 'session_end']);
  const end = r.last.log[1] as any;
  assert.is(end.reason, 'reboot');
  assert.is(end.duration_ms, 5000);
});

test('rule 2: after a reboot the card left in stays logged out until removed and re-inserted', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN], [REBOOT, null], [ins(ANN.fob), ANN]]);
  assert.is(r.state.relay, false);
  assert.equal(r.last.log, []);
  const r2 = run(machine(), r.state, [[REMOVE, ANN], [ins(ANN.fob), ANN]]);
  assert.is(r2.state.relay, true);
  assert.is(r2.outputs.display, 'Welcome,\nAnn');
});

test('rule 2: a reboot event may carry the card seen at boot; it is kept, not inserted', () => {
  const r = run(machine(), initialState(), [[{ type: 'reboot', rfid: ANN.fob }, ANN]]);
  assert.is(r.state.rfid, ANN.fob);
  assert.is(r.state.relay, false);
  assert.is(r.state.look, 'idle');
  const r2 = run(machine(), r.state, [[{ type: 'reboot', rfid: null }, null]]);
  assert.is(r2.state.rfid, null);
});

test('rule 2: reboot of an override session ends it and shows the oops look again', () => {
  const r = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT], [REBOOT, null]]);
  assert.is(r.state.override, false);
  assert.is(r.state.user, null);
  assert.equal(r.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
});

// ------------------------------------------------------------------ rule 3: oops

test('rule 3: oops during a session ends it: relay off, user cleared, oops look, logs oops then session_end', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [OOPS, ANN, T0 + 61000]]);
  assert.is(r.state.oopsed, true);
  assert.is(r.state.user, null);
  assert.is(r.state.relay, false);
  assert.is(r.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.equal(r.last.log, [
    { type: 'oops', at: T0 + 61000, source: 'button', by: 'Ann Smith', fob: ANN.fob },
    { type: 'session_end', at: T0 + 61000, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', duration_ms: 61000, reason: 'oops', override: false },
  ]);
});

test('rule 3: releasing the button changes nothing; only an admin clears the oops', () => {
  const r = run(machine(), initialState(), [[OOPS, null], [REMOVE, null], [CONFIG, null], [OOPS, null]]);
  assert.is(r.state.oopsed, true);
  assert.is(r.outputs.oops_led, true);
  assert.equal(r.last.log, []); // a second press while nothing runs logs nothing more
  const c = run(machine(), r.state, [[aClear, null, T0]]);
  assert.is(c.state.oopsed, false);
  assert.equal(c.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.equal(c.log, [{ type: 'oops_cleared', at: T0, by: 'admin' }]);
});

test('rule 3: admin oops carries its source and name; repeated admin oops is still logged', () => {
  const r = run(machine(), initialState(), [[{ type: 'admin_oops', by: 'Zed', source: 'api' }, null, T0]]);
  assert.equal(r.log, [{ type: 'oops', at: T0, source: 'api', by: 'Zed' }]);
  const r2 = run(machine(), r.state, [[aOops, null, T0]]);
  assert.equal(r2.log, [{ type: 'oops', at: T0, source: 'admin', by: 'admin' }]);
  assert.is(r2.state.oopsed, true);
});

test('rule 3: oops ends an override session too (relay off), oops_led on', () => {
  const r = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT], [OOPS, MAINT]]);
  assert.is(r.state.relay, false);
  assert.equal(types(r.last.log), ['oops', 'session_end']);
  assert.is((r.last.log[0] as any).by, 'Mia Maint');
  assert.equal(r.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
});

test('rule 3: oops on an always-enabled machine turns its relay off', () => {
  const m = machine({ always_enabled: true });
  const r = run(m, initialState(), [[CONFIG, null], [OOPS, null]]);
  assert.equal(r.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
  const c = run(m, r.state, [[aClear, null]]);
  assert.equal(c.outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
});

test('rule 3: button oops names the member whose known card is in the reader (no session)', () => {
  const r = run(machine(), initialState(), [[ins(BOB.fob), BOB], [OOPS, BOB]]);
  assert.is((r.last.log[0] as any).by, 'Bob Jones');
});

// ------------------------------------------------------------------ rule 4: always enabled

test('rule 4: always-enabled: card insert/remove are only audited, outputs never change', () => {
  const m = machine({ always_enabled: true });
  const on = out(true, 'Always On', [0, 1, 0], 0.5, false, false);
  const a = run(m, initialState(), [[CONFIG, null]]);
  const b = run(m, a.state, [[ins(BOB.fob), BOB, T0]]);
  assert.equal(b.outputs, on);
  assert.equal(b.log, [{ type: 'card_audit', at: T0, fob: BOB.fob, account_id: BOB.account_id, full_name: 'Bob Jones', inserted: true }]);
  assert.is(b.state.user, null);
  assert.is(b.state.rfid, BOB.fob);
  const c = run(m, b.state, [[REMOVE, BOB, T0 + 1]]);
  assert.equal(c.outputs, on);
  assert.equal(c.log, [{ type: 'card_audit', at: T0 + 1, fob: BOB.fob, account_id: BOB.account_id, full_name: 'Bob Jones', inserted: false }]);
  const d = run(m, c.state, [[ins('0099999999'), null, T0 + 2]]);
  assert.equal(d.outputs, on);
  assert.equal(d.log, [{ type: 'card_audit', at: T0 + 2, fob: '0099999999', account_id: null, full_name: null, inserted: true }]);
  const e = run(m, c.state, [[ins(ANN.fob), ANN]], true); // even with a stale list
  assert.equal(e.outputs, on);
});

test('rule 4: always-enabled but oopsed/locked: normal card rules apply (override session, others nothing)', () => {
  const m = machine({ always_enabled: true });
  const a = run(m, initialState(), [[CONFIG, null], [aLock, null], [ins(ANN.fob), ANN]]);
  assert.equal(a.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
  assert.is((a.last.log[0] as any).reason, 'locked_out');
  const b = run(m, a.state, [[REMOVE, ANN], [ins(MAINT.fob), MAINT]]);
  assert.equal(b.outputs, out(true, 'OVERRIDE BY\nMia', [0, 1, 0], 0.5, false, false));
  const c = run(m, b.state, [[REMOVE, MAINT]]);
  assert.equal(c.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
});

// ------------------------------------------------------------------ rule 5: card changes

test('rule 5: removal ends the session with its duration, relay off, idle look', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [REMOVE, ANN, T0 + 3723000]]);
  assert.equal(r.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.is(r.state.rfid, null);
  assert.equal(r.last.log, [
    { type: 'session_end', at: T0 + 3723000, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', duration_ms: 3723000, reason: 'removed', override: false },
  ]);
});

test('rule 5: authorized insertion logs session_start authorized=true', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0]]);
  assert.equal(r.log, [{ type: 'session_start', at: T0, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', override: false, authorized: true }]);
  assert.is(r.state.session_start, T0);
  assert.equal(r.state.user, ANN);
});

test('rule 5: warn-only machine lets a member without the authorization run it: welcome, authorized=false', () => {
  const r = run(machine({ unauthorized_warn_only: true }), initialState(), [[ins(BOB.fob), BOB, T0]]);
  assert.equal(r.outputs, out(true, 'Welcome,\nBob', [0, 1, 0], 0.5, false, false));
  assert.equal(r.log, [{ type: 'session_start', at: T0, fob: BOB.fob, account_id: BOB.account_id, full_name: 'Bob Jones', override: false, authorized: false }]);
});

test('rule 5: warn-only does not admit unknown fobs', () => {
  const r = run(machine({ unauthorized_warn_only: true }), initialState(), [[ins('0099999999'), null]]);
  assert.is(r.outputs.relay, false);
  assert.is(r.outputs.display, 'Unknown RFID');
});

test('rule 5: unauthorized insertion logs denied reason unauthorized; removal returns to idle with no session log', () => {
  const r = run(machine(), initialState(), [[ins(BOB.fob), BOB, T0]]);
  assert.equal(r.log, [{ type: 'denied', at: T0, fob: BOB.fob, account_id: BOB.account_id, full_name: 'Bob Jones', reason: 'unauthorized' }]);
  const r2 = run(machine(), r.state, [[REMOVE, BOB, T0 + 4000]]);
  assert.equal(r2.log, [{ type: 'card_removed', at: T0 + 4000, fob: BOB.fob, held_ms: 4000 }], 'a card pulled with no session is logged (dm_mac posts its logout line)');
  assert.is(r2.outputs.display, 'Please Insert\nRFID Card');
});

test('rule 5: unknown insertion logs denied reason unknown with no account', () => {
  const r = run(machine(), initialState(), [[ins('0099999999'), null, T0]]);
  assert.equal(r.log, [{ type: 'denied', at: T0, fob: '0099999999', account_id: null, full_name: null, reason: 'unknown' }]);
  assert.is(r.state.rfid, '0099999999');
  assert.is(r.state.rfid_since, T0);
});

test('rule 5: unknown fob on an oopsed/locked machine: nothing changes (denied is logged)', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins('0099999999'), null]]);
  assert.equal(a.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
  assert.is((a.last.log[0] as any).reason, 'unknown');
  const b = run(machine(), initialState(), [[aLock, null], [ins('0099999999'), null]]);
  assert.equal(b.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
});

test('rule 5: oops_override member on an oopsed machine: override session without authorization check', () => {
  const r = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT, T0]]);
  assert.equal(r.last.log, [{ type: 'session_start', at: T0, fob: MAINT.fob, account_id: MAINT.account_id, full_name: 'Mia Maint', override: true, authorized: false }]);
});

test('rule 5: removal after an override session goes back to the oops look / lockout look', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT, T0], [REMOVE, MAINT, T0 + 10]]);
  assert.equal(a.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
  assert.equal(a.last.log, [{ type: 'session_end', at: T0 + 10, fob: MAINT.fob, account_id: MAINT.account_id, full_name: 'Mia Maint', duration_ms: 10, reason: 'removed', override: true }]);
  const b = run(machine(), initialState(), [[aLock, null], [ins(MAINT.fob), MAINT], [REMOVE, MAINT]]);
  assert.equal(b.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
});

test('rule 5: an override member on a normal machine follows the normal rules', () => {
  const a = run(machine(), initialState(), [[ins(MAINT.fob), MAINT]]);
  assert.is(a.outputs.display, 'Unauthorized');
  const authorizedMaint = subject('0000000004', { override: true, name: 'Max' });
  const b = run(machine(), initialState(), [[ins(authorizedMaint.fob), authorizedMaint]]);
  assert.equal(b.outputs, out(true, 'Welcome,\nMax', [0, 1, 0], 0.5, false, false));
  assert.is(b.state.override, false);
});

test('rule 5: authorized member on an oopsed / locked-out machine: nothing changes, denied oopsed / locked_out', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins(ANN.fob), ANN, T0]]);
  assert.equal(a.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
  assert.equal(a.last.log, [{ type: 'denied', at: T0, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', reason: 'oopsed', blocked: true }]);
  const b = run(machine(), initialState(), [[aLock, null], [ins(ANN.fob), ANN]]);
  assert.equal(b.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
  assert.is((b.last.log[0] as any).reason, 'locked_out');
  const c = run(machine(), b.state, [[REMOVE, ANN]]);
  assert.equal(c.outputs, b.outputs);
  assert.equal(types(c.last.log), ['card_removed']);
});

test('rule 5: swapping one authorized card for another authorized card: session of the new holder', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [ins('0000000005'), subject('0000000005', { name: 'Cy', full_name: 'Cy Twombly' }), T0 + 7]]);
  assert.is(r.outputs.display, 'Welcome,\nCy');
  assert.is(r.outputs.relay, true);
  assert.equal(types(r.last.log), ['session_end', 'session_start']);
  assert.is((r.last.log[0] as any).reason, 'swap');
  assert.is((r.last.log[0] as any).duration_ms, 7);
});

test('rule 5: the same card reported again is not a change', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [ins(ANN.fob), ANN, T0 + 5]]);
  assert.equal(r.last.log, []);
  assert.is(r.state.session_start, T0);
  assert.is(r.state.rfid_since, T0);
});

test('rule 5: removal with no card and no session changes nothing', () => {
  const r = run(machine(), initialState(), [[REMOVE, null]]);
  assert.equal(r.log, []);
  assert.equal(r.state, initialState());
});

test('rule 5: a subject whose fob is not the inserted card is treated as unknown (fail closed)', () => {
  const r = run(machine(), initialState(), [[ins('0000000077'), ANN]]);
  assert.is(r.outputs.relay, false);
  assert.is(r.outputs.display, 'Unknown RFID');
});

// ------------------------------------------------------------------ rule 6: config changed

test('rule 6: relay on with no user on a machine no longer always-enabled -> idle', () => {
  const on = run(machine({ always_enabled: true }), initialState(), [[CONFIG, null]]);
  assert.is(on.state.relay, true);
  const r = run(machine(), on.state, [[CONFIG, null]]);
  assert.equal(r.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
});

test('rule 6: a machine that becomes always-enabled turns on (and a running session ends as config)', () => {
  const a = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0]]);
  const r = run(machine({ always_enabled: true }), a.state, [[CONFIG, null, T0 + 9]]);
  assert.equal(r.outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
  assert.equal(types(r.log), ['session_end']);
  assert.is((r.log[0] as any).reason, 'config');
});

test('rule 6: config change keeps a running session and looks that are not driven by config', () => {
  const a = run(machine(), initialState(), [[ins(ANN.fob), ANN], [CONFIG, null]]);
  assert.is(a.outputs.display, 'Welcome,\nAnn');
  assert.is(a.state.relay, true);
  const b = run(machine(), initialState(), [[ins(BOB.fob), BOB], [CONFIG, null]]);
  assert.is(b.outputs.display, 'Unauthorized');
  const c = run(machine({ always_enabled: true }), initialState(), [[OOPS, null], [CONFIG, null]]);
  assert.is(c.outputs.relay, false);
  assert.is(c.outputs.display, 'Oops!! Please\ncheck/post Slack');
});

// ------------------------------------------------------------------ rule 7: second relay

test('rule 7: second relay off while the main relay is off', () => {
  const m = machine({ second_relay: second({ always_enabled: true }) });
  const r = run(m, initialState(), [[ins(BOB.fob), subject(BOB.fob, { main: false, second: true })]]);
  assert.is(r.outputs.relay, false);
  assert.is(r.outputs.second_relay, false);
  assert.is(r.state.second_mode, 'off');
});

test('rule 7: second relay always: on with the main relay, logged as always', () => {
  const m = machine({ second_relay: second({ always_enabled: true }) });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN, T0]]);
  assert.is(r.outputs.second_relay, true);
  assert.is(r.state.second_mode, 'always');
  assert.equal(r.log[1], { type: 'second_relay', at: T0, mode: 'always', fob: ANN.fob });
  assert.is(r.outputs.display, 'Welcome,\nAnn'); // never changes the LCD text
});

test('rule 7: second relay granted: the member holds one of its authorizations', () => {
  const m = machine({ second_relay: second() });
  const r = run(m, initialState(), [[ins(ANN.fob), subject(ANN.fob, { second: true })]]);
  assert.is(r.outputs.second_relay, true);
  assert.is(r.state.second_mode, 'granted');
  assert.equal(types(r.log), ['session_start', 'second_relay']);
});

test('rule 7: second relay warn: not held, but warn-only -> on', () => {
  const m = machine({ second_relay: second({ unauthorized_warn_only: true }) });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN]]);
  assert.is(r.outputs.second_relay, true);
  assert.is(r.state.second_mode, 'warn');
  assert.is((r.log[1] as any).mode, 'warn');
});

test('rule 7: second relay denied: not held, not warn-only -> off, main relay stays on, LCD unchanged', () => {
  const m = machine({ second_relay: second() });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN]]);
  assert.is(r.outputs.relay, true);
  assert.is(r.outputs.second_relay, false);
  assert.is(r.state.second_mode, 'denied');
  assert.is((r.log[1] as any).mode, 'denied');
  assert.is(r.outputs.display, 'Welcome,\nAnn');
});

test('rule 7: second relay follows the main relay off at session end', () => {
  const m = machine({ second_relay: second({ always_enabled: true }) });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN], [REMOVE, ANN]]);
  assert.is(r.outputs.second_relay, false);
  assert.is(r.state.second_mode, 'off');
  assert.equal(types(r.last.log), ['session_end']);
});

test('rule 7: always-on main relay with nobody at it: second relay on only when always-enabled, off even when warn-only', () => {
  const base = { always_enabled: true };
  assert.is(run(machine(Object.assign({ second_relay: second({ always_enabled: true }) }, base)), initialState(), [[CONFIG, null]]).outputs.second_relay, true);
  const w = run(machine(Object.assign({ second_relay: second({ unauthorized_warn_only: true }) }, base)), initialState(), [[CONFIG, null]]);
  assert.is(w.state.second_mode, 'off');
  assert.is(w.outputs.second_relay, false, 'an accessory never runs for nobody');
  assert.equal(w.outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
  const d = run(machine(Object.assign({ second_relay: second() }, base)), initialState(), [[CONFIG, null]]);
  assert.is(d.state.second_mode, 'off');
  assert.is(d.outputs.second_relay, false);
  assert.equal(types(d.log), [], 'no second-relay verdict for nobody');
});

test('rule 7: always-on main relay with a known card in: the second relay follows its holder; pulled -> off again', () => {
  const m = machine({ always_enabled: true, second_relay: second({ unauthorized_warn_only: true }) });
  const g = run(m, initialState(), [[CONFIG, null], [ins(ANN.fob), subject(ANN.fob, { second: true })]]);
  assert.equal([g.state.second_mode, g.outputs.second_relay, g.outputs.display], ['granted', true, 'Always On']);
  assert.is(g.state.user, null, 'no session on an always-on machine');
  assert.is(g.state.holder!.fob, ANN.fob);
  const w = run(m, initialState(), [[CONFIG, null], [ins(BOB.fob), BOB]]);
  assert.equal([w.state.second_mode, w.outputs.second_relay], ['warn', true]);
  const u = run(m, initialState(), [[CONFIG, null], [ins('0099999999'), null]]);
  assert.equal([u.state.second_mode, u.outputs.second_relay, u.state.holder], ['off', false, null], 'an unknown card is nobody');
  const d = run(machine({ always_enabled: true, second_relay: second() }), initialState(), [[CONFIG, null], [ins(BOB.fob), BOB]]);
  assert.equal([d.state.second_mode, d.outputs.second_relay], ['denied', false]);
  const out2 = run(m, g.state, [[REMOVE, ANN]]);
  assert.equal([out2.state.second_mode, out2.outputs.second_relay, out2.state.holder, out2.outputs.relay], ['off', false, null, true]);
  const oops = run(m, g.state, [[OOPS, ANN]]);
  assert.is(oops.state.holder, null, 'an oops forgets the holder (dm_mac clears its current user)');
  const rb = run(m, g.state, [[REBOOT, null]]);
  assert.equal([rb.state.holder, rb.outputs.second_relay], [null, false], 'so does a reboot; the card must be re-inserted');
});

test('rule 7: an override session gets the second relay by the same rules', () => {
  const m = machine({ second_relay: second() });
  const r = run(m, initialState(), [[OOPS, null], [ins(MAINT.fob), subject(MAINT.fob, { main: false, override: true, second: true })]]);
  assert.is(r.outputs.second_relay, true);
  assert.is(r.state.second_mode, 'granted');
});

test('rule 7: a config change to the second relay is re-evaluated on config_changed', () => {
  const a = run(machine({ second_relay: second() }), initialState(), [[ins(ANN.fob), ANN]]);
  assert.is(a.outputs.second_relay, false);
  const b = run(machine({ second_relay: second({ unauthorized_warn_only: true }) }), a.state, [[CONFIG, null]]);
  assert.is(b.outputs.second_relay, true);
  const c = run(machine(), b.state, [[CONFIG, null]]);
  assert.is(c.outputs.second_relay, false);
  assert.is(c.state.second_mode, 'off');
});

test('rule 7: a malformed second relay block fails closed', () => {
  const m = machine({ second_relay: 'yes' as any });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN]]);
  assert.is(r.outputs.relay, true);
  assert.is(r.outputs.second_relay, false);
});

// ------------------------------------------------------------------ admin lockout / unlock

test('lockout with cut=true (dm_mac legacy route) ends the session at once', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [aLock, null, T0 + 4]]);
  assert.equal(r.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
  assert.equal(r.last.log, [
    { type: 'locked_out', at: T0 + 4, by: 'admin', pending: false },
    { type: 'session_end', at: T0 + 4, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', duration_ms: 4, reason: 'lockout', override: false },
  ]);
});

test('lockout with cut=false during a session: pending, session continues, LCD shows it, applies at session end', () => {
  const a = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [aLockSoft, null, T0 + 1]]);
  assert.is(a.state.lockout_pending, true);
  assert.is(a.state.locked_out, false);
  assert.equal(a.outputs, out(true, 'Lockout pending\nAnn', [0, 1, 0], 0.5, false, false));
  assert.equal(a.last.log, [{ type: 'locked_out', at: T0 + 1, by: 'admin', pending: true }]);
  const b = run(machine(), a.state, [[REMOVE, ANN, T0 + 2]]);
  assert.is(b.state.locked_out, true);
  assert.is(b.state.lockout_pending, false);
  assert.equal(b.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
  assert.equal(types(b.last.log), ['session_end', 'locked_out']);
  assert.equal(b.last.log[1], { type: 'locked_out', at: T0 + 2, by: 'admin', pending: false });
  assert.is(a.state.lockout_by, 'admin');
  assert.is(b.state.lockout_by, '');
  const c = run(machine(), b.state, [[ins(ANN.fob), ANN]]);
  assert.is(c.outputs.relay, false);
  assert.is((c.last.log[0] as any).reason, 'locked_out');
});

test('lockout with cut=false and no session locks at once', () => {
  const r = run(machine(), initialState(), [[aLockSoft, null, T0]]);
  assert.is(r.state.locked_out, true);
  assert.equal(r.log, [{ type: 'locked_out', at: T0, by: 'admin', pending: false }]);
  const m = machine({ always_enabled: true });
  const r2 = run(m, initialState(), [[CONFIG, null], [aLockSoft, null]]);
  assert.equal(r2.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
});

test('pending lockout takes effect when oops or a swap or a reboot ends the session', () => {
  const a = run(machine(), initialState(), [[ins(ANN.fob), ANN], [aLockSoft, null], [OOPS, ANN]]);
  assert.is(a.state.locked_out, true);
  assert.is(a.state.oopsed, true);
  const b = run(machine(), initialState(), [[ins(ANN.fob), ANN], [aLockSoft, null], [ins('0000000005'), subject('0000000005')]]);
  assert.is(b.state.locked_out, true);
  assert.is(b.outputs.relay, false);
  assert.is(b.outputs.display, 'Down for\nmaintenance');
  const c = run(machine(), initialState(), [[ins(ANN.fob), ANN], [aLockSoft, null], [REBOOT, null]]);
  assert.is(c.outputs.display, 'Down for\nmaintenance');
});

test('unlock while a lockout is pending: the session goes on with the welcome text, no lockout later', () => {
  const a = run(machine(), initialState(), [[ins(ANN.fob), ANN], [aLockSoft, null], [aUnlock, null]]);
  assert.is(a.outputs.display, 'Welcome,\nAnn');
  assert.is(a.state.lockout_pending, false);
  const b = run(machine(), a.state, [[REMOVE, ANN]]);
  assert.is(b.state.locked_out, false);
  assert.is(b.outputs.display, 'Please Insert\nRFID Card');
});

test('lockout with cut=false during an override session: locked at once, the override session goes on', () => {
  const a = run(machine(), initialState(), [[aLockSoft, null], [ins(MAINT.fob), MAINT], [aLockSoft, null]]);
  assert.is(a.state.locked_out, true);
  assert.is(a.state.lockout_pending, false);
  assert.equal(a.outputs, out(true, 'OVERRIDE BY\nMia', [0, 1, 0], 0.5, false, false));
  const b = run(machine(), a.state, [[REMOVE, MAINT]]);
  assert.is(b.outputs.display, 'Down for\nmaintenance');
});

test('unlock: back to idle (or always-on); logged with the admin', () => {
  const a = run(machine(), initialState(), [[aLock, null], [aUnlock, null, T0]]);
  assert.equal(a.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.equal(a.last.log, [{ type: 'unlocked', at: T0, by: 'admin' }]);
  const b = run(machine({ always_enabled: true }), initialState(), [[aLock, null], [aUnlock, null]]);
  assert.equal(b.outputs, out(true, 'Always On', [0, 1, 0], 0.5, false, false));
});

test('clearing the oops during an override session ends it: relay off, idle, the card must be re-inserted', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT, T0], [aClear, null, T0 + 5000]]);
  assert.equal(a.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.equal(a.last.log, [
    { type: 'oops_cleared', at: T0 + 5000, by: 'admin' },
    { type: 'session_end', at: T0 + 5000, fob: MAINT.fob, account_id: MAINT.account_id, full_name: 'Mia Maint', duration_ms: 5000, reason: 'cleared', override: true },
  ]);
  assert.equal([a.state.user, a.state.override, a.state.rfid], [null, false, MAINT.fob]);
  const again = run(machine(), a.state, [[CONFIG, null], [ins(MAINT.fob), MAINT]]);
  assert.is(again.outputs.relay, false, 'the same card still in is not a new login');
  const b = run(machine(), a.state, [[REMOVE, MAINT], [ins(MAINT.fob), MAINT]]);
  assert.is(b.outputs.display, 'Unauthorized', 're-inserted: a fresh, normally checked login');
  const ok = subject(MAINT.fob, { main: true, override: true, name: 'Mia' });
  const c = run(machine(), a.state, [[REMOVE, ok], [ins(ok.fob), ok]]);
  assert.equal(c.outputs, out(true, 'Welcome,\nMia', [0, 1, 0], 0.5, false, false));
});

test('unlocking during an override session ends it too; with the other flag still set its look stays', () => {
  const a = run(machine(), initialState(), [[aLock, null], [ins(MAINT.fob), MAINT], [aUnlock, null]]);
  assert.equal(a.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
  assert.is((a.last.log[1] as any).reason, 'cleared');
  const b = run(machine(), initialState(), [[OOPS, null], [aLock, null], [ins(MAINT.fob), MAINT], [aClear, null]]);
  assert.equal(b.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, false, false));
  const c = run(machine(), initialState(), [[OOPS, null], [aLock, null], [ins(MAINT.fob), MAINT], [aUnlock, null]]);
  assert.equal(c.outputs, out(false, 'Oops!! Please\ncheck/post Slack', [1, 0, 0], 0.5, true, false));
});

test('oopsed and locked out at once: the lockout look with the oops LED lit, whichever came first', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [aLock, null]]);
  assert.equal(a.outputs, out(false, 'Down for\nmaintenance', [1, 0.5, 0], 0.5, true, false));
  const b = run(machine(), initialState(), [[aLock, null], [OOPS, null]]);
  assert.equal(b.outputs, a.outputs);
  const c = run(machine(), a.state, [[REBOOT, null], [ins(ANN.fob), ANN], [REMOVE, ANN]]);
  assert.equal(c.outputs, a.outputs);
  const d = run(machine(), initialState(), [[OOPS, null], [aLock, null], [ins(MAINT.fob), MAINT], [REMOVE, MAINT]]);
  assert.equal(d.outputs, a.outputs, 'after an override session too');
});

test('a card left in during an oops needs a re-insert after the clear', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins(ANN.fob), ANN], [aClear, null]]);
  assert.is(a.outputs.relay, false);
  assert.is(a.outputs.display, 'Please Insert\nRFID Card');
  const b = run(machine(), a.state, [[REMOVE, ANN], [ins(ANN.fob), ANN]]);
  assert.is(b.outputs.relay, true);
});

// ------------------------------------------------------------------ stale list (ours)

test('stale list: a non-override member is denied stale_list even when authorized', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0]], true);
  assert.equal(r.log, [{ type: 'denied', at: T0, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', reason: 'stale_list' }]);
  assert.is(r.outputs.relay, false);
});

test('stale list: an unknown fob shows the stale look (the list may simply be too old to know it)', () => {
  const r = run(machine(), initialState(), [[ins('0099999999'), null]], true);
  assert.is(r.outputs.display, 'List too old\nMaintainers only');
  assert.is((r.log[0] as any).reason, 'stale_list');
});

test('stale list: an authorized override (maintainer) fob starts a normal session', () => {
  const maint = subject('0000000004', { override: true, name: 'Max', main: true });
  const r = run(machine(), initialState(), [[ins(maint.fob), maint]], true);
  assert.equal(r.outputs, out(true, 'Welcome,\nMax', [0, 1, 0], 0.5, false, false));
  assert.is(r.state.override, false);
});

test('stale list: an override fob without the authorization follows the normal rules (unauthorized)', () => {
  const r = run(machine(), initialState(), [[ins(MAINT.fob), MAINT]], true);
  assert.is(r.outputs.display, 'Unauthorized');
  const w = run(machine({ unauthorized_warn_only: true }), initialState(), [[ins(MAINT.fob), MAINT]], true);
  assert.is(w.outputs.relay, true);
});

test('stale list: override sessions on an oopsed machine still work; a running session is not cut', () => {
  const a = run(machine(), initialState(), [[OOPS, null], [ins(MAINT.fob), MAINT]], true);
  assert.is(a.outputs.display, 'OVERRIDE BY\nMia');
  const b = run(machine(), initialState(), [[ins(ANN.fob), ANN]]);
  const c = run(machine(), b.state, [[CONFIG, null]], true);
  assert.is(c.outputs.relay, true);
});

// ------------------------------------------------------------------ expiry (ours)

test('expired subject: denied reason expired, relay off', () => {
  const x = subject(ANN.fob, { expired: true });
  const r = run(machine({ unauthorized_warn_only: true }), initialState(), [[ins(x.fob), x, T0]]);
  assert.equal(r.log, [{ type: 'denied', at: T0, fob: ANN.fob, account_id: ANN.account_id, full_name: 'Ann Smith', reason: 'expired' }]);
  assert.is(r.outputs.relay, false);
  assert.is(r.outputs.display, 'Membership\nexpired');
});

test('expired subject on an oopsed machine: nothing changes, even for an override member', () => {
  const x = subject(MAINT.fob, { expired: true, override: true });
  const r = run(machine(), initialState(), [[OOPS, null], [ins(x.fob), x]]);
  assert.is(r.outputs.relay, false);
  assert.is(r.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is((r.last.log[0] as any).reason, 'expired');
});

// ------------------------------------------------------------------ log details

test('session duration never goes negative (clock set backwards during a session)', () => {
  const r = run(machine(), initialState(), [[ins(ANN.fob), ANN, T0], [REMOVE, ANN, T0 - 5000]]);
  assert.is((r.last.log[0] as any).duration_ms, 0);
});

test('rfid_since follows every change of the reader (insert, remove), not repeats', () => {
  const r = run(machine(), initialState(), [[ins(BOB.fob), BOB, T0], [ins(BOB.fob), BOB, T0 + 5], [REMOVE, BOB, T0 + 9]]);
  assert.is(r.state.rfid, null);
  assert.is(r.state.rfid_since, T0 + 9);
});

test('the second relay verdict is logged once per session, not on every later event', () => {
  const m = machine({ second_relay: second({ unauthorized_warn_only: true }) });
  const a = run(m, initialState(), [[ins(ANN.fob), ANN]]);
  const b = run(m, a.state, [[CONFIG, null], [aLockSoft, null], [aUnlock, null]]);
  assert.ok(b.log.every((e) => e.type !== 'second_relay'), JSON.stringify(b.log));
  assert.is(b.outputs.second_relay, true);
});

test('a swap between two members with the same second relay verdict logs it again for the new session', () => {
  const m = machine({ second_relay: second({ always_enabled: true }) });
  const r = run(m, initialState(), [[ins(ANN.fob), ANN], [ins('0000000005'), subject('0000000005'), T0 + 3]]);
  assert.equal(types(r.last.log), ['session_end', 'session_start', 'second_relay']);
  assert.is((r.last.log[2] as any).fob, '0000000005');
});

test('reboot of an always-enabled machine with a second relay: both back on', () => {
  const m = machine({ always_enabled: true, second_relay: second({ always_enabled: true }) });
  const r = run(m, initialState(), [[REBOOT, null]]);
  assert.is(r.outputs.relay, true);
  assert.is(r.outputs.second_relay, true);
  assert.equal(types(r.log), ['reboot', 'second_relay']);
});

test('admin actions are logged with who asked, even when nothing changes', () => {
  const r = run(machine(), initialState(), [[aClear, null, T0], [aUnlock, null, T0]]);
  assert.equal(r.log, [
    { type: 'oops_cleared', at: T0, by: 'admin' },
    { type: 'unlocked', at: T0, by: 'admin' },
  ]);
  assert.equal(r.outputs, out(false, 'Please Insert\nRFID Card', [0, 0, 0], 0, false, false));
});

test.run();
