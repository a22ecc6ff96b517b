// The list store: verified before use, switched atomically, power cuts leave the previous list,
// deltas, rollback and bad signatures refused, names kept in flash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAG_MAIN, FLAG_OVERRIDE, diffLists, encodeDelta, encodeList, signText, findFob, nameAt, listMemoryBytes, makeHmacSha256 } from '@fobgate/shared';
import type { ListEntry } from '@fobgate/shared';
import { ListStore, LIST_FILE_PREFIX } from './list-store.js';
import { FakeStore, KEY, makeList, fullUpdate, hmacNode, sha256Raw, MACHINE } from '../test/fake-hal.js';

const hmac = makeHmacSha256(sha256Raw);

function store(s?: FakeStore): ListStore {
  return new ListStore(s || new FakeStore(), KEY, hmac, sha256Raw, 'lathe');
}

/** A store that streams deltas into flash (Storage.write at offsets). */
function streaming(s: FakeStore): ListStore {
  return new ListStore(s, KEY, hmac, sha256Raw, 'lathe', s.writeAt);
}

function deltaUpdate(a: ReturnType<typeof makeList>, b: ReturnType<typeof makeList>) {
  const text = encodeDelta(diffLists(a, b));
  return { kind: 'delta' as const, from: a.version, version: b.version, text: text, sig: signText(text, KEY, hmacNode) };
}

function members(n: number): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ fob: 1000 + i * 7, flags: i % 10 === 0 ? FLAG_MAIN | FLAG_OVERRIDE : FLAG_MAIN, name: 'Member ' + i });
  return out;
}

test('a full list is verified, written, switched to and survives a reboot', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  assert.is(ls.load(), null);
  assert.is(ls.current(), null);
  const r = ls.accept(fullUpdate(makeList(members(20), 4)));
  assert.ok(r.applied);
  assert.is(ls.version(), 4);
  const again = store(flash.clone());
  assert.is(again.load(), null);
  assert.is(again.version(), 4);
  const list = again.current();
  assert.ok(list);
  assert.is(nameAt(list!, findFob(list!, 1000 + 7 * 3)), 'Member 3');
});

test('the same version again is a no-op, an older one is refused as a rollback', () => {
  const ls = store();
  ls.load();
  ls.accept(fullUpdate(makeList(members(5), 4)));
  const same = ls.accept(fullUpdate(makeList(members(5), 4)));
  assert.is(same.applied, false);
  assert.is(same.error, null);
  const old = ls.accept(fullUpdate(makeList(members(3), 3)));
  assert.is(old.applied, false);
  assert.is(old.error && old.error.code, 'LIST_ROLLBACK');
  assert.is(ls.version(), 4);
});

test('a list signed with another key, or altered after signing, is refused', () => {
  const ls = store();
  ls.load();
  const bad = ls.accept(fullUpdate(makeList(members(5), 4), 'b2'.repeat(32)));
  assert.is(bad.error && bad.error.code, 'LIST_SIGNATURE');
  const u = fullUpdate(makeList(members(5), 4));
  u.text = u.text.replace('Member 1', 'Member X');
  const tampered = ls.accept(u);
  assert.is(tampered.error && tampered.error.code, 'LIST_DIGEST', 'the signed digest line no longer matches');
  const u2 = fullUpdate(makeList(members(5), 4));
  u2.text = u2.text.replace('fobgate-list/1 ', 'fobgate-list/1 0').replace(/^(fobgate-list\/1 [0-9a-f]{64})[0-9a-f]/, '$1');
  assert.is(ls.accept(u2).error!.code, 'LIST_SIGNATURE');
  // right signature over a text whose digest is wrong
  const forged = fullUpdate(makeList(members(5), 4));
  forged.text = forged.text.replace('Member 1', 'Member X');
  forged.sig = signText(forged.text, KEY, hmacNode);
  const r = ls.accept(forged);
  assert.is(r.error && r.error.code, 'LIST_DIGEST');
  assert.is(ls.current(), null);
});

test('a list for another machine is refused', () => {
  const ls = store();
  ls.load();
  const other = Object.assign({}, MACHINE, { name: 'laser' });
  const r = ls.accept(fullUpdate(makeList(members(2), 4, other)));
  assert.is(r.error && r.error.code, 'LIST_WRONG_MACHINE');
});

test('a delta is applied to the held list and the result is kept and verified at boot', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  ls.load();
  const a = makeList(members(10), 4);
  ls.accept(fullUpdate(a));
  const entries = members(10).slice(1);
  entries.push({ fob: 99999, flags: FLAG_MAIN, name: 'Newbie' });
  const b = makeList(entries, 5);
  const text = encodeDelta(diffLists(a, b));
  const r = ls.accept({ kind: 'delta', from: 4, version: 5, text: text, sig: signText(text, KEY, hmacNode) });
  assert.ok(r.applied, JSON.stringify(r.error));
  assert.is(ls.digest(), b.digest);
  const again = store(flash.clone());
  again.load();
  assert.is(again.version(), 5);
  assert.is(findFob(again.current()!, 1000), -1);
  assert.is(nameAt(again.current()!, findFob(again.current()!, 99999)), 'Newbie');
  // a delta for a base the unit does not hold
  const c = makeList(members(3), 7);
  const wrong = encodeDelta(diffLists(c, makeList(members(4), 8)));
  const w = again.accept({ kind: 'delta', from: 7, version: 8, text: wrong, sig: signText(wrong, KEY, hmacNode) });
  assert.is(w.error && w.error.code, 'DELTA_WRONG_BASE');
});

test('a power cut at any write of a new list leaves the previous list in force', () => {
  const base = new FakeStore();
  const ls = store(base);
  ls.load();
  ls.accept(fullUpdate(makeList(members(10), 4)));
  const next = fullUpdate(makeList(members(12), 5));
  for (let cut = 0; cut < 6; cut++) {
    const flash = base.clone();
    const unit = store(flash);
    unit.load();
    flash.failAfter = cut;
    unit.accept(next);
    // power back on
    const rebooted = store(flash.clone());
    rebooted.load();
    const v = rebooted.version();
    assert.ok(v === 4 || v === 5, 'cut after ' + cut + ' writes: version ' + v);
    if (v === 4) assert.is(rebooted.current()!.count, 10);
    else assert.is(rebooted.current()!.count, 12);
  }
  // with no cut at all the new list is in force
  const flash = base.clone();
  const unit = store(flash);
  unit.load();
  assert.ok(unit.accept(next).applied);
  const rebooted = store(flash.clone());
  rebooted.load();
  assert.is(rebooted.version(), 5);
});

test('a damaged active slot falls back to the other verified slot', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  ls.load();
  ls.accept(fullUpdate(makeList(members(4), 4)));
  ls.accept(fullUpdate(makeList(members(5), 5)));
  const active = ls.activeSlot();
  flash.files[LIST_FILE_PREFIX + active] = flash.files[LIST_FILE_PREFIX + active].replace('"version":5', '"version":6');
  const again = store(flash.clone());
  const err = again.load();
  assert.ok(err, 'the damage is reported');
  assert.is(again.version(), 4);
});

test('a damaged names file is rebuilt from the verified list text', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  ls.load();
  ls.accept(fullUpdate(makeList(members(4), 4)));
  const file = LIST_FILE_PREFIX + ls.activeSlot() + 'n';
  flash.files[file] = flash.files[file].replace('Member 1', 'Mallory!');
  const again = store(flash);
  assert.is(again.load(), null);
  const list = again.current()!;
  assert.is(nameAt(list, findFob(list, 1007)), 'Member 1');
  assert.ok(flash.files[file].indexOf('Mallory') < 0);
});

test('RAM per member stays within 6 bytes: names are read from the names file in flash', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  ls.load();
  const n = 5000;
  ls.accept(fullUpdate(makeList(members(n), 4)));
  const again = store(flash.clone());
  const f2 = (again as unknown as { store: FakeStore }).store;
  again.load();
  const list = again.current()!;
  assert.is(list.count, n);
  assert.ok(listMemoryBytes(list) / n <= 6, (listMemoryBytes(list) / n) + ' bytes per member');
  f2.reads = [];
  const l2 = again.current()!;
  assert.ok(f2.reads.indexOf(LIST_FILE_PREFIX + again.activeSlot() + 'n') >= 0, 'names come from the names file');
  assert.is(l2.names, f2.files[LIST_FILE_PREFIX + again.activeSlot() + 'n']);
  assert.is(nameAt(l2, findFob(l2, 1000 + 7 * 4321)), 'Member 4321');
});

test('a delta streamed into flash: the slot holds exactly the new list and names are read in place', () => {
  const flash = new FakeStore();
  const ls = streaming(flash);
  ls.load();
  const a = makeList(members(3000), 4);
  ls.accept(fullUpdate(a));
  const entries = members(3000).slice(5);
  entries.push({ fob: 99999, flags: FLAG_MAIN, name: 'Newbie' });
  const b = makeList(entries, 5);
  const r = ls.accept(deltaUpdate(a, b));
  assert.ok(r.applied, JSON.stringify(r.error));
  const slot = ls.activeSlot();
  assert.is(flash.files[LIST_FILE_PREFIX + slot], encodeList(b));
  assert.is(flash.files[LIST_FILE_PREFIX + slot + 'n'], b.names);
  assert.is(ls.current()!.names, flash.files[LIST_FILE_PREFIX + slot + 'n']);
  const again = streaming(flash.clone());
  assert.is(again.load(), null);
  assert.is(again.digest(), b.digest);
  assert.is(nameAt(again.current()!, findFob(again.current()!, 99999)), 'Newbie');
  // and the next delta streams into the other slot
  const c = makeList(entries.slice(1), 6);
  assert.ok(again.accept(deltaUpdate(b, c)).applied);
  assert.is.not(again.activeSlot(), slot);
});

test('streamed deltas: rollback, tampering and wrong base are refused and the held list stays', () => {
  const flash = new FakeStore();
  const ls = streaming(flash);
  ls.load();
  const a = makeList(members(10), 4);
  const b = makeList(members(12), 5);
  ls.accept(fullUpdate(b));
  const older = ls.accept(deltaUpdate(makeList(members(11), 5), makeList(members(12), 3)));
  assert.ok(older.error);
  const bad = deltaUpdate(b, makeList(members(14), 6));
  bad.sig = 'ab'.repeat(32);
  assert.is(ls.accept(bad).error!.code, 'LIST_SIGNATURE');
  assert.is(ls.accept(deltaUpdate(a, makeList(members(13), 7))).error!.code, 'DELTA_WRONG_BASE');
  assert.is(ls.version(), 5);
  const again = streaming(flash.clone());
  again.load();
  assert.is(again.version(), 5);
});

test('a power cut at any write of a streamed delta leaves the previous list in force', () => {
  const basis = new FakeStore();
  const ls = streaming(basis);
  ls.load();
  const a = makeList(members(200), 4);
  ls.accept(fullUpdate(a));
  const b = makeList(members(260), 5);
  const u = deltaUpdate(a, b);
  let sawNew = false;
  for (let cut = 0; cut < 60 && !sawNew; cut++) {
    const flash = basis.clone();
    const unit = streaming(flash);
    unit.load();
    flash.failAfter = cut;
    unit.accept(u);
    const rebooted = streaming(flash.clone());
    rebooted.load();
    const v = rebooted.version();
    assert.ok(v === 4 || v === 5, 'cut after ' + cut + ' writes: version ' + v);
    assert.is(rebooted.current()!.count, v === 4 ? 200 : 260);
    if (v === 5) sawNew = true;
  }
  assert.ok(sawNew, 'with enough writes the new list is in force');
});

test('a full list streamed into flash: verified against the names file, refusals as in RAM', () => {
  const flash = new FakeStore();
  const ls = streaming(flash);
  ls.load();
  const a = makeList(members(500), 4);
  assert.ok(ls.accept(fullUpdate(a)).applied);
  assert.is(ls.current()!.names, flash.files[LIST_FILE_PREFIX + ls.activeSlot() + 'n']);
  assert.is(ls.accept(fullUpdate(a)).error, null, 'the same list again is a no-op');
  assert.is(ls.accept(fullUpdate(makeList(members(5), 3))).error!.code, 'LIST_ROLLBACK');
  assert.is(ls.accept(fullUpdate(makeList(members(5), 9), 'b2'.repeat(32))).error!.code, 'LIST_SIGNATURE');
  const u = fullUpdate(makeList(members(5), 9));
  u.text = u.text.replace('Member 1', 'Member X');
  assert.is(ls.accept(u).error!.code, 'LIST_DIGEST');
  const other = Object.assign({}, MACHINE, { name: 'laser' });
  assert.is(ls.accept(fullUpdate(makeList(members(2), 10, other))).error!.code, 'LIST_WRONG_MACHINE');
  assert.is(ls.accept(fullUpdate(makeList([], 11))).applied, true, 'an empty list is a list');
  assert.is(ls.current()!.count, 0);
  const again = streaming(flash.clone());
  assert.is(again.load(), null);
  assert.is(again.version(), 11);
});

test('a power cut at any write of a streamed full list leaves the previous list in force', () => {
  const basis = new FakeStore();
  const ls = streaming(basis);
  ls.load();
  ls.accept(fullUpdate(makeList(members(100), 4)));
  const next = fullUpdate(makeList(members(300), 5));
  let sawNew = false;
  for (let cut = 0; cut < 60 && !sawNew; cut++) {
    const flash = basis.clone();
    const unit = streaming(flash);
    unit.load();
    flash.failAfter = cut;
    unit.accept(next);
    const rebooted = streaming(flash.clone());
    rebooted.load();
    const v = rebooted.version();
    assert.ok(v === 4 || v === 5, 'cut after ' + cut + ' writes: version ' + v);
    assert.is(rebooted.current()!.count, v === 4 ? 100 : 300);
    if (v === 5) sawNew = true;
  }
  assert.ok(sawNew);
});

test.run();
