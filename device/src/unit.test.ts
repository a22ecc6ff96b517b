// The unit end to end on a fake board: local decisions in the same tick (no HTTP), card removal,
// oops, admin commands, offline freshness, list updates and reboots.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAG_MAIN, FLAG_OVERRIDE, FLAG_SECOND, DISPLAY_IDLE, DISPLAY_OOPS, DISPLAY_STALE, DISPLAY_UNKNOWN, DISPLAY_LOCKED_OUT } from '@fobgate/shared';
import { startFirmware } from './firmware.js';
import type { Firmware } from './firmware.js';
import { DEFAULT_PINS, CONFIG_FILE } from './board-config.js';
import { WARN_LINE } from './unit.js';
import type { Unit } from './unit.js';
import { makeRig, makeList, fullUpdate, answer, config, playFrame, MACHINE, MACHINE_TWO_RELAYS, FakeStore, KEY } from '../test/fake-hal.js';
import type { FakeRig } from '../test/fake-hal.js';

const P = DEFAULT_PINS;
const ALICE = 91703745;
const BOB = 12345;
const MAINT = 777;

function entries() {
  return [
    { fob: ALICE, flags: FLAG_MAIN | FLAG_SECOND, name: 'Alice' },
    { fob: BOB, flags: 0, name: 'Bob' },
    { fob: MAINT, flags: FLAG_MAIN | FLAG_OVERRIDE, name: 'Max' },
  ];
}

function boot(store?: FakeStore): { rig: FakeRig; fw: Firmware; unit: Unit } {
  const s = store || new FakeStore();
  if (!s.files[CONFIG_FILE]) s.files[CONFIG_FILE] = config();
  const rig = makeRig(s);
  const fw = startFirmware(rig.platform);
  const unit = fw.unit();
  if (!unit) throw new Error('unit did not start: ' + fw.problem());
  return { rig: rig, fw: fw, unit: unit };
}

/** Boots and completes the first sync, which delivers the list. */
function bootWithList(store?: FakeStore): { rig: FakeRig; fw: Firmware; unit: Unit } {
  const b = boot(store);
  b.rig.time.advance(1);
  answer(b.rig.http.last(), { list: fullUpdate(makeList(entries(), 5, MACHINE_TWO_RELAYS)), latest_list_version: 5 });
  return b;
}

function insert(rig: FakeRig, card: number): void {
  rig.board.in(P.card_present).set(true, rig.time.t);
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, card, card > 16777215 ? 34 : 26);
}

function lcd(unit: Unit): string {
  const l = unit.lines();
  return l[1] ? l[0] + '\n' + l[1] : l[0];
}

test('relays are off at boot and the idle look shows', () => {
  const { rig, fw, unit } = boot();
  assert.is(rig.board.level(P.relay), false);
  assert.is(rig.board.outputs[P.relay].writes[0], false);
  assert.is(rig.board.level(P.second_relay as number), false);
  assert.is(lcd(unit), DISPLAY_IDLE);
  fw.stop();
});

test('authorized fob: relay on in the same tick as the frame ends, with no HTTP request', () => {
  const { rig, fw, unit } = bootWithList();
  rig.time.advance(100);
  const before = rig.http.requests.length;
  insert(rig, ALICE);
  assert.is(rig.board.level(P.relay), false, 'not before the frame gap');
  // The frame ends on the Wiegand driver's gap timer; the relay follows inside that same callback.
  let relayAtTimer = false;
  const orig = unit.relay.set.bind(unit.relay);
  let calls = 0;
  unit.relay.set = (on: boolean) => {
    calls++;
    orig(on);
    relayAtTimer = on && rig.http.requests.length === before;
  };
  rig.time.advance(25);
  assert.ok(calls > 0);
  assert.ok(relayAtTimer, 'relay switched on before any HTTP request');
  assert.is(rig.board.level(P.relay), true);
  assert.is(rig.board.level(P.second_relay as number), true);
  assert.is(lcd(unit), 'Welcome,\nAlice');
  fw.stop();
});

test('card removal turns the relays off at once and logs the session with its duration', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, ALICE);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true);
  rig.time.advance(60000);
  rig.board.in(P.card_present).set(false, rig.time.t);
  assert.is(rig.board.level(P.relay), false);
  assert.is(rig.board.level(P.second_relay as number), false);
  assert.is(lcd(unit), DISPLAY_IDLE);
  const ends = unit.ring.peek(100).filter((e) => e.type === 'session_end');
  assert.is(ends.length, 1);
  assert.is(ends[0].fob, '0091703745');
  assert.ok((ends[0].dur as number) >= 60000);
  fw.stop();
});

test('unknown fob is denied locally', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, 4242);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), false);
  assert.is(lcd(unit), DISPLAY_UNKNOWN);
  assert.ok(unit.ring.peek(100).some((e) => e.type === 'denied' && e.reason === 'unknown'));
  fw.stop();
  assert.is(rig.time.count(), 0, 'stop clears every timer the unit owns');
});

test('oops: relays off at once, oops look and LED, event queued and sync sent immediately', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, ALICE);
  rig.time.advance(30);
  rig.time.advance(6000); // past one idle sync
  const n = rig.http.requests.length;
  // answer any request in flight so the next one can go out
  rig.http.requests.forEach((r) => answer(r, { ack_seq: 0 }));
  rig.board.in(P.oops_button).set(true, rig.time.t);
  rig.time.advance(10);
  assert.is(rig.board.level(P.relay), false);
  assert.is(rig.board.level(P.oops_led as number), true);
  assert.is(lcd(unit), DISPLAY_OOPS);
  rig.time.advance(1);
  assert.ok(rig.http.requests.length > n, 'a sync went out');
  const body = rig.http.lastBody();
  assert.ok(body.events.some((e: { type: string }) => e.type === 'oops'));
  assert.is(body.state.oopsed, true);
  fw.stop();
});

test('admin commands apply at once; a lockout without cut waits for the session end', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, ALICE);
  rig.time.advance(30);
  rig.time.advance(5000);
  answer(rig.http.last(), { commands: [{ id: 1, type: 'lockout', cut: false, by: 'admin' }] });
  assert.is(rig.board.level(P.relay), true, 'running session not cut');
  assert.ok(lcd(unit).indexOf('Lockout pending') === 0, lcd(unit));
  rig.board.in(P.card_present).set(false, rig.time.t);
  assert.is(rig.board.level(P.relay), false);
  assert.is(lcd(unit), DISPLAY_LOCKED_OUT);
  rig.time.advance(5000);
  assert.is(rig.http.lastBody().command_ack, 1);
  answer(rig.http.last(), { commands: [{ id: 1, type: 'lockout', cut: false, by: 'admin' }, { id: 2, type: 'unlock', cut: false, by: 'admin' }] });
  assert.is(lcd(unit), DISPLAY_IDLE);
  fw.stop();
});

test('safety: clear_oops arriving during an override session ends it: relays off, idle, the card left in must be re-inserted', () => {
  const { rig, fw, unit } = bootWithList();
  rig.board.in(P.oops_button).set(true, rig.time.t);
  rig.time.advance(10);
  rig.board.in(P.oops_button).set(false, rig.time.t);
  rig.time.advance(10);
  assert.is(lcd(unit), DISPLAY_OOPS);
  insert(rig, MAINT);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true, 'override session runs');
  assert.is(lcd(unit), 'OVERRIDE BY\nMax');
  rig.time.advance(6000);
  rig.http.requests.forEach((r) => answer(r, { ack_seq: 0 }));
  rig.time.advance(6000);
  answer(rig.http.last(), { commands: [{ id: 1, type: 'clear_oops', cut: false, by: 'admin' }] });
  assert.is(rig.board.level(P.relay), false, 'relay off');
  assert.is(rig.board.level(P.oops_led as number), false);
  assert.is(lcd(unit), DISPLAY_IDLE);
  rig.time.advance(6000);
  assert.is(rig.board.level(P.relay), false, 'the card still in does not log in again');
  rig.board.in(P.card_present).set(false, rig.time.t);
  rig.time.advance(100);
  insert(rig, MAINT);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true, 're-inserted: a normal, authorized login');
  assert.is(lcd(unit), 'Welcome,\nMax');
  fw.stop();
});

test('offline past the freshness deadline: only override fobs start sessions', () => {
  const { rig, fw, unit } = bootWithList();
  rig.time.advance(10);
  // server gone: every connection refused
  rig.http.refuse = true;
  rig.time.advance(73 * 3600000);
  assert.is(rig.reboots, 0);
  assert.ok(unit.listStale());
  insert(rig, ALICE);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), false);
  assert.is(lcd(unit), DISPLAY_STALE);
  rig.board.in(P.card_present).set(false, rig.time.t);
  insert(rig, MAINT);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true);
  fw.stop();
});

test('reboot with Storage kept: relays off, list and event buffer intact, oops remembered', () => {
  const first = bootWithList();
  insert(first.rig, ALICE);
  first.rig.time.advance(30);
  first.rig.board.in(P.oops_button).set(true, first.rig.time.t);
  first.rig.time.advance(20);
  const pending = first.unit.ring.pending();
  assert.ok(pending > 0);
  first.fw.stop();
  const second = boot(first.rig.store.clone());
  assert.is(second.rig.board.level(P.relay), false);
  assert.is(second.unit.lists.version(), 5);
  assert.ok(second.unit.ring.pending() >= pending);
  assert.is(lcd(second.unit), DISPLAY_OOPS);
  second.fw.stop();
});

test('a rolled-back or badly signed list is refused and reported', () => {
  const { rig, fw, unit } = bootWithList();
  rig.time.advance(5000);
  answer(rig.http.last(), { list: fullUpdate(makeList(entries(), 3, MACHINE_TWO_RELAYS)) });
  assert.is(unit.lists.version(), 5);
  rig.time.advance(5000);
  answer(rig.http.last(), { list: fullUpdate(makeList(entries(), 9, MACHINE_TWO_RELAYS), 'b2'.repeat(32)) });
  assert.is(unit.lists.version(), 5);
  const rejected = unit.ring.peek(100).filter((e) => e.type === 'list_rejected');
  assert.is(rejected.length, 2);
  assert.is(rejected[0].reason, 'LIST_ROLLBACK');
  assert.is(rejected[1].reason, 'LIST_SIGNATURE');
  fw.stop();
});

test('the watchdog shows a warning instead of rebooting while a relay is on', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, ALICE);
  rig.time.advance(30);
  // the loop stops completing ticks
  unit.loop = () => {};
  rig.time.advance(40000);
  assert.is(rig.reboots, 0);
  assert.is(unit.lines()[1], WARN_LINE);
  assert.is(rig.board.level(P.relay), true);
  rig.board.in(P.card_present).set(false, rig.time.t);
  rig.time.advance(1000);
  assert.is(rig.reboots, 1);
  fw.stop();
  // after the reboot the boot event says why
  const again = boot(rig.store.clone());
  const b = again.unit.ring.peek(100).filter((e) => e.type === 'boot');
  assert.is(b[b.length - 1].reason, 'reboot: watchdog, loop stuck');
  again.fw.stop();
  const third = boot(again.rig.store.clone());
  const b3 = third.unit.ring.peek(100).filter((e) => e.type === 'boot');
  assert.is(b3[b3.length - 1].reason, 'power-on, crash or hardware watchdog');
  third.fw.stop();
});

test('events reach the server in order and are erased once acknowledged', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, BOB);
  rig.time.advance(30);
  rig.time.advance(5000);
  const body = rig.http.lastBody();
  const seqs = body.events.map((e: { seq: number }) => e.seq);
  for (let i = 1; i < seqs.length; i++) assert.is(seqs[i], seqs[i - 1] + 1);
  answer(rig.http.last(), { ack_seq: seqs[seqs.length - 1] });
  assert.is(unit.ring.pending(), 0);
  assert.is(KEY.length, 64);
  assert.is(MACHINE.name, 'lathe');
  fw.stop();
});

test('a card left in the reader at boot stays logged out until removed and inserted again', () => {
  const first = bootWithList();
  first.fw.stop();
  const store = first.rig.store.clone();
  const rig = makeRig(store);
  rig.board.in(P.card_present).level = true;
  const fw = startFirmware(rig.platform);
  const unit = fw.unit()!;
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, ALICE, 34);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), false, 'a frame re-sent for the card left in is ignored');
  rig.board.in(P.card_present).set(false, rig.time.t);
  insert(rig, ALICE);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true);
  assert.is(lcd(unit), 'Welcome,\nAlice');
  fw.stop();
});

test('a frame just before the card-present line rises still counts', () => {
  const { rig, fw } = bootWithList();
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, ALICE, 34);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), false);
  rig.board.in(P.card_present).set(true, rig.time.t + 100);
  assert.is(rig.board.level(P.relay), true);
  fw.stop();
});

test('the same refused list arriving again is reported once', () => {
  const { rig, fw, unit } = bootWithList();
  for (let i = 0; i < 3; i++) {
    rig.time.advance(5000);
    answer(rig.http.last(), { list: fullUpdate(makeList(entries(), 2, MACHINE_TWO_RELAYS)) });
  }
  assert.is(unit.ring.peek(100).filter((e) => e.type === 'list_rejected').length, 1);
  fw.stop();
});

test('events logged before the clock was known are sent with wall time once it is', () => {
  const { rig, fw } = boot();
  rig.time.advance(1);
  answer(rig.http.last(), { time: 1800000000000 });
  rig.time.advance(5000);
  const boot1 = rig.http.lastBody().events.find((e: { type: string }) => e.type === 'boot');
  assert.ok(boot1, 'boot event still pending (not acked)');
  assert.ok(boot1.at > 1700000000000 && boot1.at <= 1800000000000, String(boot1.at));
  fw.stop();
});

test('an event triggers a sync at once even while backing off', () => {
  const { rig, fw } = bootWithList();
  rig.http.refuse = true;
  rig.time.advance(60000);
  rig.http.refuse = false;
  const n = rig.http.requests.length;
  insert(rig, BOB);
  rig.time.advance(30);
  rig.time.advance(1);
  assert.ok(rig.http.requests.length > n, 'sent without waiting for the back-off');
  assert.ok(rig.http.lastBody().events.some((e: { type: string }) => e.type === 'denied'));
  fw.stop();
});

test('a dead LCD is reported and the relay keeps working', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config();
  const rig = makeRig(store);
  rig.board.i2cFails = true;
  const fw = startFirmware(rig.platform);
  const unit = fw.unit()!;
  rig.time.advance(1);
  answer(rig.http.last(), { list: fullUpdate(makeList(entries(), 5, MACHINE_TWO_RELAYS)) });
  insert(rig, ALICE);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true);
  rig.time.advance(1000);
  assert.ok(unit.ring.peek(100).some((e) => e.type === 'error' && e.reason === 'lcd'));
  fw.stop();
});

test('a relay pin the board refused is reported once, never written, and the unit keeps deciding', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config();
  const rig = makeRig(store);
  const dead = rig.board.out(P.relay);
  dead.refused = true;
  const fw = startFirmware(rig.platform);
  const unit = fw.unit()!;
  rig.time.advance(1);
  answer(rig.http.last(), { list: fullUpdate(makeList(entries(), 5, MACHINE_TWO_RELAYS)) });
  insert(rig, ALICE);
  rig.time.advance(1000);
  assert.is(unit.relay.isOn(), true, 'the decision stands');
  assert.is(dead.attempts, 0, 'the refused pin was never written');
  assert.is(lcd(unit), 'Welcome,\nAlice');
  const errs = unit.ring.peek(100).filter((e) => e.type === 'error' && e.reason === 'relay');
  assert.is(errs.length, 1);
  assert.match(String(errs[0].detail), 'relay: on, FAILED');
  fw.stop();
});

test('times on the wire are whole milliseconds even with a fractional clock; long texts are cut', () => {
  const { rig, fw, unit } = boot();
  rig.time.t += 0.375;
  rig.time.advance(1);
  answer(rig.http.last(), { time: 1800000000000 });
  rig.time.t += 0.25;
  unit.event({ type: 'error', at: 0, up: 0, reason: 'r'.repeat(100), detail: 'd'.repeat(500) });
  rig.time.advance(5000);
  const body = rig.http.lastBody();
  assert.ok(Number.isInteger(body.up));
  for (const e of body.events) {
    assert.ok(Number.isInteger(e.at) && Number.isInteger(e.up), JSON.stringify(e));
    if (e.reason) assert.ok(e.reason.length <= 64);
    if (e.detail) assert.ok(e.detail.length <= 200);
  }
  fw.stop();
});

test('a request refused as malformed is followed by one without events, so lists and commands still arrive', () => {
  const { rig, fw, unit } = bootWithList();
  insert(rig, BOB);
  rig.time.advance(30);
  rig.time.advance(5000);
  assert.ok(rig.http.lastBody().events.length > 0);
  rig.http.last().cb(null, { status: 400, headers: {}, body: '{"error":"body/events/0/reason: must NOT have more than 64 characters"}' });
  while (rig.http.requests.length < 3) rig.time.advance(100);
  assert.equal(rig.http.lastBody().events, []);
  answer(rig.http.last(), { commands: [{ id: 7, type: 'oops', cut: false, by: 'admin' }] });
  assert.is(unit.state.oopsed, true);
  rig.time.advance(5000);
  assert.ok(rig.http.lastBody().events.length > 0, 'events are tried again');
  fw.stop();
});

test('a server time that is not epoch milliseconds is not adopted', () => {
  const { rig, fw } = boot();
  rig.time.advance(1);
  answer(rig.http.last(), { time: 0 });
  rig.time.advance(5000);
  for (const e of rig.http.lastBody().events) assert.is(e.at, 0);
  fw.stop();
});

test('active-low relay boards: pins idle HIGH at boot and go LOW for on', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config({ relay_active_low: true });
  const { rig, fw } = bootWithList(store);
  assert.is(rig.board.outputs[P.relay].writes[0], true, 'off = HIGH from the first write');
  insert(rig, ALICE);
  rig.time.advance(30);
  assert.is(rig.board.outputs[P.relay].last(), false, 'on = LOW');
  rig.board.in(P.card_present).set(false, rig.time.t);
  assert.is(rig.board.outputs[P.relay].last(), true);
  fw.stop();
});

test('the time since the last successful sync survives a reboot (freshness deadline)', () => {
  const first = bootWithList();
  first.rig.http.refuse = true;
  first.rig.time.advance(71 * 3600000);
  assert.is(first.unit.listStale(), false);
  first.fw.stop();
  const second = boot(first.rig.store.clone());
  second.rig.http.refuse = true;
  assert.is(second.unit.listStale(), false);
  assert.ok(second.unit.offlineMs() >= 70 * 3600000, 'offline age carried over: ' + second.unit.offlineMs());
  second.rig.time.advance(2 * 3600000);
  assert.is(second.unit.listStale(), true);
  second.rig.http.refuse = false;
  second.rig.time.advance(60000);
  answer(second.rig.http.last(), {});
  assert.is(second.unit.listStale(), false, 'a successful sync makes it fresh again');
  second.fw.stop();
  const third = boot(second.rig.store.clone());
  assert.ok(third.unit.offlineMs() < 3600000, 'and that is persisted too');
  third.fw.stop();
});

test.run();
