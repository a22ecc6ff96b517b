import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeWiegand, encodeWiegand } from './wiegand.js';
import { numberToFob } from './fob.js';

/** "1010..." -> [1,0,1,0,...] (first sent first). */
function bitsOf(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charAt(i) === '1' ? 1 : 0);
  return out;
}

function flip(bits: number[], i: number): number[] {
  const copy = bits.slice();
  copy[i] = copy[i] ? 0 : 1;
  return copy;
}

// Golden frames, computed by hand: parity bit, data bits, parity bit.
const GOLDEN: { name: string; frame: string; card: number; facility: number; code: string }[] = [
  // facility 1, card 1: data 00000001 0000000000000001; first 12 hold one 1 -> E=1; last 12 hold one 1 -> O=0
  { name: '26-bit facility 1 card 1', frame: '1' + '00000001' + '0000000000000001' + '0', card: 65537, facility: 1, code: '0000065537' },
  // all 24 data bits set: first 12 even -> E=0; last 12 even -> O=1
  { name: '26-bit max 24-bit card', frame: '0' + '111111111111111111111111' + '1', card: 16777215, facility: 255, code: '0016777215' },
  // all zero data: E=0, O=1
  { name: '26-bit card 0', frame: '0' + '000000000000000000000000' + '1', card: 0, facility: 0, code: '0000000000' },
  // 12345 = 0x003039: 0000 0000 0011 | 0000 0011 1001 -> E=0 (2 ones), O=1 (4 ones)
  { name: '26-bit small card 12345', frame: '0' + '000000000011000000111001' + '1', card: 12345, facility: 0, code: '0000012345' },
  // 4000000000 = 0xEE6B2800: first 16 bits 1110111001101011 (11 ones) -> E=1; last 16 0010100000000000 (2 ones) -> O=1
  { name: '34-bit card above 2^31', frame: '1' + '11101110011010110010100000000000' + '1', card: 4000000000, facility: 0xee6b, code: '4000000000' },
  // 91703745 = 0x057749C1: 0000010101110111 (8 ones) -> E=0; 0100100111000001 (6 ones) -> O=1
  { name: '34-bit leading-zero canonical code', frame: '0' + '00000101011101110100100111000001' + '1', card: 91703745, facility: 0x0577, code: '0091703745' },
  // all 32 data bits set: E=0, O=1
  { name: '34-bit max card', frame: '0' + '11111111111111111111111111111111' + '1', card: 4294967295, facility: 65535, code: '4294967295' },
];

for (const g of GOLDEN) {
  test('decodes golden frame: ' + g.name, () => {
    const bits = bitsOf(g.frame);
    const r = decodeWiegand(bits, bits.length);
    assert.equal(r, { ok: true, value: { card: g.card, bits: bits.length === 26 ? 26 : 34, facility: g.facility } });
    if (r.ok) assert.is(numberToFob(r.value.card), g.code);
  });

  test('encodes golden frame: ' + g.name, () => {
    const len = g.frame.length === 26 ? 26 : 34;
    assert.equal(encodeWiegand(g.card, len), bitsOf(g.frame));
  });
}

test('accepts a Uint8Array and ignores bits past count', () => {
  const frame = bitsOf(GOLDEN[5].frame);
  const buf = new Uint8Array(40);
  for (let i = 0; i < frame.length; i++) buf[i] = frame[i];
  buf[34] = 1;
  buf[39] = 1;
  assert.equal(decodeWiegand(buf, 34), { ok: true, value: { card: 91703745, bits: 34, facility: 1399 } });
});

test('bad parity in the first half of a 26-bit frame', () => {
  const frame = bitsOf(GOLDEN[0].frame);
  for (const i of [0, 1, 5, 12]) {
    const r = decodeWiegand(flip(frame, i), 26);
    assert.is(r.ok, false, 'bit ' + i);
    if (!r.ok) {
      assert.is(r.error.code, 'WIEGAND_PARITY');
      assert.is(r.error.message, 'Wiegand 26-bit frame: even parity of the first half (bits 1-12) does not match');
    }
  }
});

test('bad parity in the second half of a 26-bit frame', () => {
  const frame = bitsOf(GOLDEN[1].frame);
  for (const i of [13, 20, 24, 25]) {
    const r = decodeWiegand(flip(frame, i), 26);
    assert.is(r.ok, false, 'bit ' + i);
    if (!r.ok) {
      assert.is(r.error.code, 'WIEGAND_PARITY');
      assert.is(r.error.message, 'Wiegand 26-bit frame: odd parity of the second half (bits 13-24) does not match');
    }
  }
});

test('bad parity in each half of a 34-bit frame', () => {
  const frame = bitsOf(GOLDEN[4].frame);
  const first = decodeWiegand(flip(frame, 16), 34);
  assert.equal(first, {
    ok: false,
    error: { code: 'WIEGAND_PARITY', message: 'Wiegand 34-bit frame: even parity of the first half (bits 1-16) does not match' },
  });
  const second = decodeWiegand(flip(frame, 17), 34);
  assert.equal(second, {
    ok: false,
    error: { code: 'WIEGAND_PARITY', message: 'Wiegand 34-bit frame: odd parity of the second half (bits 17-32) does not match' },
  });
});

test('all-zero and all-one frames (reader noise) fail parity', () => {
  const zeros26 = decodeWiegand(bitsOf('0'.repeat(26)), 26);
  assert.is(zeros26.ok, false);
  if (!zeros26.ok) assert.match(zeros26.error.message, 'second half');
  const ones26 = decodeWiegand(bitsOf('1'.repeat(26)), 26);
  assert.is(ones26.ok, false);
  if (!ones26.ok) assert.match(ones26.error.message, 'first half');
  assert.is(decodeWiegand(bitsOf('0'.repeat(34)), 34).ok, false);
  assert.is(decodeWiegand(bitsOf('1'.repeat(34)), 34).ok, false);
});

test('wrong lengths are rejected naming the count', () => {
  for (const n of [0, 4, 8, 25, 27, 32, 33, 35, 37, 64]) {
    const r = decodeWiegand(new Uint8Array(n), n);
    assert.is(r.ok, false, String(n));
    if (!r.ok) {
      assert.is(r.error.code, 'WIEGAND_LENGTH');
      assert.is(r.error.message, 'Wiegand frame of ' + n + ' bits: expected 26 or 34 bits');
    }
  }
});

test('a count larger than the captured bits is a length error', () => {
  const r = decodeWiegand([1, 0, 1], 26);
  assert.equal(r, { ok: false, error: { code: 'WIEGAND_LENGTH', message: 'Wiegand frame of 26 bits but only 3 bits were captured' } });
});

test('garbage arguments never throw', () => {
  const junk: unknown[] = [null, undefined, 'abc', 42, {}, { length: 'x' }];
  for (const j of junk) {
    const r = decodeWiegand(j as number[], 26);
    assert.is(r.ok, false);
  }
  assert.is(decodeWiegand([], NaN).ok, false);
  assert.is(decodeWiegand([], 26.5).ok, false);
  assert.is(decodeWiegand([], '26' as unknown as number).ok, false);
});

test('encode/decode round trip across the range, exact past 2^31', () => {
  const cards26 = [1, 2, 255, 256, 65535, 65536, 1234567, 8388608, 16777214];
  for (const c of cards26) {
    const r = decodeWiegand(encodeWiegand(c, 26), 26);
    assert.equal(r, { ok: true, value: { card: c, bits: 26, facility: Math.floor(c / 65536) } });
  }
  const cards34 = [1, 2147483647, 2147483648, 2147483649, 3000000001, 4294967294, 16777216, 99999999];
  for (const c of cards34) {
    const r = decodeWiegand(encodeWiegand(c, 34), 34);
    assert.equal(r, { ok: true, value: { card: c, bits: 34, facility: Math.floor(c / 65536) } });
  }
});

test('encoder truncates to the frame width and treats bad numbers as 0', () => {
  // 16777216 + 5 does not fit 24 bits: a 26-bit reader sends the low 24 bits.
  assert.equal(encodeWiegand(16777221, 26), encodeWiegand(5, 26));
  assert.equal(encodeWiegand(4294967296 + 7, 34), encodeWiegand(7, 34));
  assert.equal(encodeWiegand(-3, 26), encodeWiegand(0, 26));
  assert.equal(encodeWiegand(NaN, 34), encodeWiegand(0, 34));
  assert.is(encodeWiegand(1, 26).length, 26);
  assert.is(encodeWiegand(1, 34).length, 34);
});

test.run();
