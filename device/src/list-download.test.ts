// Full-list downloads on the fake board: a `fetch` announced by the sync answer becomes the next
// request (signed, counted), its chunks are written straight into the inactive slot at their
// offsets, verified from flash, then switched to; power cuts, tampering, wrong lengths, late
// chunks and error answers leave the held list in force and are reported once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAG_MAIN, FLAG_OVERRIDE, LIST_PATH, SIGNATURE_HEADER, findFob, makeHmacSha256, nameAt, listMemoryBytes } from '@fobgate/shared';
import type { ListEntry } from '@fobgate/shared';
import { ListStore, LIST_FILE_PREFIX } from './list-store.js';
import { startFirmware } from './firmware.js';
import type { Firmware } from './firmware.js';
import { DEFAULT_PINS, CONFIG_FILE } from './board-config.js';
import { SYNC_DEADLINE_MS, DOWNLOAD_MS_PER_KB } from './sync-client.js';
import type { Unit } from './unit.js';
import {
  FakeStore, KEY, answer, config, fetchUpdate, fullUpdate, hmacNode, makeList, makeRig, playFrame, sha256Raw, streamAnswer, STREAM_CHUNK,
} from '../test/fake-hal.js';
import type { FakeRig, PendingRequest } from '../test/fake-hal.js';

const hmac = makeHmacSha256(sha256Raw);
const P = DEFAULT_PINS;

function members(n: number, from?: number): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ fob: (from || 1000) + i * 7, flags: i % 10 === 0 ? FLAG_MAIN | FLAG_OVERRIDE : FLAG_MAIN, name: 'Member ' + i });
  return out;
}

interface Write {
  name: string;
  offset: number;
  length: number;
}

/** A flash whose offset writes are recorded. */
function recording(s: FakeStore): { store: FakeStore; writes: Write[] } {
  const writes: Write[] = [];
  const inner = s.writeAt;
  s.writeAt = (name, data, offset, size) => {
    writes.push({ name: name, offset: offset, length: data.length });
    return inner(name, data, offset, size);
  };
  return { store: s, writes: writes };
}

function store(s: FakeStore): ListStore {
  return new ListStore(s, KEY, hmac, sha256Raw, 'lathe', s.writeAt);
}

/** Feeds a text to the store in network-sized chunks; false when a chunk was refused. */
function feed(ls: ListStore, f: ReturnType<typeof fetchUpdate>['fetch'], text: string): boolean {
  for (let p = 0; p < text.length; p += STREAM_CHUNK) if (!ls.downloadChunk(f, text.substring(p, p + STREAM_CHUNK), p)) return false;
  return true;
}

// ---------------------------------------------------------------- the list store

test('a downloaded list is written chunk by chunk at its offsets into the inactive slot, verified from flash and switched to', () => {
  const rec = recording(new FakeStore());
  const ls = store(rec.store);
  ls.load();
  assert.ok(ls.accept(fullUpdate(makeList(members(3), 4))).applied);
  const active = ls.activeSlot();
  const list = makeList(members(600), 7);
  const u = fetchUpdate(list);
  assert.ok(u.text.length > 8192);
  rec.writes.length = 0;
  assert.ok(feed(ls, u.fetch, u.text));
  const file = LIST_FILE_PREFIX + (active === 'a' ? 'b' : 'a');
  const textWrites = rec.writes.filter((w) => w.name === file);
  assert.is(textWrites.length, Math.ceil(u.text.length / STREAM_CHUNK));
  let at = 0;
  for (const w of textWrites) {
    assert.is(w.offset, at, 'pieces in order at their offsets');
    assert.ok(w.length <= STREAM_CHUNK);
    at += w.length;
  }
  assert.is(rec.store.files[file], u.text, 'the slot holds exactly the downloaded text');
  assert.is(ls.version(), 4, 'nothing switched before the download is verified');
  const r = ls.finishDownload(u.fetch, u.sig);
  assert.ok(r.applied, JSON.stringify(r));
  assert.is(ls.version(), 7);
  assert.is(ls.activeSlot(), file.substring(3));
  assert.ok(rec.writes.every((w) => w.length <= 1024), 'no write larger than 1 KB (names copied in pieces)');
  // names are read in place from the names file; RAM holds 5 bytes per member
  const held = ls.current()!;
  assert.is(held.names, rec.store.files[file + 'n']);
  assert.is(nameAt(held, findFob(held, 1000 + 7 * 321)), 'Member 321');
  assert.is(listMemoryBytes(held) / held.count, 5);
  // and after a reboot
  const again = store(rec.store.clone());
  assert.is(again.load(), null);
  assert.is(again.version(), 7);
});

test('a power cut at any write of a download leaves the previous list in force', () => {
  const list = makeList(members(120), 8);
  const u = fetchUpdate(list);
  const writesNeeded = Math.ceil(u.text.length / STREAM_CHUNK) + 8;
  for (let cut = 0; cut < writesNeeded; cut++) {
    const flash = new FakeStore();
    const ls = store(flash);
    ls.load();
    ls.accept(fullUpdate(makeList(members(5), 4)));
    flash.failAfter = cut;
    if (feed(ls, u.fetch, u.text)) ls.finishDownload(u.fetch, u.sig);
    // power back on: the flash as it was left
    const after = store(flash.clone());
    after.load();
    const v = after.version();
    assert.ok(v === 4 || v === 8, 'cut at write ' + cut + ': version ' + v);
    if (v === 4) assert.is(after.current()!.count, 5);
    else assert.is(after.current()!.count, 120);
  }
});

test('a tampered byte, another key, a wrong announcement or a rollback is refused and the held list stays', () => {
  const flash = new FakeStore();
  const ls = store(flash);
  ls.load();
  ls.accept(fullUpdate(makeList(members(5), 4)));
  const u = fetchUpdate(makeList(members(300), 9));
  const i = u.text.length - 100;
  const tampered = u.text.substring(0, i) + (u.text.charAt(i) === 'x' ? 'y' : 'x') + u.text.substring(i + 1);
  assert.ok(feed(ls, u.fetch, tampered));
  let r = ls.finishDownload(u.fetch, u.sig);
  assert.is(r.applied, false);
  assert.is(r.error && r.error.code, 'LIST_DIGEST');
  assert.ok(feed(ls, u.fetch, u.text));
  r = ls.finishDownload(u.fetch, fetchUpdate(makeList(members(300), 9), 'b2'.repeat(32)).sig);
  assert.is(r.error && r.error.code, 'LIST_SIGNATURE');
  // genuine list, but not the one the sync answer announced
  const other = fetchUpdate(makeList(members(301), 9));
  const announced = { kind: 'fetch' as const, version: 9, bytes: other.text.length, digest: u.fetch.digest };
  assert.ok(feed(ls, announced, other.text));
  r = ls.finishDownload(announced, other.sig);
  assert.is(r.error && r.error.code, 'LIST_DIGEST');
  // an older genuine list
  const old = fetchUpdate(makeList(members(200), 3));
  assert.ok(feed(ls, old.fetch, old.text));
  r = ls.finishDownload(old.fetch, old.sig);
  assert.is(r.error && r.error.code, 'LIST_ROLLBACK');
  assert.is(ls.version(), 4);
  assert.is(ls.current()!.count, 5);
  const after = store(flash.clone());
  after.load();
  assert.is(after.version(), 4);
});

test('a wrong length is refused: a piece past the announced size, a gap, or a short download', () => {
  const ls = store(new FakeStore());
  ls.load();
  ls.accept(fullUpdate(makeList(members(5), 4)));
  const u = fetchUpdate(makeList(members(300), 9));
  const short = { kind: 'fetch' as const, version: 9, bytes: u.text.length - 10, digest: u.fetch.digest };
  assert.is(feed(ls, short, u.text), false, 'longer than announced');
  assert.is(ls.finishDownload(short, u.sig).applied, false);
  assert.ok(ls.downloadChunk(u.fetch, u.text.substring(0, STREAM_CHUNK), 0));
  assert.is(ls.downloadChunk(u.fetch, u.text.substring(2 * STREAM_CHUNK, 3 * STREAM_CHUNK), 2 * STREAM_CHUNK), false, 'a gap');
  assert.ok(feed(ls, u.fetch, u.text.substring(0, u.text.length - 1)));
  const r = ls.finishDownload(u.fetch, u.sig);
  assert.is(r.applied, false);
  assert.match(r.error!.message, /ended after \d+ of \d+ bytes/);
  assert.is(ls.version(), 4);
});

// ---------------------------------------------------------------- the unit

function boot(s?: FakeStore): { rig: FakeRig; fw: Firmware; unit: Unit; writes: Write[] } {
  const flash = s || new FakeStore();
  if (!flash.files[CONFIG_FILE]) flash.files[CONFIG_FILE] = config();
  const rig = makeRig(flash);
  const writes: Write[] = [];
  rig.platform.flashWriteAt = (name, data, offset, size) => {
    writes.push({ name: name, offset: offset, length: data.length });
    return flash.writeAt(name, data, offset, size);
  };
  const fw = startFirmware(rig.platform);
  const unit = fw.unit();
  if (!unit) throw new Error('unit did not start: ' + fw.problem());
  return { rig: rig, fw: fw, unit: unit, writes: writes };
}

const BIG = members(800);
const ALICE = BIG[123].fob;

function rejected(unit: Unit): { reason?: string; v?: number; detail?: string }[] {
  return unit.ring.peek(200).filter((e) => e.type === 'list_rejected');
}

/** Waits for the next request (up to 2 min of fake time) and returns it. */
function nextRequest(rig: FakeRig): PendingRequest {
  const n = rig.http.requests.length;
  for (let t = 0; t < 120000 && rig.http.requests.length === n; t += 100) rig.time.advance(100);
  assert.ok(rig.http.requests.length > n, 'a request went out');
  return rig.http.last();
}

/**
 * Answers every sync with the fetch until the unit downloads (after any back-off); returns the
 * download request and the sync answered just before it.
 */
function syncWithFetch(rig: FakeRig, u: ReturnType<typeof fetchUpdate>): { sync: PendingRequest; dl: PendingRequest } {
  let req = nextRequest(rig);
  for (let k = 0; k < 40; k++) {
    assert.is(req.opts.path, '/api/v1/sync');
    answer(req, { list: u.fetch, latest_list_version: u.fetch.version });
    const n = rig.http.requests.length;
    rig.time.advance(1);
    if (rig.http.requests.length > n && rig.http.last().opts.path === LIST_PATH) return { sync: req, dl: rig.http.last() };
    req = rig.http.requests.length > n ? rig.http.last() : nextRequest(rig);
  }
  throw new Error('the unit never downloaded the list');
}

test('fetch -> signed download request next, streamed into flash, applied; a fob is then decided locally with the name from flash', () => {
  const { rig, fw, unit, writes } = boot();
  const u = fetchUpdate(makeList(BIG, 6));
  const x = syncWithFetch(rig, u);
  const syncReq = x.sync;
  const req = x.dl;
  assert.is(req.opts.path, LIST_PATH);
  assert.is(req.opts.method, 'POST');
  const body = JSON.parse(req.opts.body);
  assert.equal(Object.keys(body).sort(), ['counter', 'machine', 'version']);
  assert.is(body.machine, 'lathe');
  assert.is(body.version, 6);
  assert.ok(body.counter > JSON.parse(syncReq.opts.body).counter, 'counter from the same increasing sequence');
  assert.is(req.opts.headers[SIGNATURE_HEADER], hmacNode(KEY, req.opts.body));
  assert.is(req.opts.headers['content-type'], 'application/json');
  streamAnswer(req, 200, { 'X-Fobgate-List-Signature': u.sig, 'Content-Length': String(u.text.length) }, u.text);
  assert.is(unit.lists.version(), 6);
  assert.ok(writes.length > 0 && writes.every((w) => w.length <= 1024), 'only small flash writes');
  assert.ok(unit.ring.peek(200).some((e) => e.type === 'list_applied' && e.v === 6));
  // the next sync follows at once and reports the new version
  rig.time.advance(1);
  const next = JSON.parse(rig.http.last().opts.body);
  assert.is(next.list_version, 6);
  answer(rig.http.last(), { latest_list_version: 6 });
  rig.board.in(P.card_present).set(true, rig.time.t);
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, ALICE, 26);
  rig.time.advance(30);
  assert.is(rig.board.level(P.relay), true);
  assert.is(unit.lines().join('\n'), 'Welcome,\nMember 123');
  fw.stop();
});

test('late chunks after the deadline are ignored (never written); the failure is reported once and retried after back-off', () => {
  const { rig, fw, unit, writes } = boot();
  const u = fetchUpdate(makeList(BIG, 6));
  const req = syncWithFetch(rig, u).dl;
  const limit = SYNC_DEADLINE_MS + Math.ceil(u.text.length / 1024) * DOWNLOAD_MS_PER_KB;
  // half the body arrives, then nothing until the deadline
  const half = Math.floor(u.text.length / STREAM_CHUNK / 2) * STREAM_CHUNK;
  for (let p = 0; p < half; p += STREAM_CHUNK) req.opts.onData!(u.text.substring(p, p + STREAM_CHUNK), 200);
  const written = writes.length;
  rig.time.advance(limit + 1);
  assert.is(unit.lists.version(), 0, 'no list switched to');
  let r = rejected(unit);
  assert.is(r.length, 1);
  assert.is(r[0].reason, 'SYNC_TIMEOUT');
  // the rest arrives late: dropped
  for (let p = half; p < u.text.length; p += STREAM_CHUNK) assert.ok(req.opts.onData!(u.text.substring(p, p + STREAM_CHUNK), 200), 'taken (not collected in RAM)');
  req.cb(null, { status: 200, headers: { 'x-fobgate-list-signature': u.sig }, body: '' });
  assert.is(writes.length, written, 'no flash write after the deadline');
  assert.is(unit.lists.version(), 0);
  // the next sync announces it again and the download is retried (after its back-off)
  const retry = syncWithFetch(rig, u);
  assert.ok(retry.dl.opts.body !== req.opts.body, 'a new signed request (new counter)');
  const dl = [retry.dl];
  streamAnswer(dl[0], 200, { 'x-fobgate-list-signature': u.sig }, u.text);
  assert.is(unit.lists.version(), 6, 'the retry applied');
  r = rejected(unit);
  assert.is(r.length, 1, 'reported once');
  fw.stop();
});

test('a tampered or short download and a 410 answer leave the held list in force, reported once each', () => {
  const { rig, fw, unit } = boot();
  // a small list first (inline)
  rig.time.advance(1);
  answer(rig.http.last(), { list: fullUpdate(makeList(members(4), 5)), latest_list_version: 5 });
  assert.is(unit.lists.version(), 5);
  const u = fetchUpdate(makeList(BIG, 6));
  const i = Math.floor(u.text.length * 0.7);
  const tampered = u.text.substring(0, i) + (u.text.charAt(i) === 'A' ? 'B' : 'A') + u.text.substring(i + 1);
  let req = syncWithFetch(rig, u).dl;
  streamAnswer(req, 200, { 'x-fobgate-list-signature': u.sig }, tampered);
  assert.is(unit.lists.version(), 5);
  assert.equal(rejected(unit).map((e) => e.reason), ['LIST_DIGEST']);
  // short: the connection closes early
  req = syncWithFetch(rig, u).dl;
  streamAnswer(req, 200, { 'x-fobgate-list-signature': u.sig }, u.text.substring(0, u.text.length - 600));
  assert.is(unit.lists.version(), 5);
  assert.equal(rejected(unit).map((e) => e.reason), ['LIST_DIGEST', 'SYNC_DOWNLOAD']);
  assert.match(String(rejected(unit)[1].detail), /ended after \d+ of \d+ bytes/);
  // the server no longer holds the version
  req = syncWithFetch(rig, u).dl;
  streamAnswer(req, 410, { 'content-type': 'application/json' }, JSON.stringify({ error: 'list version 6 is no longer held (latest is 7): sync again', code: 'LIST_GONE' }));
  assert.is(unit.lists.version(), 5);
  const last = rejected(unit)[2];
  assert.is(last.reason, 'SYNC_STATUS');
  assert.match(String(last.detail), /410: .*no longer held/);
  // a refused connection throws synchronously: caught, reported, held list stays
  let sync = nextRequest(rig);
  for (let k = 0; k < 40; k++) {
    answer(sync, { list: u.fetch, latest_list_version: 6 });
    rig.http.throwNext = 'Unable to create socket';
    const n = rig.http.requests.length;
    rig.time.advance(1);
    if (rig.http.throwNext === '') break;
    rig.http.throwNext = '';
    sync = rig.http.requests.length > n ? rig.http.last() : nextRequest(rig);
  }
  assert.is(unit.lists.version(), 5);
  assert.is(rejected(unit)[3].reason, 'SYNC_NETWORK');
  // and then the genuine download applies
  req = syncWithFetch(rig, u).dl;
  streamAnswer(req, 200, { 'x-fobgate-list-signature': u.sig }, u.text);
  assert.is(unit.lists.version(), 6);
  assert.is(rejected(unit).length, 4);
  fw.stop();
});

test('downloads that keep failing back off exponentially (up to 60 s) while syncs go on at their interval', () => {
  const { rig, fw, unit } = boot();
  const u = fetchUpdate(makeList(BIG, 6));
  const starts: number[] = [];
  let syncs = 0;
  for (let k = 0; k < 6; k++) {
    const before = rig.http.requests.length;
    const x = syncWithFetch(rig, u);
    syncs += rig.http.requests.slice(before).filter((r) => r.opts.path !== LIST_PATH).length;
    starts.push(rig.time.t);
    streamAnswer(x.dl, 410, {}, '{"error":"gone"}');
  }
  const gaps: number[] = [];
  for (let k = 1; k < starts.length; k++) gaps.push(starts[k] - starts[k - 1]);
  assert.ok(gaps[gaps.length - 1] > gaps[0], 'gaps grow: ' + gaps.join(', '));
  assert.ok(gaps.every((g) => g <= 60000 + 5000 + 200), 'capped: ' + gaps.join(', '));
  assert.ok(syncs > 6, 'syncs continued in between');
  assert.is(rejected(unit).length, 1, 'the same failure reported once');
  assert.is(unit.lists.version(), 0);
  fw.stop();
});

test('a power cut in the middle of a download: the previous list is in force after the reboot', () => {
  const { rig, fw, unit } = boot();
  rig.time.advance(1);
  answer(rig.http.last(), { list: fullUpdate(makeList(members(4), 5)), latest_list_version: 5 });
  const u = fetchUpdate(makeList(BIG, 6));
  const req = syncWithFetch(rig, u).dl;
  for (let p = 0; p < STREAM_CHUNK * 20; p += STREAM_CHUNK) req.opts.onData!(u.text.substring(p, p + STREAM_CHUNK), 200);
  fw.stop();
  // power back on with the flash as the cut left it
  const second = boot(rig.store.clone());
  assert.is(second.unit.lists.version(), 5);
  assert.is(second.unit.lists.current()!.count, 4);
  assert.is(unit.lists.version(), 5);
  second.fw.stop();
});

test('an announced list older than the held one is refused without downloading it', () => {
  const { rig, fw, unit } = boot();
  rig.time.advance(1);
  answer(rig.http.last(), { list: fullUpdate(makeList(members(4), 5)), latest_list_version: 5 });
  rig.time.advance(5000);
  const n = rig.http.requests.length;
  answer(rig.http.last(), { list: fetchUpdate(makeList(BIG, 3)).fetch, latest_list_version: 5 });
  rig.time.advance(5000);
  assert.ok(rig.http.requests.slice(n).every((x) => x.opts.path !== LIST_PATH), 'no download');
  assert.is(rejected(unit)[0].reason, 'LIST_ROLLBACK');
  assert.is(unit.lists.version(), 5);
  fw.stop();
});

test.run();
