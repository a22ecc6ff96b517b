// Tests of the simulated Storage: write/read with offsets and sizes, flash AND semantics, JSON,
// listing, StorageFile append/read, limits, trash/compact, and persistence across "power cycles".
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NAME_MAX, SimStorage, STORAGE_CAPACITY } from './storage-file.js';

const dir = mkdtempSync(join(tmpdir(), 'fobgate-sim-storage-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('write then read; a missing file reads undefined; a rewrite replaces the whole file', () => {
  const s = new SimStorage();
  assert.is(s.read('a'), undefined);
  s.write('a', 'hello world');
  assert.is(s.read('a'), 'hello world');
  assert.is(s.read('a', 6, 5), 'world');
  s.write('a', 'hi');
  assert.is(s.read('a'), 'hi');
});

test('a pre-sized file reads 0xFF where unwritten; offset writes fill it in', () => {
  const s = new SimStorage();
  s.write('list', 'AB', 0, 6);
  assert.is(s.read('list'), 'AB\xff\xff\xff\xff');
  s.write('list', 'CD', 2);
  s.write('list', 'EF', 4);
  assert.is(s.read('list'), 'ABCDEF');
  assert.equal(s.violations, []);
});

test('an offset write over any written byte throws as in Espruino 2v29 (even the same data, even 0xFF) and changes nothing', () => {
  const s = new SimStorage();
  s.write('f', 'A', 0, 4);
  s.write('f', 'B', 1);
  assert.throws(() => s.write('f', 'C', 1), /File already written with different data/);
  assert.throws(() => s.write('f', 'B', 1), /File already written with different data/);
  assert.throws(() => s.write('f', '\xff', 1), /File already written with different data/);
  assert.throws(() => s.write('f', 'xy', 1), /File already written with different data/);
  assert.is(s.read('f'), 'AB\xff\xff');
  assert.ok(s.write('f', '\xffQ', 2), 'erased bytes can be written, 0xFF keeps them erased');
  assert.is(s.read('f'), 'AB\xffQ');
});

test('offset writes need an existing file and must fit its size', () => {
  const s = new SimStorage();
  assert.throws(() => s.write('nofile', 'x', 3), /Unable to find or create file/);
  s.write('f', '', 0, 4);
  assert.throws(() => s.write('f', 'xyz', 2), /Too much data for file size/);
  assert.throws(() => s.write('g', 'toolong', 0, 3), /Too much data for file size/);
});

test('names longer than 28 characters and empty names throw', () => {
  const s = new SimStorage();
  assert.throws(() => s.write('x'.repeat(NAME_MAX + 1), 'a'), /too long/);
  assert.throws(() => s.write('', 'a'), /non-empty/);
  assert.ok(s.write('x'.repeat(NAME_MAX), 'a'));
});

test('readJSON/writeJSON; corrupt JSON throws unless noExceptions', () => {
  const s = new SimStorage();
  s.writeJSON('cfg', { a: 1, b: [2] });
  assert.equal(s.readJSON('cfg'), { a: 1, b: [2] });
  s.write('bad', '{"a":');
  assert.throws(() => s.readJSON('bad'), /not valid JSON/);
  assert.is(s.readJSON('bad', true), undefined);
  assert.is(s.readJSON('missing'), undefined);
});

test('readArrayBuffer gives the bytes; binary data round-trips', () => {
  const s = new SimStorage();
  s.write('bin', new Uint8Array([0, 1, 254, 255]));
  assert.equal(Array.from(new Uint8Array(s.readArrayBuffer('bin')!)), [0, 1, 254, 255]);
  assert.is(s.read('bin'), '\x00\x01\xfe\xff');
});

test('list with a regex and the StorageFile filter; erase removes', () => {
  const s = new SimStorage();
  s.write('fg.list.1', 'x');
  s.write('fg.list.2', 'y');
  s.write('other', 'z');
  const f = s.open('log', 'w');
  f.write('line\n');
  assert.equal(s.list(/^fg\.list/), ['fg.list.1', 'fg.list.2']);
  assert.equal(s.list(undefined, { sf: true }), ['log']);
  assert.equal(s.list(undefined, { sf: false }), ['fg.list.1', 'fg.list.2', 'other']);
  s.erase('fg.list.1');
  assert.equal(s.list(/^fg/), ['fg.list.2']);
});

test('StorageFile: write, append across chunks, read and readLine; no 0xFF characters', () => {
  const s = new SimStorage();
  const w = s.open('ev', 'w');
  w.write('one\n');
  w.write('two\n');
  const a = s.open('ev', 'a');
  const big = 'x'.repeat(5000) + '\n';
  a.write(big);
  const r = s.open('ev', 'r');
  assert.is(r.readLine(), 'one\n');
  assert.is(r.readLine(), 'two\n');
  assert.is(r.readLine(), big);
  assert.is(r.readLine(), undefined);
  assert.is(s.open('ev', 'r').getLength(), 8 + big.length);
  assert.throws(() => s.open('ev', 'a').write('bad\xff'), /255/);
  assert.throws(() => s.open('ev', 'r').write('x'), /reading/);
});

test('erased and replaced files are trash until compact(); capacity is enforced', () => {
  const s = new SimStorage();
  const free0 = s.getFree();
  assert.is(free0, STORAGE_CAPACITY);
  s.write('a', 'x'.repeat(1000));
  s.write('a', 'y'.repeat(1000));
  assert.ok(s.getStats().trashBytes > 0);
  s.compact();
  assert.is(s.getStats().trashBytes, 0);
  assert.is(s.compactions.length, 1);
  assert.throws(() => s.write('huge', 'z'.repeat(STORAGE_CAPACITY)), /not enough free space/);
});

test('the flash survives a new instance on the same host file (a power cycle)', () => {
  const path = join(dir, 'flash.json');
  const s1 = new SimStorage(path);
  s1.write('.bootcde', 'print(1)');
  s1.write('part', 'AB', 0, 4);
  const s2 = new SimStorage(path);
  assert.is(s2.read('.bootcde'), 'print(1)');
  assert.is(s2.read('part'), 'AB\xff\xff');
});

test('a power cut during a write leaves the part written so far', () => {
  const s = new SimStorage();
  let cut = false;
  s.cutPowerDuringWrite(/^new$/, 3, () => { cut = true; });
  s.write('new', 'abcdef');
  assert.ok(cut);
  assert.is(s.read('new'), 'abc\xff\xff\xff');
  assert.throws(() => s.write('other', 'x'), /no power/, 'nothing is written after the cut');
  assert.is(s.read('other'), undefined);
  s.powerLost = false;
  assert.ok(s.write('other', 'x'));
});

test('the flash file (it holds the unit key) is readable by its owner only, whatever the umask', () => {
  const old = process.umask(0o022);
  try {
    const path = join(dir, 'umask.flash.json');
    writeFileSync(path, JSON.stringify({ format: 'fobgate-sim-storage-1', files: [], trash: 0 }), { mode: 0o644 });
    const s = new SimStorage(path);
    s.write('fobgate.json', '{"key":"' + 'ab'.repeat(32) + '"}');
    s.persist();
    assert.is(statSync(path).mode & 0o777, 0o600);
  } finally {
    process.umask(old);
  }
});

test.run();
