// Wiegand driver: edges fed through fake pins and a manual clock, golden 26/34-bit frames.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeWiegand } from '@fobgate/shared';
import { FakeInputPin, FakeTime } from '../../test/fake-pins-clock.js';
import { WiegandReader, WIEGAND_GAP_MS } from './wiegand.js';

// Facility 1, number 1: data 0x010001; E=1 (one set bit in the first 12), O=0.
const GOLDEN_26 = '1' + '000000010000' + '000000000001' + '0';
// Data 0x12345678: high half has 5 set bits -> E=1; low half has 8 -> O=1.
const GOLDEN_34 = '1' + '0001001000110100' + '0101011001111000' + '1';

function rig(bits: 0 | 26 | 34 = 0) {
  const time = new FakeTime();
  const overruns: number[] = [];
  const d0 = new FakeInputPin(true);
  const d1 = new FakeInputPin(true);
  const cst = new FakeInputPin(false);
  const cards: number[][] = [];
  const errors: string[] = [];
  const present: boolean[] = [];
  const reader = new WiegandReader({
    d0: d0,
    d1: d1,
    present: cst,
    clock: time,
    timers: time,
    onCard: (card, bits) => cards.push([card, bits]),
    onError: (code) => errors.push(code),
    onPresent: (p) => present.push(p),
    onOverrun: (n) => overruns.push(n),
    bits: bits,
  });
  reader.setup();
  /** Pulses one data line per bit, `spacing` ms apart, starting now. */
  function feed(frame: string, spacing: number): void {
    for (let i = 0; i < frame.length; i++) {
      if (i > 0) time.advance(spacing);
      (frame[i] === '1' ? d1 : d0).pulseLow(time.now());
    }
  }
  return { time, d0, d1, cst, cards, errors, present, reader, feed, overruns };
}

test('26-bit golden frame decodes to its card number after the gap', () => {
  const r = rig();
  r.feed(GOLDEN_26, 2);
  assert.equal(r.cards, [], 'nothing decoded inside the pin callbacks');
  r.time.advance(WIEGAND_GAP_MS - 1);
  assert.equal(r.cards, [], 'not before the gap has passed');
  r.time.advance(1);
  assert.equal(r.cards, [[0x010001, 26]]);
  assert.equal(r.errors, []);
});

test('34-bit golden frame, longer than the gap in total, decodes once', () => {
  const r = rig();
  r.feed(GOLDEN_34, 2); // 66 ms of bits: the frame timer has to wait for the end
  r.time.advance(WIEGAND_GAP_MS);
  assert.equal(r.cards, [[0x12345678, 34]]);
  r.time.advance(1000);
  assert.equal(r.cards.length, 1);
  assert.is(r.time.count(), 0, 'no timer left running');
});

test('frames from the shared encoder round-trip, back to back', () => {
  const r = rig();
  const want = [[12345678 % 16777216, 26], [4000000000, 34], [1, 26], [0, 34]];
  for (const w of want) {
    r.feed(encodeWiegand(w[0], w[1] as 26 | 34).join(''), 1);
    r.time.advance(WIEGAND_GAP_MS + 5);
  }
  assert.equal(r.cards, want);
});

test('a bad parity bit is reported as a coded error', () => {
  const r = rig();
  r.feed('0' + GOLDEN_26.slice(1), 2);
  r.time.advance(WIEGAND_GAP_MS);
  assert.equal(r.cards, []);
  assert.equal(r.errors, ['WIEGAND_PARITY']);
});

test('a short frame (noise) and an overlong frame are length errors', () => {
  const r = rig();
  r.feed('1011', 2);
  r.time.advance(WIEGAND_GAP_MS);
  r.feed('1'.repeat(80), 1);
  r.time.advance(WIEGAND_GAP_MS);
  assert.equal(r.errors, ['WIEGAND_LENGTH', 'WIEGAND_LENGTH']);
  // the reader recovers for the next good frame
  r.feed(GOLDEN_26, 2);
  r.time.advance(WIEGAND_GAP_MS);
  assert.equal(r.cards, [[0x010001, 26]]);
});

test('a pause shorter than the gap does not split a frame', () => {
  const r = rig();
  r.feed(GOLDEN_26.slice(0, 10), 2);
  r.time.advance(WIEGAND_GAP_MS - 5);
  r.feed(GOLDEN_26.slice(10), 2);
  r.time.advance(WIEGAND_GAP_MS);
  assert.equal(r.cards, [[0x010001, 26]]);
  assert.equal(r.errors, []);
});

test('card-present line reports changes once each', () => {
  const r = rig();
  assert.is(r.reader.isPresent(), false);
  r.cst.set(true, 1);
  r.cst.set(true, 2);
  assert.is(r.reader.isPresent(), true);
  r.cst.set(false, 3);
  assert.equal(r.present, [true, false]);
});

test('setup reads the present line as it is at boot', () => {
  const time = new FakeTime();
  const cst = new FakeInputPin(true);
  const reader = new WiegandReader({
    d0: new FakeInputPin(true), d1: new FakeInputPin(true), present: cst, clock: time, timers: time,
    onCard: () => {}, onError: () => {}, onPresent: () => {},
  });
  reader.setup();
  assert.is(reader.isPresent(), true);
});

test('stop removes every watch and the frame timer', () => {
  const r = rig();
  r.feed('101', 1);
  assert.is(r.time.count(), 1);
  r.reader.stop();
  assert.is(r.time.count(), 0);
  assert.is(r.d0.activeWatches() + r.d1.activeWatches() + r.cst.activeWatches(), 0);
  r.feed(GOLDEN_26, 1);
  r.time.advance(100);
  assert.equal(r.cards, []);
  assert.match(r.reader.describe(), /0 cards/);
});

test('a declared 26-bit reader: decided inside the last bit\'s callback, no wait for the gap', () => {
  const r = rig(26);
  r.feed(GOLDEN_26.slice(0, 25), 2);
  assert.equal(r.cards, []);
  r.feed(GOLDEN_26.slice(25), 2);
  assert.equal(r.cards, [[0x010001, 26]], 'at the last bit');
  r.time.advance(WIEGAND_GAP_MS + 5);
  assert.equal(r.cards.length, 1, 'once');
  assert.equal(r.errors, []);
  assert.is(r.time.count(), 0, 'the frame timer ended too');
});

test('a declared 34-bit reader decides the golden frame at bit 34; every encoder frame round-trips', () => {
  const r = rig(34);
  r.feed(GOLDEN_34, 2);
  assert.equal(r.cards, [[0x12345678, 34]]);
  r.time.advance(WIEGAND_GAP_MS + 5);
  for (const n of [0, 1, 4000000000, 4294967295]) {
    r.feed(encodeWiegand(n, 34).join(''), 2);
    r.time.advance(WIEGAND_GAP_MS + 5);
  }
  assert.equal(r.cards.slice(1), [[0, 34], [1, 34], [4000000000, 34], [4294967295, 34]]);
  assert.equal(r.errors, []);
});

test('declared format: bad parity is a coded error at the last bit; a short frame a length error after the gap', () => {
  const r = rig(26);
  r.feed('0' + GOLDEN_26.slice(1), 2);
  assert.equal(r.errors, ['WIEGAND_PARITY']);
  r.time.advance(WIEGAND_GAP_MS + 5);
  r.feed(GOLDEN_26.slice(0, 20), 2);
  r.time.advance(WIEGAND_GAP_MS + 5);
  assert.equal(r.errors, ['WIEGAND_PARITY', 'WIEGAND_LENGTH']);
  assert.equal(r.cards, []);
  r.feed(GOLDEN_26, 2);
  assert.equal(r.cards, [[0x010001, 26]], 'recovers for the next frame');
});

test('declared 26-bit, a 34-bit frame arrives: whatever its first 26 bits gave is followed by a length error and an overrun', () => {
  const r = rig(26);
  r.feed(GOLDEN_34, 2);
  r.time.advance(WIEGAND_GAP_MS + 5);
  assert.ok(r.errors.indexOf('WIEGAND_LENGTH') >= 0, JSON.stringify(r.errors));
  assert.equal(r.overruns, [34]);
});

test.run();
