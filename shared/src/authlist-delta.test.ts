/// <reference types="node" />
// Deltas: diff then merge gives exactly the newer list for random changes of every size and any
// chunking of the delta; wrong bases, machines and versions are refused; any altered byte is
// refused or yields a result whose digest differs; malformed deltas never throw; the merge
// writes bounded pieces in order and its size grows with the change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AuthList, type ListEntry, type ListHeader,
  LINE1_BYTES, COPY_RECORDS, RECORD_BYTES, MAX_LIST_COUNT,
  diffLists, applyDelta, DeltaMerge, openList, findFob, nameAt, fobKey,
} from './authlist.js';
import { sha256Hex, rng, header, randomEntries, randomName, randomFob, listOf } from '../test/authlist-helpers.js';

function expectOk<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error('expected ok, got ' + r.error.code + ': ' + r.error.message);
  return r.value;
}

function expectFail(r: { ok: boolean; error?: { code: string; message: string } }, code: string): string {
  assert.is(r.ok, false, 'expected failure ' + code);
  const e = (r as { error: { code: string; message: string } }).error;
  assert.is(e.code, code, e.message);
  assert.ok(e.message.length > 10, 'message says what is wrong');
  return e.message;
}

/** Random changes: removals, additions, renames and flag changes. */
function mutate(r: () => number, entries: ListEntry[]): ListEntry[] {
  const out: ListEntry[] = [];
  for (const e of entries) {
    const x = r();
    if (x < 0.1) continue;
    if (x < 0.15) out.push({ fob: e.fob, flags: (e.flags + 1) % 16, name: e.name });
    else if (x < 0.2) out.push({ fob: e.fob, flags: e.flags, name: randomName(r) });
    else out.push(e);
  }
  const adds = Math.floor(r() * 30);
  for (let i = 0; i < adds; i++) out.push({ fob: randomFob(r), flags: Math.floor(r() * 16), name: randomName(r) });
  return out;
}

/** Runs a merge over `delta` in chunks, collecting what it writes. */
function merge(base: AuthList, delta: string, chunk: number): { r: ReturnType<DeltaMerge['finish']>; body: string; pieces: number[]; begun: number } {
  const parts: string[] = [];
  const pieces: number[] = [];
  let begun = -1;
  const m = new DeltaMerge(base, {
    begin: (n) => {
      begun = n;
      return true;
    },
    write: (p) => {
      parts.push(p);
      pieces.push(p.length);
      return true;
    },
  });
  for (let p = 0; p < delta.length; p += chunk) if (!m.feed(delta.substring(p, p + chunk))) break;
  return { r: m.finish(), body: parts.join(''), pieces: pieces, begun: begun };
}

test('diff then merge gives exactly the newer list: random changes over many seeds, random chunking', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const a = listOf(randomEntries(r, Math.floor(r() * 400)), seed);
    const b = listOf(mutate(r, randomEntries(rng(seed), a.count)), seed + 1 + Math.floor(r() * 3));
    const d = diffLists(a, b);
    const whole = expectOk(applyDelta(a, d, sha256Hex));
    assert.is(whole.text, b.text, 'seed ' + seed);
    assert.is(whole.digest, b.digest);
    const chunk = 1 + Math.floor(r() * 600);
    const m = merge(a, d, chunk);
    expectOk(m.r);
    assert.is(m.body, b.text.substring(LINE1_BYTES), 'seed ' + seed + ', chunks of ' + chunk);
    assert.is(m.begun, b.text.length - LINE1_BYTES, 'begin announces the body size');
  }
});

test('edge deltas: from empty, to empty, no change, a header-only change, the extremes 0 and 2^32-1', () => {
  const some = randomEntries(rng(4), 50);
  const empty1 = listOf([], 1);
  const full2 = listOf(some, 2);
  const empty3 = listOf([], 3);
  const same4 = listOf(some, 4);
  const renamed5 = listOf(some, 5, header({ display_name: 'Renamed lathe', offline_grace_hours: 1 }));
  const pairs: [AuthList, AuthList][] = [[empty1, full2], [full2, empty3], [full2, same4], [same4, renamed5]];
  for (const [a, b] of pairs) assert.is(expectOk(applyDelta(a, diffLists(a, b), sha256Hex)).text, b.text);
  assert.ok(diffLists(full2, same4).indexOf('"ops":0}') > 0, 'no change: no ops, only the new header');
  const ext = [{ fob: 0, flags: 1, name: 'zero' }, { fob: 4294967295, flags: 2, name: 'max' }, { fob: 5, flags: 3, name: 'five' }];
  const x1 = listOf(ext, 1);
  const x2 = listOf([{ fob: 0, flags: 4, name: 'zero!' }, { fob: 5, flags: 3, name: 'five' }], 2);
  const x3 = listOf([{ fob: 4294967295, flags: 1, name: 'back' }, { fob: 5, flags: 3, name: 'five' }], 3);
  const y2 = expectOk(applyDelta(x1, diffLists(x1, x2), sha256Hex));
  assert.is(y2.text, x2.text);
  assert.is(findFob(y2, 4294967295), -1);
  const y3 = expectOk(applyDelta(y2, diffLists(x2, x3), sha256Hex));
  assert.is(nameAt(y3, findFob(y3, 4294967295)), 'back');
  assert.is(findFob(y3, 0), -1);
});

test('a delta is refused on the wrong base (version or content), for another machine, or leading backwards', () => {
  const a = listOf(randomEntries(rng(1), 30), 4);
  const b = listOf(randomEntries(rng(2), 30), 5);
  const d = diffLists(a, b);
  expectFail(applyDelta(listOf(randomEntries(rng(1), 30), 3), d, sha256Hex), 'DELTA_WRONG_BASE');
  const sameVersionOther = listOf(randomEntries(rng(3), 30), 4);
  assert.match(expectFail(applyDelta(sameVersionOther, d, sha256Hex), 'DELTA_WRONG_BASE'), 'other content');
  const saw = listOf(randomEntries(rng(1), 30), 4, header({ name: 'saw' }));
  const sawNext = listOf(randomEntries(rng(2), 30), 5, header({ name: 'saw' }));
  expectFail(applyDelta(a, diffLists(a, sawNext).replace(/"base_digest":"[0-9a-f]{64}"/, '"base_digest":"' + a.digest + '"'), sha256Hex), 'LIST_WRONG_MACHINE');
  assert.ok(saw.count > 0);
  const back = listOf(randomEntries(rng(2), 30), 4);
  const forged = diffLists(a, back);
  expectFail(applyDelta(a, forged, sha256Hex), 'LIST_ROLLBACK');
});

test('any altered byte of a delta is refused, or yields a list whose digest is not the announced one', () => {
  const a = listOf(randomEntries(rng(7), 60), 8);
  const b = listOf(mutate(rng(8), randomEntries(rng(7), 60)), 9);
  const d = diffLists(a, b);
  for (let i = 0; i < d.length; i++) {
    const c = d.charCodeAt(i);
    const changed = d.substring(0, i) + String.fromCharCode(c === 48 ? 49 : 48) + d.substring(i + 1);
    const r = applyDelta(a, changed, sha256Hex);
    if (r.ok) assert.is.not(r.value.digest, b.digest, 'byte ' + i + ' changed, same result');
  }
  // truncated at every length: refused (never a partial list)
  for (let n = 0; n < d.length; n++) {
    const r = merge(a, d.substring(0, n), 17);
    assert.is(r.r.ok, false, 'cut at ' + n);
  }
});

test('malformed deltas never throw and say what is wrong', () => {
  const a = listOf([{ fob: 10, flags: 1, name: 'a' }, { fob: 20, flags: 1, name: 'b' }], 4);
  const b = listOf([{ fob: 10, flags: 1, name: 'a' }, { fob: 30, flags: 1, name: 'c' }], 5);
  const d = diffLists(a, b);
  const l1 = d.indexOf('\n');
  const l2 = d.indexOf('\n', l1 + 1);
  const meta = d.substring(0, l1);
  const hl = d.substring(l1 + 1, l2);
  const ops = d.substring(l2 + 1);
  assert.is(ops, 'D' + fobKey(20) + 'S' + b.text.substring(b.recStart + RECORD_BYTES));
  const withOps = (o: string, n: number) => meta.replace('"ops":2', '"ops":' + n) + '\n' + hl + '\n' + o;
  const set = (fob: number, flags: number) => 'S' + fobKey(fob) + String.fromCharCode(flags) + 'x'.repeat(16);
  const cases: [string, string, RegExp][] = [
    ['', 'DELTA_MALFORMED', /ended early/],
    ['fobgate-delta/1 {}\n', 'DELTA_MALFORMED', /line 1/],
    ['fobgate-delta/2 not json\n', 'DELTA_MALFORMED', /JSON/],
    ['fobgate-delta/2 {"from":4}\n', 'DELTA_MALFORMED', /from, base_digest and ops/],
    [meta.replace('{"from"', '{ "from"') + '\n' + hl + '\n' + ops, 'DELTA_MALFORMED', /canonical/],
    [meta + '\n' + hl.replace('"count":2', '"count":7') + '\n' + ops, 'DELTA_MALFORMED', /entries/],
    [meta + '\n' + hl.replace('"count":2', '"count":1') + '\n' + ops, 'DELTA_MALFORMED', /more/],
    [meta + '\n{"x":1}\n' + ops, 'DELTA_MALFORMED', /machine header/],
    [withOps('X' + fobKey(20), 1), 'DELTA_MALFORMED', /unknown op/],
    [withOps(ops, 1), 'DELTA_MALFORMED', /more than the 1 ops/],
    [withOps(ops, 3), 'DELTA_MALFORMED', /2 ops, line 1 announces 3/],
    [withOps('D' + fobKey(15) + ops.substring(5), 2), 'DELTA_MALFORMED', /does not hold/],
    [withOps('D' + fobKey(20) + 'D' + fobKey(10), 2), 'DELTA_MALFORMED', /ascending/],
    [withOps('D' + fobKey(20) + 'D' + fobKey(20), 2), 'DELTA_MALFORMED', /ascending/],
    [withOps('D' + fobKey(20) + set(30, 16), 2), 'DELTA_MALFORMED', /flag/],
    [meta + '\n' + ' '.repeat(1100), 'DELTA_MALFORMED', /too long/],
    ['fobgate-delta/2 ' + ' '.repeat(300), 'DELTA_MALFORMED', /too long/],
  ];
  for (const [text, code, why] of cases) {
    const r = applyDelta(a, text, sha256Hex);
    assert.match(expectFail(r, code), why);
  }
  const m = new DeltaMerge(a, { begin: () => true, write: () => true });
  assert.is(m.feed(7 as unknown as string), false);
  assert.is(m.feed(d), false, 'nothing after a failure');
  expectFail(m.finish(), 'DELTA_MALFORMED');
});

test('a sink that refuses ends the merge with a clear error', () => {
  const a = listOf(randomEntries(rng(2), 300), 1);
  const b = listOf(mutate(rng(3), randomEntries(rng(2), 300)), 2);
  const d = diffLists(a, b);
  for (const failAt of [0, 1, 3]) {
    let n = 0;
    const m = new DeltaMerge(a, { begin: () => failAt !== 0, write: () => ++n < failAt });
    m.feed(d);
    const r = m.finish();
    assert.match(expectFail(r, 'LIST_MALFORMED'), /could not be stored/);
  }
});

test('the merge writes bounded pieces in order; the delta grows with the change, not the list', () => {
  const entries: ListEntry[] = [];
  for (let i = 0; i < 5000; i++) entries.push({ fob: 1000000 + i * 11, flags: 1, name: 'Member ' + i });
  const a = listOf(entries, 1);
  const b = listOf(entries.slice(0, 2500).concat([{ fob: 5, flags: 1, name: 'New' }], entries.slice(2501)), 2);
  const d = diffLists(a, b);
  assert.ok(d.length < 400, 'a one-member swap on 5,000 members is ' + d.length + ' bytes');
  const m = merge(a, d, 536);
  expectOk(m.r);
  assert.ok(Math.max(...m.pieces) <= Math.max(COPY_RECORDS * RECORD_BYTES, 1100), 'largest piece ' + Math.max(...m.pieces));
  assert.is(m.body, b.text.substring(LINE1_BYTES));
  // everything replaced: larger than the list itself (the server sends the list then)
  const other: ListEntry[] = entries.map((e, i) => ({ fob: 900000000 + i, flags: 2, name: 'Other ' + i }));
  const c = listOf(other, 3);
  const all = diffLists(a, c);
  assert.ok(all.length > c.text.length, 'replacing all: delta ' + all.length + ' > list ' + c.text.length);
  assert.is(expectOk(applyDelta(a, all, sha256Hex)).text, c.text);
});

test('0 -> 16,383 entries and back to 0: merged exactly, within MAX_LIST_COUNT', () => {
  const big: ListEntry[] = [];
  for (let i = 0; i < MAX_LIST_COUNT; i++) big.push({ fob: 7 + i * 3, flags: i % 16, name: 'M' + i });
  const empty = listOf([], 1);
  const full = listOf(big, 2);
  const up = merge(empty, diffLists(empty, full), 4096);
  const h = expectOk(up.r) as ListHeader;
  assert.is(h.count, MAX_LIST_COUNT);
  assert.is(up.body, full.text.substring(LINE1_BYTES));
  const down = expectOk(applyDelta(full, diffLists(full, listOf([], 3)), sha256Hex));
  assert.is(down.count, 0);
  expectOk(openList(down.text));
});

test.run();
