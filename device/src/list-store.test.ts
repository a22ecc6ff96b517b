// The list store: a list update (full list or delta, any size, any chunking) is received into the
// inactive slot in bounded pieces, checked from flash (signature over line 1, digest in ticks,
// machine, rollback) and only then switched to; power cuts at any write, tampering, truncation,
// wrong bases and rollbacks leave the held list in force; lookups read the records in flash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAG_MAIN, FLAG_OVERRIDE, findFob, nameAt, makeHmacSha256 } from '@fobgate/shared';
import type { AuthList, ListEntry, ListUpdate } from '@fobgate/shared';
import { ListStore, LIST_FILE_PREFIX, WRITE_PIECE } from './list-store.js';
import type { AcceptResult } from './list-store.js';
import { FakeStore, FakeTime, KEY, makeList, fetchUpdate, sha256Raw, STREAM_CHUNK } from '../test/fake-hal.js';

const hmac = makeHmacSha256(sha256Raw);

interface Rig {
  flash: FakeStore;
  time: FakeTime;
  ls: ListStore;
  writes: { name: string; offset: number; length: number }[];
}

function rig(flash?: FakeStore): Rig {
  const f = flash || new FakeStore();
  const time = new FakeTime();
  const writes: Rig['writes'] = [];
  const writeAt = (name: string, data: string, offset: number, size: number): boolean => {
    writes.push({ name: name, offset: offset, length: data.length });
    return f.writeAt(name, data, offset, size);
  };
  const ls = new ListStore(f, KEY, hmac, sha256Raw, 'lathe', writeAt, time);
  return { flash: f, time: time, ls: ls, writes: writes };
}

/** Power back on: the flash as it was left, a new store loading it. */
function reboot(r: Rig): Rig {
  const again = rig(r.flash.clone());
  again.ls.load();
  return again;
}

function members(n: number, from?: number, tag?: string): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ fob: (from || 1000) + i * 7, flags: i % 10 === 0 ? FLAG_MAIN + FLAG_OVERRIDE : FLAG_MAIN, name: (tag || 'Member ') + i });
  return out;
}

/**
 * Receives `text` as `u` in chunks of `chunk` bytes and runs the clock until the check ends.
 * Returns the outcome, or null when a chunk was refused (then `failure` says why).
 */
function receive(r: Rig, u: ListUpdate, text: string, chunk = STREAM_CHUNK): AcceptResult | null {
  const e = r.ls.begin(u);
  if (e) return { applied: false, version: r.ls.version(), error: e };
  for (let p = 0; p < text.length; p += chunk) {
    if (!r.ls.feed(text.substring(p, p + chunk), p)) return null;
  }
  let out: AcceptResult | null = null;
  r.ls.end((x) => {
    out = x;
  });
  for (let k = 0; k < 10000 && out === null; k++) r.time.advance(1);
  assert.ok(out, 'the check ended');
  return out;
}

function full(r: Rig, list: AuthList, chunk?: number): AcceptResult | null {
  const f = fetchUpdate(list);
  return receive(r, f.update, f.text, chunk);
}

function delta(r: Rig, base: AuthList, list: AuthList, chunk?: number): AcceptResult | null {
  const f = fetchUpdate(list, KEY, base);
  return receive(r, f.update, f.text, chunk);
}

function expectApplied(res: AcceptResult | null, version: number): void {
  assert.ok(res && res.applied, JSON.stringify(res));
  assert.is(res!.version, version);
}

function expectRefused(res: AcceptResult | null, r: Rig, code: string): void {
  const e = res ? res.error : r.ls.failure();
  r.ls.abandon();
  assert.ok(e, 'refused with a reason');
  assert.is(e!.code, code, e!.message);
}

test('a full list is received, checked, switched to, and is in force again after a reboot', () => {
  const r = rig();
  assert.is(r.ls.load(), null);
  assert.is(r.ls.current(), null);
  expectApplied(full(r, makeList(members(20), 4)), 4);
  assert.is(r.ls.version(), 4);
  const again = reboot(r);
  assert.is(again.ls.version(), 4);
  const list = again.ls.current()!;
  assert.is(nameAt(list, findFob(list, 1000 + 7 * 3)), 'Member 3');
  assert.is(findFob(list, 1001), -1);
});

test('every chunking of a full list and of a delta gives the same list (1 byte, odd sizes, all at once)', () => {
  const base = makeList(members(50), 4);
  const next = makeList(members(60, 1000 + 7 * 5, 'New '), 5);
  for (const chunk of [1, 3, 21, 22, 80, 536, 100000]) {
    const a = rig();
    expectApplied(full(a, base, chunk), 4);
    expectApplied(delta(a, base, next, chunk), 5);
    assert.is(a.ls.current()!.text, next.text, 'chunk ' + chunk);
  }
});

test('the same version again is a no-op; an older one is refused as a rollback, whole or as a delta', () => {
  const r = rig();
  r.ls.load();
  const v4 = makeList(members(5), 4);
  expectApplied(full(r, v4), 4);
  const same = full(r, makeList(members(5), 4));
  assert.is(same!.applied, false);
  assert.is(same!.error, null);
  expectRefused(full(r, makeList(members(3), 3)), r, 'LIST_ROLLBACK');
  // a genuine older version announced as a newer one: the list itself says 3
  const older = makeList(members(3), 3);
  const f = fetchUpdate(older);
  expectRefused(receive(r, Object.assign({}, f.update, { version: 9 }), f.text), r, 'LIST_MALFORMED');
  assert.is(r.ls.version(), 4);
  assert.is(reboot(r).ls.version(), 4);
});

test('tampered, truncated, re-keyed, re-announced and other-machine lists are refused; the held list stays', () => {
  const r = rig();
  r.ls.load();
  expectApplied(full(r, makeList(members(5), 4)), 4);
  const list = makeList(members(300), 9);
  const f = fetchUpdate(list);
  // a name byte altered in transit
  const i = f.text.length - 100;
  const tampered = f.text.substring(0, i) + (f.text.charAt(i) === 'x' ? 'y' : 'x') + f.text.substring(i + 1);
  expectRefused(receive(r, f.update, tampered), r, 'LIST_DIGEST');
  // a flag byte out of range
  const rec = list.recStart + 21 * 7 + 4;
  expectRefused(receive(r, f.update, f.text.substring(0, rec) + '\x40' + f.text.substring(rec + 1)), r, 'LIST_MALFORMED');
  // truncated: the transfer ends early
  const short = receive(r, Object.assign({}, f.update, { bytes: f.text.length - 10 }), f.text.substring(0, f.text.length - 10));
  expectRefused(short, r, 'LIST_MALFORMED');
  // more bytes than announced
  expectRefused(receive(r, Object.assign({}, f.update, { bytes: 200 }), f.text.substring(0, 400)), r, 'LIST_MALFORMED');
  // signed with another key
  expectRefused(receive(r, fetchUpdate(list, 'b2'.repeat(32)).update, f.text), r, 'LIST_SIGNATURE');
  // a genuine list, but not the one announced
  const other = fetchUpdate(makeList(members(301), 9));
  expectRefused(receive(r, Object.assign({}, other.update, { digest: f.update.digest, sig: f.update.sig }), other.text), r, 'LIST_DIGEST');
  // a list for another machine
  const saw = makeList(members(10), 10, { name: 'saw', display_name: 'Saw', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 });
  expectRefused(full(r, saw), r, 'LIST_WRONG_MACHINE');
  assert.is(r.ls.version(), 4);
  assert.is(r.ls.current()!.count, 5);
  assert.is(reboot(r).ls.version(), 4);
  // and the genuine one still applies
  expectApplied(full(r, list), 9);
});

test('deltas of every size apply; a wrong base, a tampered op and a delta of an unheld list are refused', () => {
  const r = rig();
  r.ls.load();
  let held = makeList(members(200), 2);
  expectApplied(full(r, held), 2);
  // one added, one removed, one renamed, one reflagged, everything replaced, back to empty, and up again
  const steps: ListEntry[][] = [];
  const m = members(200);
  steps.push(m.concat([{ fob: 5, flags: 1, name: 'First' }]));
  steps.push(m.slice(1));
  steps.push(m.map((e, i) => (i === 50 ? { fob: e.fob, flags: e.flags, name: 'Renamed' } : e)));
  steps.push(m.map((e, i) => (i === 60 ? { fob: e.fob, flags: 0, name: e.name } : e)));
  steps.push(members(180, 900000, 'Other '));
  steps.push([]);
  steps.push(members(3000, 77));
  let v = 2;
  for (const s of steps) {
    v++;
    const next = makeList(s, v);
    expectApplied(delta(r, held, next), v);
    assert.is(r.ls.current()!.text, next.text, 'v' + v);
    held = next;
  }
  // a delta from a version the unit does not hold
  const stale = makeList(members(10), v - 3);
  expectRefused(delta(r, stale, makeList(members(11), v + 1)), r, 'DELTA_WRONG_BASE');
  // a delta whose base has the held version but other content
  const fake = makeList(members(3001, 77), v);
  expectRefused(delta(r, fake, makeList(members(3002, 77), v + 1)), r, 'DELTA_WRONG_BASE');
  // an op altered on the way: the result does not have the signed digest
  const next = makeList(members(3000, 77).concat([{ fob: 1, flags: 1, name: 'Zed' }]), v + 1);
  const f = fetchUpdate(next, KEY, held);
  const k = f.text.length - 3;
  const bad = f.text.substring(0, k) + (f.text.charAt(k) === 'q' ? 'r' : 'q') + f.text.substring(k + 1);
  expectRefused(receive(r, f.update, bad), r, 'LIST_DIGEST');
  // an op byte that is no op
  const hdr = f.text.indexOf('\n', f.text.indexOf('\n') + 1) + 1;
  expectRefused(receive(r, f.update, f.text.substring(0, hdr) + 'X' + f.text.substring(hdr + 1)), r, 'DELTA_MALFORMED');
  assert.is(r.ls.version(), v);
  expectApplied(receive(r, f.update, f.text), v + 1);
});

test('a delta is merged from flash in bounded writes: no piece larger than the copy unit, nothing built whole in RAM', () => {
  const r = rig();
  r.ls.load();
  const base = makeList(members(5000), 4);
  expectApplied(full(r, base), 4);
  r.writes.length = 0;
  const next = makeList(members(5000).concat([{ fob: 3, flags: 1, name: 'New' }]).slice(1), 5);
  expectApplied(delta(r, base, next), 5);
  const file = LIST_FILE_PREFIX + r.ls.activeSlot();
  assert.is(r.flash.files[file], next.text, 'the slot holds exactly the new list');
  const largest = Math.max(...r.writes.map((w) => w.length));
  assert.ok(largest <= 96 * 21, 'largest flash write ' + largest + ' bytes (one copied run)');
  let at = 0;
  for (const w of r.writes.filter((x) => x.name === file)) {
    assert.is(w.offset, at, 'written in order');
    at += w.length;
  }
  assert.is(at, next.text.length);
  assert.ok(WRITE_PIECE <= 2048);
});

test('the check of a large list runs over several ticks; the held list decides meanwhile and a stop ends it', () => {
  const r = rig();
  r.ls.load();
  expectApplied(full(r, makeList(members(5), 4)), 4);
  const big = makeList(members(8000), 5);
  const f = fetchUpdate(big);
  assert.is(r.ls.begin(f.update), null);
  for (let p = 0; p < f.text.length; p += STREAM_CHUNK) assert.ok(r.ls.feed(f.text.substring(p, p + STREAM_CHUNK), p));
  let out: AcceptResult | null = null;
  r.ls.end((x) => {
    out = x;
  });
  assert.is(out, null, 'not done in the same tick');
  assert.ok(r.ls.busy());
  assert.is(r.ls.version(), 4, 'the held list is in force while the new one is checked');
  assert.ok(r.ls.begin(fetchUpdate(makeList(members(6), 6)).update), 'a second transfer waits');
  assert.ok(r.time.count() > 0, 'the rest waits for the next tick');
  r.time.advance(1);
  expectApplied(out, 5);
  // a stop in the middle of a check: nothing switched, no timer left
  const r2 = rig();
  r2.ls.load();
  const f2 = fetchUpdate(makeList(members(8000), 7));
  r2.ls.begin(f2.update);
  for (let p = 0; p < f2.text.length; p += 4096) r2.ls.feed(f2.text.substring(p, p + 4096), p);
  r2.ls.end(() => {
    throw new Error('no outcome after stop');
  });
  r2.ls.stop();
  assert.is(r2.time.count(), 0);
  r2.time.advance(1000);
  assert.is(r2.ls.version(), 0);
});

test('a power cut at any write of a full list or a delta leaves the previous list, or the new one complete', () => {
  const base = makeList(members(120), 8);
  const next = makeList(members(130, 500), 9);
  for (const kind of ['full', 'delta']) {
    for (let cut = 0; cut < 40; cut++) {
      const r = rig();
      r.ls.load();
      expectApplied(full(r, base), 8);
      r.flash.failAfter = cut;
      if (kind === 'full') full(r, next);
      else delta(r, base, next);
      r.ls.abandon();
      const after = reboot(r);
      const v = after.ls.version();
      assert.ok(v === 8 || v === 9, kind + ', cut at write ' + cut + ': version ' + v);
      assert.is(after.ls.current()!.text, v === 8 ? base.text : next.text);
    }
  }
});

test('a damaged slot in force falls back to the other checked slot; a damaged only slot means no list', () => {
  const r = rig();
  r.ls.load();
  expectApplied(full(r, makeList(members(30), 4)), 4);
  expectApplied(full(r, makeList(members(31), 5)), 5);
  const active = LIST_FILE_PREFIX + r.ls.activeSlot();
  const t = r.flash.files[active];
  const at = t.length - 50;
  r.flash.files[active] = t.substring(0, at) + (t.charAt(at) === 'A' ? 'B' : 'A') + t.substring(at + 1);
  const after = rig(r.flash.clone());
  const err = after.ls.load();
  assert.is(err && err.code, 'LIST_DIGEST');
  assert.is(after.ls.version(), 4, 'the previous list from the other slot');
  const only = rig();
  only.ls.load();
  expectApplied(full(only, makeList(members(3), 2)), 2);
  const f = LIST_FILE_PREFIX + only.ls.activeSlot();
  only.flash.files[f + 's'] = 'ab'.repeat(32);
  const again = rig(only.flash.clone());
  assert.is(again.ls.load()!.code, 'LIST_SIGNATURE');
  assert.is(again.ls.current(), null);
});

test('the list in force costs no RAM per member: lookups read the slot file in place', () => {
  const r = rig();
  r.ls.load();
  expectApplied(full(r, makeList(members(5000), 4)), 4);
  const list = r.ls.current()!;
  assert.is(list.text, r.flash.files[LIST_FILE_PREFIX + r.ls.activeSlot()], 'the list is the flash file itself');
  assert.equal(Object.keys(list).sort(), ['count', 'digest', 'issued_at', 'machine', 'recStart', 'text', 'version']);
  assert.is(nameAt(list, findFob(list, 1000 + 7 * 4321)), 'Member 4321');
  assert.is(findFob(list, 1000 + 7 * 4321 + 1), -1);
});

test('names files of the previous list format are erased at boot', () => {
  const flash = new FakeStore();
  flash.files.fglan = 'x'.repeat(64);
  flash.files.fglbn = 'y'.repeat(64);
  const r = rig(flash);
  assert.is(r.ls.load(), null);
  assert.not.ok('fglan' in flash.files);
  assert.not.ok('fglbn' in flash.files);
});

test.run();
