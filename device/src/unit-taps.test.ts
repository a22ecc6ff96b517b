// The tap on a fake board (device/test/unit-rig.ts): local decisions in the same tick (no HTTP),
// card removal, oops, a card left in at boot, and the parts that fail (LCD, relay pin, watchdog).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DISPLAY_IDLE, DISPLAY_OOPS, DISPLAY_UNKNOWN } from '@fobgate/shared';
import { startFirmware } from './firmware.js';
import { CONFIG_FILE } from './board-config.js';
import { WARN_LINE } from './unit-lifecycle.js';
import { makeRig, makeList, fullUpdate, answer, config, playFrame, MACHINE_TWO_RELAYS, FakeStore } from '../test/fake-hal.js';
import { P, ALICE, MAINT, entries, boot, bootWithList, insert, lcd } from '../test/unit-rig.js';

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

test.run();
