// The pure base64 the list is written with: agreement with Node's Buffer, slices, strict
// decoding; and that a native-style codec (as a unit passes in) gives identical lists.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64Encode, base64DecodeInto, base64Length, nativeBase64, type Base64Codec } from './base64.js';
import { decodeList, encodeList, encodeListHead, diffLists, encodeDelta, applyDelta } from './authlist.js';
import { sha256Hex, rng, randomEntries, listOf, plain } from '../test/authlist-helpers.js';

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

test('encode agrees with Buffer for every length 0..200 and for slices', () => {
  const r = rng(1);
  for (let n = 0; n <= 200; n++) {
    const b = randomBytes(r, n);
    const want = Buffer.from(b).toString('base64');
    assert.is(base64Encode(b), want, 'length ' + n);
    assert.is(base64Length(n), want.length);
    const s = Math.floor(r() * (n + 1));
    const e = s + Math.floor(r() * (n - s + 1));
    assert.is(base64Encode(b, s, e), Buffer.from(b.subarray(s, e)).toString('base64'), 'slice ' + s + '..' + e);
  }
});

test('decodeInto round trips from a slice of a larger text', () => {
  const r = rng(2);
  for (let n = 0; n <= 200; n++) {
    const b = randomBytes(r, n);
    const text = 'xx\n' + base64Encode(b) + '\nyy';
    const out = new Uint8Array(n);
    assert.ok(base64DecodeInto(text, 3, 3 + base64Length(n), out), 'length ' + n);
    assert.equal(Array.from(out), Array.from(b));
  }
});

test('decodeInto refuses anything but canonical base64 of exactly the expected size', () => {
  const out2 = new Uint8Array(2);
  assert.ok(base64DecodeInto('AQI=', 0, 4, out2));
  const bad = ['AQI', 'AQIA', 'AQJ=', 'AQ==', 'A*I=', 'AQ=I', '\u00c1QI=', 'AQI=='];
  for (const t of bad) assert.is(base64DecodeInto(t, 0, t.length, new Uint8Array(2)), false, JSON.stringify(t));
  const out1 = new Uint8Array(1);
  assert.ok(base64DecodeInto('/w==', 0, 4, out1));
  assert.is(out1[0], 255);
  assert.is(base64DecodeInto('/x==', 0, 4, out1), false, 'non-zero padding bits');
  assert.is(base64DecodeInto('/w=A', 0, 4, out1), false);
  assert.is(base64DecodeInto('AAAA', 0, 8, new Uint8Array(6)), false, 'end beyond the text');
  assert.is(base64DecodeInto('AAAA', -1, 3, new Uint8Array(3)), false);
  assert.ok(base64DecodeInto('', 0, 0, new Uint8Array(0)));
});

/** Like a unit's native atob/btoa: fast and lenient. */
const nativeLike: Base64Codec = {
  encode: (bytes, start, end) => Buffer.from(bytes.subarray(start, end)).toString('base64'),
  decodeInto: (text, start, end, out) => {
    const b = Buffer.from(text.substring(start, end), 'base64');
    if (b.length !== out.length) return false;
    out.set(b);
    return true;
  },
};

test('a native codec gives the same text, the same decoded list and the same delta result', () => {
  for (let seed = 1; seed <= 10; seed++) {
    const r = rng(seed);
    const v = listOf(randomEntries(r, Math.floor(r() * 2000)), 1);
    const w = listOf(randomEntries(r, Math.floor(r() * 50)).concat(randomEntries(rng(seed), 100)), 2);
    assert.is(encodeList(v, nativeLike), encodeList(v));
    assert.is(encodeListHead(v, nativeLike), encodeListHead(v));
    const d = decodeList(encodeList(v), sha256Hex, { base64: nativeLike });
    assert.ok(d.ok);
    if (d.ok) assert.equal(plain(d.value), plain(v));
    const a = applyDelta(v, encodeDelta(diffLists(v, w)), sha256Hex, { base64: nativeLike });
    assert.ok(a.ok);
    if (a.ok) assert.is(a.value.digest, w.digest);
  }
});

/** Node stand-ins for Espruino's atob, btoa, E.toString and E.toUint8Array. */
const espruinoLike = nativeBase64({
  atob: (s) => Buffer.from(s, 'base64').toString('latin1'),
  btoa: (s) => Buffer.from(s, 'latin1').toString('base64'),
  bytesToString: (b) => Buffer.from(b).toString('latin1'),
  stringToBytes: (s) => new Uint8Array(Buffer.from(s, 'latin1')),
});

test('nativeBase64: same results as the pure codec, falls back when a native step fails', () => {
  const r = rng(4);
  for (let n = 0; n <= 100; n++) {
    const b = randomBytes(r, n);
    assert.is(espruinoLike.encode(b, 0, n), base64Encode(b));
    const out = new Uint8Array(n);
    assert.ok(espruinoLike.decodeInto('#' + base64Encode(b), 1, 1 + base64Length(n), out));
    assert.equal(Array.from(out), Array.from(b));
  }
  const noFlat = nativeBase64({
    atob: () => { throw new Error('bad'); },
    btoa: (s) => Buffer.from(s, 'latin1').toString('base64'),
    bytesToString: () => undefined,
    stringToBytes: () => { throw new Error('no memory'); },
  });
  const b = randomBytes(r, 50);
  assert.is(noFlat.encode(b, 3, 40), base64Encode(b, 3, 40));
  assert.is(noFlat.decodeInto(base64Encode(b), 0, base64Length(50), new Uint8Array(50)), false, 'atob threw');
  assert.is(espruinoLike.decodeInto('AAAA', 0, 4, new Uint8Array(2)), false, 'wrong size');
  const list = listOf(randomEntries(rng(9), 700), 3);
  const text = encodeList(list, espruinoLike);
  assert.is(text, encodeList(list));
  const d = decodeList(text, sha256Hex, { base64: espruinoLike, names: list.names });
  assert.ok(d.ok && d.value.digest === list.digest);
});

test.run();
