import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { runInNewContext } from 'node:vm';
import { constantTimeEqual, makeHmacSha256, sha256Hex, sha256HexWith, toHex } from './hmac.js';

// Raw SHA-256 over 8-bit strings, in the three forms the module accepts.
function rawBytes(data: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(Buffer.from(data, 'latin1')).digest());
}
function rawArrayBuffer(data: string): ArrayBuffer {
  const b = rawBytes(data);
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}
function rawBinaryString(data: string): string {
  return createHash('sha256').update(Buffer.from(data, 'latin1')).digest().toString('latin1');
}

function nodeHmac(key: string, msg: string): string {
  return createHmac('sha256', Buffer.from(key, 'latin1')).update(Buffer.from(msg, 'latin1')).digest('hex');
}

function allBytes(): string {
  let s = '';
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  return s;
}

function repeatTo(s: string, n: number): string {
  let out = '';
  while (out.length < n) out += s;
  return out.slice(0, n);
}

const UNIT_KEY = '3f2a9c1d5e7b8a60c4d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0';

const KEYS: string[] = [
  '',
  'k',
  'key',
  UNIT_KEY, // the contract's unit key: 64 ASCII hex chars, exactly one block
  repeatTo('abc', 63),
  repeatTo('xyz', 65),
  repeatTo('0123456789', 100),
  allBytes(),
  '\u0000\u00ff\u0080',
];

const MESSAGES: string[] = [
  '',
  'a',
  'The quick brown fox jumps over the lazy dog',
  '{"machine":"lathe","counter":17,"events":[]}',
  repeatTo('m', 55),
  repeatTo('m', 56),
  repeatTo('m', 64),
  repeatTo('0123456789abcdef', 1000),
  allBytes(),
  allBytes() + allBytes(),
];

const FORMS: { name: string; fn: (d: string) => string | ArrayBuffer | Uint8Array }[] = [
  { name: 'Uint8Array', fn: rawBytes },
  { name: 'ArrayBuffer', fn: rawArrayBuffer },
  { name: 'binary string', fn: rawBinaryString },
  { name: 'hex string', fn: (d: string) => createHash('sha256').update(Buffer.from(d, 'latin1')).digest('hex') },
];

for (const form of FORMS) {
  test('HMAC equals node:crypto for every key and message (' + form.name + ' digest)', () => {
    const hmac = makeHmacSha256(form.fn);
    let checked = 0;
    for (const k of KEYS) {
      for (const m of MESSAGES) {
        assert.is(hmac(k, m), nodeHmac(k, m), 'key length ' + k.length + ', message length ' + m.length);
        checked++;
      }
    }
    assert.is(checked, KEYS.length * MESSAGES.length);
  });
}

test('RFC 4231 test case 2 (key "Jefe")', () => {
  const hmac = makeHmacSha256(rawBytes);
  assert.is(hmac('Jefe', 'what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('RFC 4231 test case 6 (131-byte key is hashed first)', () => {
  const hmac = makeHmacSha256(rawBytes);
  const key = repeatTo('\u00aa', 131);
  assert.is(
    hmac(key, 'Test Using Larger Than Block-Size Key - Hash Key First'),
    '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  );
});

test('the cached key schedule follows key changes', () => {
  const hmac = makeHmacSha256(rawBytes);
  const a = hmac('key-a', 'msg');
  const b = hmac('key-b', 'msg');
  assert.is(a, nodeHmac('key-a', 'msg'));
  assert.is(b, nodeHmac('key-b', 'msg'));
  assert.is(hmac('key-a', 'msg'), a);
  assert.is(hmac(repeatTo('L', 200), 'msg'), nodeHmac(repeatTo('L', 200), 'msg'));
  assert.is(hmac('key-a', 'msg'), a);
});

test('a hash function with the wrong digest size fails closed with an empty result', () => {
  const short = makeHmacSha256(() => new Uint8Array(20));
  assert.is(short('k', 'm'), '');
  const odd = makeHmacSha256(() => 'not a digest');
  assert.is(odd('k', 'm'), '');
  assert.is(sha256Hex(() => new ArrayBuffer(31), 'x'), '');
  assert.is(constantTimeEqual(short('k', 'm'), nodeHmac('k', 'm')), false);
});

test('sha256Hex and sha256HexWith equal node:crypto', () => {
  const hex = sha256HexWith(rawArrayBuffer);
  for (const m of MESSAGES) {
    const want = createHash('sha256').update(Buffer.from(m, 'latin1')).digest('hex');
    assert.is(hex(m), want);
    assert.is(sha256Hex(rawBinaryString, m), want);
  }
  assert.is(hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('toHex of every byte value in all three forms', () => {
  const s = allBytes();
  const want = Buffer.from(s, 'latin1').toString('hex');
  assert.is(toHex(s), want);
  assert.is(toHex(new Uint8Array(Buffer.from(s, 'latin1'))), want);
  const ab = new ArrayBuffer(256);
  new Uint8Array(ab).set(Buffer.from(s, 'latin1'));
  assert.is(toHex(ab), want);
  assert.is(toHex(''), '');
});

test('a digest ArrayBuffer from another realm (like the interpreter crypto module) is accepted', () => {
  const foreign = (d: string): ArrayBuffer => {
    const ab = runInNewContext('new ArrayBuffer(32)') as ArrayBuffer;
    assert.is(ab instanceof ArrayBuffer, false);
    new Uint8Array(ab).set(rawBytes(d));
    return ab;
  };
  const hmac = makeHmacSha256(foreign);
  assert.is(hmac(UNIT_KEY, '{"counter":1}'), nodeHmac(UNIT_KEY, '{"counter":1}'));
  assert.is(toHex(foreign('abc')), createHash('sha256').update('abc').digest('hex'));
});

test('constantTimeEqual', () => {
  const sig = nodeHmac(UNIT_KEY, 'body');
  assert.is(constantTimeEqual(sig, sig.slice()), true);
  assert.is(constantTimeEqual('', ''), true);
  assert.is(constantTimeEqual(sig, sig.slice(0, 63)), false);
  assert.is(constantTimeEqual(sig, sig + '0'), false);
  // differences at the first, a middle and the last position
  for (const i of [0, 31, 63]) {
    const other = sig.slice(0, i) + (sig.charAt(i) === 'a' ? 'b' : 'a') + sig.slice(i + 1);
    assert.is(constantTimeEqual(sig, other), false, 'position ' + i);
  }
  assert.is(constantTimeEqual('ab', 'ba'), false);
  assert.is(constantTimeEqual(null as unknown as string, 'x'), false);
  assert.is(constantTimeEqual('x', undefined as unknown as string), false);
});

test.run();
