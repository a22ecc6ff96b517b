// The unit and its server on a fake board (device/test/unit-rig.ts): admin commands, events on
// the wire, offline freshness, list updates and reboots with the flash kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DISPLAY_IDLE, DISPLAY_OOPS, DISPLAY_STALE, DISPLAY_LOCKED_OUT } from '@fobgate/shared';
import { makeList, fullUpdate, answer, MACHINE, MACHINE_TWO_RELAYS, KEY } from '../test/fake-hal.js';
import { P, ALICE, BOB, MAINT, entries, boot, bootWithList, insert, lcd } from '../test/unit-rig.js';

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
