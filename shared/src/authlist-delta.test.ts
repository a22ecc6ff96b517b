// Deltas between list versions: delta(v->w) applied to v equals w for random mutations, wrong
// bases refused, tampering rejected, size grows with the change and not the list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AuthList, type ListEntry, type Delta, type NamesSink,
  buildList, encodeList, encodeListHead, decodeList, diffLists, encodeDelta, decodeDelta, applyDelta, deltaAddAt, signText, verifyText,
  MAX_LIST_COUNT,
} from './authlist.js';
import { sha256Hex, hmac, KEY, rng, header, randomEntries, randomFob, randomName, listOf, plain } from '../test/authlist-helpers.js';

function entriesOf(list: AuthList): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < list.count; i++) out.push({ fob: list.fobs[i], flags: list.flags[i], name: list.names.substr(i * 16, 16) });
  return out;
}

/** Random changes: remove some, change flags or names of some, add some. */
function mutate(r: () => number, entries: ListEntry[]): ListEntry[] {
  const out: ListEntry[] = [];
  const pRemove = r() < 0.1 ? 1 : r() * 0.3;
  const pChange = r() * 0.3;
  for (let i = 0; i < entries.length; i++) {
    if (r() < pRemove) continue;
    const e = { fob: entries[i].fob, flags: entries[i].flags, name: entries[i].name };
    if (r() < pChange) {
      if (r() < 0.5) e.flags = Math.floor(r() * 16);
      else e.name = randomName(r);
    }
    out.push(e);
  }
  const adds = Math.floor(r() * 40);
  for (let k = 0; k < adds; k++) out.push({ fob: randomFob(r), flags: Math.floor(r() * 16), name: randomName(r) });
  return out;
}

function expectApplied(base: AuthList, delta: Delta | string, want: AuthList): void {
  const r = applyDelta(base, delta, sha256Hex);
  if (!r.ok) throw new Error('apply failed: ' + r.error.code + ': ' + r.error.message);
  assert.is(r.value.digest, want.digest);
  assert.is(r.value.version, want.version);
  assert.is(r.value.issued_at, want.issued_at);
  assert.equal(r.value.machine, want.machine);
  assert.equal(plain(r.value), plain(want));
  assert.is(encodeList(r.value), encodeList(want));
}

test('delta(v->w) applied to v equals w: random mutations over many seeds, object and text', () => {
  for (let seed = 1; seed <= 150; seed++) {
    const r = rng(seed);
    const m1 = header({});
    const m2 = r() < 0.3
      ? header({ unauthorized_warn_only: true, display_name: 'Lathe Ω', second_relay: { unauthorized_warn_only: false, always_enabled: true, display_name: 'coolant' } })
      : m1;
    const size = seed % 10 === 0 ? 0 : Math.floor(r() * 400);
    const v = listOf(randomEntries(r, size), seed, m1);
    const w = listOf(mutate(r, entriesOf(v)), seed + 1 + Math.floor(r() * 5), m2);
    const d = diffLists(v, w);
    assert.is(d.header === null, m1 === m2);
    expectApplied(v, d, w);
    const text = encodeDelta(d);
    assert.ok(/^[\x20-\x7e\n]*$/.test(text), 'printable ASCII');
    expectApplied(v, text, w);
    const back = decodeDelta(text);
    assert.ok(back.ok);
    if (back.ok) assert.is(encodeDelta(back.value), text);
  }
});

test('edge deltas: from empty, to empty (all removed), no change, header-only change', () => {
  const r = rng(77);
  const full = listOf(randomEntries(r, 300), 10);
  const empty = listOf([], 11);
  const d1 = diffLists(full, empty);
  assert.is(d1.add_fobs.length, 0);
  assert.is(d1.remove.length, full.count);
  expectApplied(full, encodeDelta(d1), empty);
  const full2 = listOf(entriesOf(full), 12);
  const d2 = diffLists(empty, full2);
  assert.is(d2.add_fobs.length, full2.count);
  expectApplied(empty, encodeDelta(d2), full2);
  const same = listOf(entriesOf(full2), 13);
  const d3 = diffLists(full2, same);
  assert.is(d3.add_fobs.length + d3.remove.length, 0);
  expectApplied(full2, encodeDelta(d3), same);
  const warn = listOf(entriesOf(full2), 14, header({ unauthorized_warn_only: true, offline_grace_hours: 24 }));
  const d4 = diffLists(same, warn);
  assert.ok(d4.header);
  assert.is(d4.add_fobs.length + d4.remove.length, 0);
  expectApplied(same, encodeDelta(d4), warn);
  const e0 = listOf([], 1);
  const e1 = listOf([], 2);
  expectApplied(e0, encodeDelta(diffLists(e0, e1)), e1);
});

test('no list or delta result above MAX_LIST_COUNT (16383: 65535-byte Espruino ArrayBuffer / 4) is accepted', () => {
  assert.is(MAX_LIST_COUNT, Math.floor(65535 / 4));
  const entries: ListEntry[] = [];
  for (let i = 0; i < MAX_LIST_COUNT; i++) entries.push({ fob: i * 3 + 1, flags: 1, name: 'Member ' + i });
  const fullest = listOf(entries, 20);
  assert.is(fullest.count, MAX_LIST_COUNT);
  assert.ok(decodeList(encodeList(fullest), sha256Hex).ok, 'a list of exactly MAX_LIST_COUNT decodes');
  entries.push({ fob: 2, flags: 1, name: 'One Too Many' });
  const over = listOf(entries, 21);
  assert.is(over.count, MAX_LIST_COUNT + 1);
  const d = decodeList(encodeList(over), sha256Hex);
  assert.is(d.ok, false);
  if (!d.ok) {
    assert.is(d.error.code, 'LIST_MALFORMED');
    assert.match(d.error.message, /16383/);
  }
  const a = applyDelta(fullest, encodeDelta(diffLists(fullest, over)), sha256Hex);
  assert.is(a.ok, false);
  if (!a.ok) {
    assert.is(a.error.code, 'DELTA_MALFORMED');
    assert.match(a.error.message, /16384 entries, more than the 16383/);
  }
});

test('extremes 0 and 4294967295 survive add, change and remove', () => {
  const a = listOf([{ fob: 0, flags: 1, name: 'zero' }, { fob: 5, flags: 1, name: 'five' }, { fob: 4294967295, flags: 2, name: 'max' }], 1);
  const b = listOf([{ fob: 0, flags: 3, name: 'zero' }, { fob: 4294967294, flags: 1, name: 'almost' }], 2);
  const d = diffLists(a, b);
  assert.equal(Array.from(d.add_fobs), [0, 4294967294]);
  assert.equal(Array.from(d.remove), [5, 4294967295]);
  assert.equal(deltaAddAt(d, 1), { fob: 4294967294, flags: 1, name: 'almost' });
  expectApplied(a, encodeDelta(d), b);
  const a3 = listOf(entriesOf(a), 3);
  expectApplied(b, encodeDelta(diffLists(b, a3)), a3);
});

test('a delta on the wrong base is refused (version, content, machine)', () => {
  const r = rng(3);
  const v1 = listOf(randomEntries(r, 50), 1);
  const v2 = listOf(mutate(r, entriesOf(v1)), 2);
  const v3 = listOf(mutate(r, entriesOf(v2)), 3);
  const d23 = encodeDelta(diffLists(v2, v3));
  const wrongVersion = applyDelta(v1, d23, sha256Hex);
  assert.is(wrongVersion.ok, false);
  if (!wrongVersion.ok) {
    assert.is(wrongVersion.error.code, 'DELTA_WRONG_BASE');
    assert.match(wrongVersion.error.message, 'version 2');
  }
  // Same version number, other content (e.g. a server whose data was reset).
  const other2 = listOf(randomEntries(r, 50), 2);
  const wrongContent = applyDelta(other2, d23, sha256Hex);
  assert.is(wrongContent.ok, false);
  if (!wrongContent.ok) assert.is(wrongContent.error.code, 'DELTA_WRONG_BASE');
  // Another machine's list.
  const saw = listOf(entriesOf(v2), 2, header({ name: 'bandsaw' }));
  const d = diffLists(saw, listOf(entriesOf(v3), 3, header({ name: 'bandsaw' })));
  const wrongMachine = applyDelta(v2, d, sha256Hex);
  assert.is(wrongMachine.ok, false);
  if (!wrongMachine.ok) assert.is(wrongMachine.error.code, 'LIST_WRONG_MACHINE');
  // Applying the right delta still works afterwards: nothing was mutated.
  expectApplied(v2, d23, v3);
});

test('tampering with any byte of a delta is rejected (decode, apply or signature)', () => {
  const r = rng(11);
  const v = listOf(randomEntries(r, 30), 4, header({ second_relay: { unauthorized_warn_only: true, always_enabled: false, display_name: 'dust' } }));
  const w = listOf(mutate(r, entriesOf(v)), 5, header({}));
  const text = encodeDelta(diffLists(v, w));
  const sig = signText(text, KEY, hmac);
  assert.ok(verifyText(text, sig, KEY, hmac).ok);
  for (let p = 0; p < text.length; p++) {
    const c = text.charCodeAt(p);
    const bad = text.substring(0, p) + String.fromCharCode(c === 65 ? 66 : 65) + text.substring(p + 1);
    const res = applyDelta(v, bad, sha256Hex);
    assert.is(res.ok, false, 'byte ' + p + ' accepted');
    if (!res.ok) {
      assert.ok(['DELTA_MALFORMED', 'DELTA_WRONG_BASE', 'LIST_DIGEST', 'LIST_WRONG_MACHINE'].indexOf(res.error.code) >= 0, res.error.code);
    }
    assert.is(verifyText(bad, sig, KEY, hmac).ok, false);
  }
});

test('malformed deltas never throw and say what is wrong', () => {
  const v = listOf([{ fob: 1, flags: 1, name: 'a' }, { fob: 2, flags: 1, name: 'b' }], 1);
  const w = listOf([{ fob: 2, flags: 3, name: 'b' }, { fob: 3, flags: 1, name: 'c' }], 2);
  const d = diffLists(v, w);
  const text = encodeDelta(d);
  const bads: unknown[] = [
    undefined, 7, '', 'fobgate-delta/1', 'fobgate-delta/1\n{', 'fobgate-delta/1\nnull\n\n\n\n',
    text.replace('"to":2', '"to":1'),
    text.replace('"add":2', '"add":3'),
    text.replace('fobgate-delta/1', 'fobgate-delta/9'),
    text + 'x',
  ];
  for (let k = 0; k < bads.length; k++) {
    const res = applyDelta(v, bads[k] as string, sha256Hex);
    assert.is(res.ok, false, 'case ' + k);
    if (!res.ok) {
      assert.is(res.error.code, 'DELTA_MALFORMED', 'case ' + k + ': ' + res.error.message);
      assert.ok(res.error.message.length > 20);
    }
  }
  // Object deltas are checked too.
  const both: Delta = Object.assign({}, d, { remove: new Uint32Array([3]) });
  const r1 = applyDelta(v, both, sha256Hex);
  assert.ok(!r1.ok && r1.error.code === 'DELTA_MALFORMED' && /both added and removed/.test(r1.error.message));
  const ghost: Delta = Object.assign({}, d, { remove: new Uint32Array([9]) });
  const r2 = applyDelta(v, ghost, sha256Hex);
  assert.ok(!r2.ok && r2.error.code === 'DELTA_MALFORMED' && /does not hold/.test(r2.error.message));
  const unsorted: Delta = Object.assign({}, d, { add_fobs: new Uint32Array([3, 2]) });
  const r3 = applyDelta(v, unsorted, sha256Hex);
  assert.ok(!r3.ok && r3.error.code === 'DELTA_MALFORMED');
  const r4 = applyDelta(v, null as unknown as Delta, sha256Hex);
  assert.ok(!r4.ok && r4.error.code === 'DELTA_MALFORMED');
  // A changed entry inside a well-formed delta: the result digest catches it.
  const flipped: Delta = Object.assign({}, d, { add_flags: new Uint8Array([1, 1]) });
  const r5 = applyDelta(v, flipped, sha256Hex);
  assert.ok(!r5.ok && r5.error.code === 'LIST_DIGEST');
});

test('size grows with the change, not the list: 1-member change on 5,000 members', () => {
  const r = rng(5000);
  const entries = randomEntries(r, 5000);
  const v = listOf(entries, 100);
  const changed = entriesOf(v);
  changed[1234] = { fob: changed[1234].fob, flags: changed[1234].flags ^ 1, name: changed[1234].name };
  const w = listOf(changed, 101);
  const one = encodeDelta(diffLists(v, w));
  const more = entriesOf(w);
  for (let k = 0; k < 100; k++) more.push({ fob: 10000 + k, flags: 1, name: 'New Member ' + k });
  const x = listOf(more, 102);
  const hundred = encodeDelta(diffLists(w, x));
  const full = encodeList(w);
  console.log('size: authlist delta on 5000 members: 1 changed ' + one.length + ' B, 100 added ' + hundred.length +
    ' B, full list ' + full.length + ' B');
  assert.ok(one.length < 300, '1-member delta is ' + one.length + ' B');
  assert.ok(hundred.length < 300 + 100 * 24, '100-member delta is ' + hundred.length + ' B');
  expectApplied(v, one, w);
  expectApplied(w, hundred, x);
  // Small lists have the same fixed overhead.
  const a = listOf(entries.slice(0, 10), 1);
  const b = listOf(entries.slice(0, 10).concat([{ fob: 1, flags: 1, name: 'x' }]), 2);
  assert.ok(Math.abs(encodeDelta(diffLists(a, b)).length - one.length) < 16);
});

test('applyDelta can stream the new names into a sink in small pieces (a unit writes them to flash)', () => {
  const r = rng(31);
  const v = listOf(randomEntries(r, 1500), 1);
  const w = listOf(mutate(r, entriesOf(v)), 2);
  const text = encodeDelta(diffLists(v, w));
  let total = -1;
  let stored = '';
  let biggest = 0;
  const sink: NamesSink = {
    begin: (n) => { total = n; return true; },
    write: (chunk) => { biggest = Math.max(biggest, chunk.length); stored += chunk; return true; },
    end: () => stored,
  };
  const res = applyDelta(v, text, sha256Hex, { names: sink });
  assert.ok(res.ok);
  if (res.ok) {
    assert.is(total, w.count * 16);
    assert.is(res.value.names, w.names);
    assert.is(res.value.digest, w.digest);
  }
  assert.ok(biggest <= 1024, 'pieces of at most 1 KB, got ' + biggest);
  // A sink that fails, or hands back something else, makes the update fail.
  const full: NamesSink = { begin: () => true, write: () => false, end: () => '' };
  const f1 = applyDelta(v, text, sha256Hex, { names: full });
  assert.ok(!f1.ok && f1.error.code === 'LIST_MALFORMED' && /could not be stored/.test(f1.error.message));
  const refuse: NamesSink = { begin: () => false, write: () => true, end: () => '' };
  assert.is(applyDelta(v, text, sha256Hex, { names: refuse }).ok, false);
  let acc = '';
  const garbled: NamesSink = { begin: () => true, write: (c) => { acc += c.toLowerCase(); return true; }, end: () => acc };
  const f2 = applyDelta(v, text, sha256Hex, { names: garbled });
  assert.ok(!f2.ok && f2.error.code === 'LIST_DIGEST');
});

test('unit flow on 5,000 members: names stay in "flash", every hash input small, signature checks', () => {
  const r = rng(4242);
  const v = listOf(randomEntries(r, 5000), 10);
  // A typical day: a few members join, leave or change.
  const changed = entriesOf(v).slice(5);
  for (let k = 0; k < 10; k++) changed[k * 400].flags ^= 1;
  for (let k = 0; k < 5; k++) changed.push({ fob: 7000000 + k, flags: 1, name: 'Joiner ' + k });
  const w = listOf(changed, 11);
  // Server side: full list once, then a delta, each signed with the unit's key.
  const fullText = encodeList(v);
  const fullSig = signText(fullText, KEY, hmac);
  const deltaText = encodeDelta(diffLists(v, w));
  const deltaSig = signText(deltaText, KEY, hmac);
  // Unit: the largest string any hash sees is recorded.
  let largest = 0;
  const sha = (m: string) => { largest = Math.max(largest, m.length); return sha256Hex(m); };
  const mac = (k: string, m: string) => { largest = Math.max(largest, m.length); return hmac(k, m); };
  assert.ok(verifyText(fullText, fullSig, KEY, mac).ok);
  const flashNames = fullText.substring(fullText.length - v.count * 16); // the names file
  const held = decodeList(fullText, sha, { names: flashNames });
  assert.ok(held.ok);
  if (!held.ok) return;
  assert.ok(verifyText(deltaText, deltaSig, KEY, mac).ok);
  let written = '';
  const sink: NamesSink = { begin: () => true, write: (c) => { written += c; return true; }, end: () => written };
  const next = applyDelta(held.value, deltaText, sha, { names: sink });
  assert.ok(next.ok);
  if (!next.ok) return;
  assert.is(next.value.digest, w.digest);
  const stored = encodeListHead(next.value) + written;
  assert.is(stored, encodeList(w));
  const storedSig = signText(stored, KEY, mac);
  assert.is(storedSig, signText(encodeList(w), KEY, hmac), 'the unit re-signs exactly what the server would');
  const reread = decodeList(stored, sha, { names: written });
  assert.ok(reread.ok && reread.value.digest === w.digest);
  console.log('size: authlist unit flow 5000 members: largest SHA-256/HMAC input ' + largest + ' B (delta text ' + deltaText.length + ' B)');
  assert.ok(largest <= 4096, 'largest hash input ' + largest);
});

test('buildList input is not mutated and lists built twice are identical', () => {
  const entries = randomEntries(rng(8), 100);
  const copy = JSON.stringify(entries);
  const a = buildList(header({}), entries, 3, 1, sha256Hex);
  const b = buildList(header({}), entries, 3, 1, sha256Hex);
  assert.is(JSON.stringify(entries), copy);
  assert.is(encodeList(a), encodeList(b));
});

test.run();
