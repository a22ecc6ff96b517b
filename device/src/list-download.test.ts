// List updates at the unit on the fake board: inline updates within the budget the unit declares,
// larger ones announced for download and fetched as the next request (signed, counted), streamed
// into the inactive slot and checked there; a delta downloaded and merged the same way; power
// cuts, tampering, wrong lengths, late chunks, oversized answers and error answers leave the held
// list in force and are reported once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FLAG_MAIN, FLAG_OVERRIDE, LIST_PATH, SIGNATURE_HEADER } from '@fobgate/shared';
import type { ListEntry } from '@fobgate/shared';
import { startFirmware } from './firmware.js';
import type { Firmware } from './firmware.js';
import { DEFAULT_PINS, CONFIG_FILE } from './board-config.js';
import { SYNC_DEADLINE_MS, ANSWER_BASE_BYTES } from './sync-client.js';
import { DOWNLOAD_MS_PER_KB } from './list-download.js';
import { INLINE_MAX_BYTES } from './list-updates.js';
import type { Unit } from './unit-lifecycle.js';
import {
  FakeStore, KEY, answer, config, deltaUpdate, fetchUpdate, fullUpdate, hmacNode, makeList, makeRig, playFrame, streamAnswer, STREAM_CHUNK,
} from '../test/fake-hal.js';
import type { FakeRig, PendingRequest } from '../test/fake-hal.js';

const P = DEFAULT_PINS;

function members(n: number, from?: number): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ fob: (from || 1000) + i * 7, flags: i % 10 === 0 ? FLAG_MAIN + FLAG_OVERRIDE : FLAG_MAIN, name: 'Member ' + i });
  return out;
}

interface Write {
  name: string;
  offset: number;
  length: number;
}

// ---------------------------------------------------------------- the unit

function boot(s?: FakeStore, freeVars?: () => number): { rig: FakeRig; fw: Firmware; unit: Unit; writes: Write[] } {
  const flash = s || new FakeStore();
  if (!flash.files[CONFIG_FILE]) flash.files[CONFIG_FILE] = config();
  const rig = makeRig(flash);
  if (freeVars) rig.platform.freeVars = freeVars;
  const writes: Write[] = [];
  rig.platform.flashWriteAt = (name: string, data: string, offset: number, size: number) => {
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
    answer(req, { list: u.update, latest_list_version: u.update.version });
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
  assert.equal(Object.keys(body).sort(), ['counter', 'from', 'machine', 'version']);
  assert.is(body.machine, 'lathe');
  assert.is(body.version, 6);
  assert.is(body.from, 0, 'the full list');
  assert.ok(body.counter > JSON.parse(syncReq.opts.body).counter, 'counter from the same increasing sequence');
  assert.is(req.opts.headers[SIGNATURE_HEADER], hmacNode(KEY, req.opts.body));
  assert.is(req.opts.headers['content-type'], 'application/json');
  streamAnswer(req, 200, { 'Content-Length': String(u.text.length) }, u.text);
  rig.time.advance(0);
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
  req.cb(null, { status: 200, headers: {}, body: '' });
  assert.is(writes.length, written, 'no flash write after the deadline');
  assert.is(unit.lists.version(), 0);
  // the next sync announces it again and the download is retried (after its back-off)
  const retry = syncWithFetch(rig, u);
  assert.ok(retry.dl.opts.body !== req.opts.body, 'a new signed request (new counter)');
  const dl = [retry.dl];
  streamAnswer(dl[0], 200, {}, u.text);
  rig.time.advance(0);
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
  streamAnswer(req, 200, {}, tampered);
  rig.time.advance(0);
  assert.is(unit.lists.version(), 5);
  assert.equal(rejected(unit).map((e) => e.reason), ['LIST_DIGEST']);
  // short: the connection closes early
  req = syncWithFetch(rig, u).dl;
  streamAnswer(req, 200, {}, u.text.substring(0, u.text.length - 600));
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
    answer(sync, { list: u.update, latest_list_version: 6 });
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
  streamAnswer(req, 200, {}, u.text);
  rig.time.advance(0);
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
  answer(rig.http.last(), { list: fetchUpdate(makeList(BIG, 3)).update, latest_list_version: 5 });
  rig.time.advance(5000);
  assert.ok(rig.http.requests.slice(n).every((x) => x.opts.path !== LIST_PATH), 'no download');
  assert.is(rejected(unit)[0].reason, 'LIST_ROLLBACK');
  assert.is(unit.lists.version(), 5);
  fw.stop();
});

test('a download that keeps coming is not cut off (however slow the unit takes it); one that stalls fails after the request deadline', () => {
  const { rig, fw, unit } = boot();
  const u = fetchUpdate(makeList(BIG, 6));
  let req = syncWithFetch(rig, u).dl;
  // one chunk every 9 s: far longer in all than the request deadline, never 10 s without data
  // (within the whole deadline: 10 s + 2 s per KB)
  let p = 0;
  for (; p < 4 * STREAM_CHUNK; p += STREAM_CHUNK) {
    rig.time.advance(SYNC_DEADLINE_MS - 1000);
    assert.ok(req.opts.onData!(u.text.substring(p, p + STREAM_CHUNK), 200));
  }
  assert.ok(4 * (SYNC_DEADLINE_MS - 1000) < SYNC_DEADLINE_MS + Math.ceil(u.text.length / 1024) * DOWNLOAD_MS_PER_KB);
  assert.is(rejected(unit).length, 0, 'still going after ' + 4 * (SYNC_DEADLINE_MS - 1000) + ' ms');
  for (; p < u.text.length; p += STREAM_CHUNK) req.opts.onData!(u.text.substring(p, p + STREAM_CHUNK), 200);
  req.cb(null, { status: 200, headers: {}, body: '' });
  rig.time.advance(0);
  assert.is(unit.lists.version(), 6);
  // a stalled one: data, then silence
  const next = fetchUpdate(makeList(BIG.slice(1), 7));
  req = syncWithFetch(rig, next).dl;
  req.opts.onData!(next.text.substring(0, STREAM_CHUNK), 200);
  rig.time.advance(SYNC_DEADLINE_MS - 1);
  assert.is(rejected(unit).length, 0);
  rig.time.advance(2);
  const r = rejected(unit);
  assert.is(r.length, 1);
  assert.is(r[0].reason, 'SYNC_TIMEOUT');
  assert.match(String(r[0].detail), /no data for 10000 ms/);
  assert.is(unit.lists.version(), 6);
  fw.stop();
});

test('small updates travel inline within the budget the unit declares; an answer beyond it is refused', () => {
  let free = 9000;
  const { rig, fw, unit } = boot(undefined, () => free);
  rig.time.advance(1);
  const first = rig.http.last();
  const declared = JSON.parse(first.opts.body).list_inline_max;
  assert.is(declared, INLINE_MAX_BYTES, 'with plenty of memory the unit takes ' + INLINE_MAX_BYTES + ' bytes inline');
  assert.is(first.opts.maxBody, ANSWER_BASE_BYTES + Math.ceil(INLINE_MAX_BYTES / 3) * 4, 'and collects no more of the answer than that');
  const v5 = makeList(members(40), 5);
  answer(first, { list: fullUpdate(v5), latest_list_version: 5 });
  assert.is(unit.lists.version(), 5, 'a small full list inline');
  const v6 = makeList(members(40).concat([{ fob: 3, flags: 1, name: 'Newcomer' }]), 6);
  const d = deltaUpdate(v5, v6);
  assert.ok(d.bytes < 400, 'a one-member delta is ' + d.bytes + ' bytes');
  answer(nextRequest(rig), { list: d, latest_list_version: 6 });
  assert.is(unit.lists.version(), 6, 'a delta inline');
  assert.ok(unit.ring.peek(200).some((e) => e.type === 'list_applied' && e.v === 6));
  // short of memory: the budget shrinks, then nothing inline at all
  free = 1700;
  assert.is(JSON.parse(nextRequest(rig).opts.body).list_inline_max, 600);
  answer(rig.http.last(), { latest_list_version: 6 });
  free = 800;
  assert.is(JSON.parse(nextRequest(rig).opts.body).list_inline_max, 0);
  answer(rig.http.last(), { latest_list_version: 6 });
  // an answer the http layer dropped as too large: refused, reported, the held list stays
  const req = nextRequest(rig);
  req.cb(null, { status: 200, headers: {}, body: '', overflow: req.opts.maxBody });
  assert.is(unit.lists.version(), 6);
  const errs = unit.ring.peek(200).filter((e) => e.type === 'error' && e.reason === 'SYNC_MALFORMED');
  assert.is(errs.length, 1);
  assert.match(String(errs[0].detail), /larger than the \d+ bytes/);
  fw.stop();
});

test('a delta too large to travel inline is downloaded and merged into flash', () => {
  const { rig, fw, unit, writes } = boot();
  rig.time.advance(1);
  const v5 = makeList(BIG, 5);
  const full = fetchUpdate(v5);
  let x = syncWithFetch(rig, full);
  streamAnswer(x.dl, 200, {}, full.text);
  rig.time.advance(0);
  assert.is(unit.lists.version(), 5);
  const v6 = makeList(BIG.slice(100).concat(members(300, 900000)), 6);
  const d = fetchUpdate(v6, KEY, v5);
  assert.ok(d.text.length > INLINE_MAX_BYTES && d.text.length < v6.text.length);
  writes.length = 0;
  x = syncWithFetch(rig, d);
  const body = JSON.parse(x.dl.opts.body);
  assert.is(body.from, 5, 'asks for the delta from the held version');
  assert.is(body.version, 6);
  streamAnswer(x.dl, 200, {}, d.text);
  rig.time.advance(0);
  assert.is(unit.lists.version(), 6);
  assert.is(rig.store.files['fgl' + unit.lists.activeSlot()], v6.text);
  assert.ok(writes.every((w) => w.length <= 2016), 'bounded flash writes');
  rig.board.in(P.card_present).set(true, rig.time.t);
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, 900000 + 7 * 12, 26);
  rig.time.advance(30);
  assert.is(unit.lines().join('\n'), 'Welcome,\nMember 12');
  fw.stop();
});

test.run();
