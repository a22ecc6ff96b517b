// The event ring: numbering across reboots, order, acknowledgement, overflow accounting.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventRing, EVENT_FILE_PREFIX } from './event-ring.js';
import type { NewEvent } from './event-ring.js';
import { FakeStore } from '../test/fake-hal.js';

function ev(type: NewEvent['type'], fob?: string): NewEvent {
  const e: NewEvent = { type: type, at: 0, up: 0 };
  if (fob) e.fob = fob;
  return e;
}

const stamp = (e: NewEvent): NewEvent => e;

test('events get increasing sequence numbers that survive a reboot', () => {
  const store = new FakeStore();
  const ring = new EventRing(store, 8);
  ring.load();
  assert.is(ring.append(ev('boot')), 1);
  assert.is(ring.append(ev('denied', '0000000001')), 2);
  const again = new EventRing(store.clone(), 8);
  again.load();
  assert.is(again.pending(), 2);
  assert.equal(again.peek(10).map((e) => e.seq), [1, 2]);
  assert.is(again.peek(10)[1].fob, '0000000001');
  assert.is(again.append(ev('oops')), 3);
});

test('peek returns the oldest first and at most the asked number', () => {
  const ring = new EventRing(new FakeStore(), 8);
  ring.load();
  for (let i = 0; i < 5; i++) ring.append(ev('denied'));
  assert.equal(ring.peek(3).map((e) => e.seq), [1, 2, 3]);
});

test('ack erases what the server stored; numbering continues after a reboot with everything acked', () => {
  const store = new FakeStore();
  const ring = new EventRing(store, 8);
  ring.load();
  ring.append(ev('boot'));
  ring.append(ev('oops'));
  ring.append(ev('oops_cleared'));
  ring.ack(2, stamp);
  assert.is(ring.pending(), 1);
  assert.equal(ring.peek(10).map((e) => e.seq), [3]);
  ring.ack(3, stamp);
  assert.is(ring.pending(), 0);
  assert.is(store.list(EVENT_FILE_PREFIX).filter((n) => /^fgev[0-9]+$/.test(n)).length, 0);
  const again = new EventRing(store.clone(), 8);
  again.load();
  assert.is(again.pending(), 0);
  assert.is(again.append(ev('boot')), 4, 'never reuses a sequence number');
});

test('an ack for events not sent yet or already erased changes nothing wrong', () => {
  const ring = new EventRing(new FakeStore(), 8);
  ring.load();
  ring.append(ev('boot'));
  ring.ack(0, stamp);
  assert.is(ring.pending(), 1);
  ring.ack(99, stamp);
  assert.is(ring.pending(), 0);
  assert.is(ring.append(ev('boot')), 2);
});

test('overflow drops the oldest, counts them and reports a dropped event once there is room', () => {
  const store = new FakeStore();
  const ring = new EventRing(store, 4);
  ring.load();
  for (let i = 0; i < 7; i++) ring.append(ev('denied'));
  assert.is(ring.pending(), 4);
  assert.is(ring.droppedTotal(), 3);
  assert.equal(ring.peek(10).map((e) => e.seq), [4, 5, 6, 7]);
  // the count survives a reboot
  const again = new EventRing(store.clone(), 4);
  again.load();
  assert.is(again.droppedTotal(), 3);
  assert.equal(again.peek(10).map((e) => e.seq), [4, 5, 6, 7]);
  again.ack(7, stamp);
  const left = again.peek(10);
  assert.is(left.length, 1);
  assert.is(left[0].type, 'dropped');
  assert.is(left[0].count, 3);
  assert.is(left[0].seq, 8);
  again.ack(8, stamp);
  assert.is(again.pending(), 0, 'reported once');
  assert.is(again.droppedTotal(), 3);
});

test('nothing is lost while the buffer has room', () => {
  const ring = new EventRing(new FakeStore(), 16);
  ring.load();
  for (let i = 0; i < 16; i++) ring.append(ev('denied'));
  assert.is(ring.droppedTotal(), 0);
  assert.is(ring.peek(100).length, 16);
});

test('a torn event file (power cut mid-write) is skipped, not fatal', () => {
  const store = new FakeStore();
  const ring = new EventRing(store, 8);
  ring.load();
  ring.append(ev('boot'));
  store.failAfter = 0;
  ring.append(ev('oops'));
  const again = new EventRing(store.clone(), 8);
  again.load();
  assert.equal(again.peek(10).map((e) => e.type), ['boot']);
  assert.ok(again.append(ev('denied')) >= 2);
});

test.run();
