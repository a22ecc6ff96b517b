import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalFob, fobToNumber, numberToFob } from './fob.js';

test('leading-zero card is padded to 10 digits', () => {
  assert.equal(canonicalFob('91703745'), { ok: true, value: '0091703745' });
});

test('already canonical code is unchanged', () => {
  assert.equal(canonicalFob('0091703745'), { ok: true, value: '0091703745' });
});

test('non-digits are rejected with a message naming the code', () => {
  const r = canonicalFob('12ab');
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.is(r.error.code, 'FOB_INVALID');
    assert.match(r.error.message, '12ab');
  }
});

test('empty and over-long codes are rejected', () => {
  assert.is(canonicalFob('').ok, false);
  assert.is(canonicalFob('12345678901').ok, false);
  assert.equal(canonicalFob('000091703745'), { ok: true, value: '0091703745' });
});

test('numeric form round-trips and is bounded to 32 bits', () => {
  assert.equal(fobToNumber('0091703745'), { ok: true, value: 91703745 });
  assert.is(numberToFob(91703745), '0091703745');
  assert.is(numberToFob(0), '0000000000');
  assert.equal(fobToNumber('4294967295'), { ok: true, value: 4294967295 });
  assert.is(fobToNumber('4294967296').ok, false);
});

test.run();
