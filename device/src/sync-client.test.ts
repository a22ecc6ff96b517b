// The sync client: deadline and late callbacks, synchronous throws, back-off bounds, counter
// persisted before sending, response signature and counter checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SyncClient, HOLD_RECHECK_MS } from './sync-client.js';
import type { SyncBody } from './sync-client.js';
import { backoffMs, BACKOFF_MAX_MS } from './sync-backoff.js';
import { verifyResponse } from './sync-answers.js';
import type { SyncError } from './sync-errors.js';
import { RequestCounter, COUNTER_FILE, COUNTER_BLOCK } from './request-counter.js';
import { RETRY_AFTER_MAX_MS, type SyncResponse } from '@fobgate/shared';
import { FakeHttp, FakeStore, FakeTime, KEY, answer, hmacNode } from '../test/fake-hal.js';

interface Rig {
  time: FakeTime;
  store: FakeStore;
  http: FakeHttp;
  client: SyncClient;
  counter: RequestCounter;
  ok: SyncResponse[];
  failed: SyncError[];
  random: number;
}

function body(): SyncBody {
  return {
    machine: 'lathe', fw: '0', up: 0, boot_count: 1, list_version: 0, list_digest: '', command_ack: 0,
    state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: '' },
    telemetry: { wifi_signal_db: null, free_vars: null, temp_c10: null },
    events: [], dropped_events: 0,
  };
}

function rig(store?: FakeStore): Rig {
  const time = new FakeTime();
  const s = store || new FakeStore();
  const http = new FakeHttp(s);
  const counter = new RequestCounter(s);
  counter.load();
  const r: Rig = { time: time, store: s, http: http, counter: counter, ok: [], failed: [], random: 0.5, client: null as unknown as SyncClient };
  r.client = new SyncClient({
    http: http.request, timers: time, clock: time, server: { host: '127.0.0.1', port: 8080, base: '' }, key: KEY, hmac: hmacNode,
    counter: counter, random: () => r.random, intervalMs: 5000, deadlineMs: 10000, build: body,
    onResponse: (res) => r.ok.push(res), onFailure: (e) => r.failed.push(e),
  });
  return r;
}

test('a request is signed over its raw body and carries an increasing counter', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  const req = r.http.last();
  assert.is(req.opts.path, '/api/v1/sync');
  assert.is(req.opts.headers['x-fobgate-signature'], hmacNode(KEY, req.opts.body));
  assert.is(JSON.parse(req.opts.body).counter, 1);
  answer(req, {});
  assert.is(r.ok.length, 1);
  r.time.advance(5000);
  assert.is(r.http.lastBody().counter, 2);
  r.client.stop();
});

test('only one request is in flight; the deadline fails it and a late answer is ignored', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  assert.is(r.http.requests.length, 1);
  r.client.trigger();
  r.time.advance(5000);
  assert.is(r.http.requests.length, 1, 'no second request while one is pending');
  r.time.advance(5000);
  assert.is(r.failed.length, 1);
  assert.is(r.failed[0].code, 'SYNC_TIMEOUT');
  assert.is(r.client.busy(), false);
  answer(r.http.requests[0], {});
  assert.is(r.ok.length, 0, 'late callback ignored');
  r.client.stop();
});

test('a refused connection that throws synchronously is a failure, not a crash', () => {
  const r = rig();
  r.http.throwNext = 'ECONNREFUSED';
  r.client.start();
  r.time.advance(0);
  assert.is(r.failed.length, 1);
  assert.is(r.failed[0].code, 'SYNC_NETWORK');
  assert.is(r.client.busy(), false);
  r.client.stop();
});

test('back-off doubles with jitter and never exceeds 60 s; success resets it', () => {
  for (let n = 1; n < 30; n++) {
    const lo = backoffMs(n, () => 0);
    const hi = backoffMs(n, () => 0.999999);
    assert.ok(lo >= 500 && hi <= BACKOFF_MAX_MS, 'attempt ' + n + ': ' + lo + '..' + hi);
    assert.ok(lo <= hi);
  }
  assert.is(backoffMs(20, () => 0.999999), BACKOFF_MAX_MS - 1);
  assert.is(backoffMs(1, () => 0), 500);
  assert.is(backoffMs(2, () => 0), 1000);
  const r = rig();
  r.http.refuse = true;
  r.client.start();
  r.time.advance(0);
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const before = r.http.requests.length + r.failed.length;
    const t0 = r.time.t;
    while (r.http.requests.length + r.failed.length === before) r.time.advance(100);
    times.push(r.time.t - t0);
  }
  for (let i = 1; i < times.length; i++) assert.ok(times[i] <= BACKOFF_MAX_MS + 100, 'gap ' + times[i]);
  assert.ok(times[times.length - 1] >= 30000, 'grows to the cap: ' + times.join(','));
  r.http.refuse = false;
  while (r.http.requests.length === 0) r.time.advance(100);
  answer(r.http.last(), {});
  assert.is(r.client.failing(), 0);
  const t0 = r.time.t;
  while (r.http.requests.length === 1) r.time.advance(100);
  assert.ok(r.time.t - t0 <= 5000, 'back to the idle interval');
  r.client.stop();
});

test('the counter is persisted before the request goes out and resumes above it after a reboot', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  const req = r.http.last();
  const sent = JSON.parse(req.opts.body).counter;
  const flashed = [req.flashAtSend[COUNTER_FILE + '0'], req.flashAtSend[COUNTER_FILE + '1']].filter((x) => x !== undefined);
  assert.ok(flashed.length > 0, 'counter file written before sending');
  const after = new RequestCounter(r.store.clone());
  after.load();
  assert.ok(after.next() > sent);
  // many requests: still above everything sent, with one flash write per block
  const c = new RequestCounter(new FakeStore());
  c.load();
  let last = 0;
  for (let i = 0; i < 250; i++) last = c.next();
  const flash = (c as unknown as { record: { store: FakeStore } }).record.store;
  assert.ok(flash.writes <= Math.ceil(250 / COUNTER_BLOCK) + 1, flash.writes + ' writes');
  const back = new RequestCounter(flash.clone());
  back.load();
  assert.ok(back.next() > last);
  r.client.stop();
});

test('no request is sent when the counter cannot be persisted', () => {
  const r = rig();
  r.store.failAfter = 0;
  r.client.start();
  r.time.advance(0);
  assert.is(r.http.requests.length, 0);
  assert.is(r.failed[0].code, 'SYNC_NO_COUNTER');
  r.client.stop();
});

test('an answer with a bad signature or another counter is refused', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  const req = r.http.last();
  answer(req, {}, 'c3'.repeat(32));
  assert.is(r.ok.length, 0);
  assert.is(r.failed[0].code, 'SYNC_SIGNATURE');
  const counter = JSON.parse(req.opts.body).counter;
  const sent = String(req.opts.headers['x-fobgate-signature']);
  const text = JSON.stringify({ counter: counter + 1, answers: sent, time: 1, ack_seq: 0, latest_list_version: 0, list: null, commands: [], sync_interval_s: 5 });
  const v = verifyResponse({ status: 200, headers: { 'X-Fobgate-Signature': hmacNode(KEY, text) }, body: text }, counter, KEY, hmacNode, sent);
  assert.is(v.error && v.error.code, 'SYNC_COUNTER');
  const noSig = verifyResponse({ status: 200, headers: {}, body: text }, counter + 1, KEY, hmacNode, sent);
  assert.is(noSig.error && noSig.error.code, 'SYNC_SIGNATURE');
  const okv = verifyResponse({ status: 200, headers: { 'X-Fobgate-Signature': hmacNode(KEY, text) }, body: text }, counter + 1, KEY, hmacNode, sent);
  assert.ok(okv.res);
  // a signed answer to another request (a recorded answer replayed) is refused, same counter or not
  const other = verifyResponse({ status: 200, headers: { 'X-Fobgate-Signature': hmacNode(KEY, text) }, body: text }, counter + 1, KEY, hmacNode, 'ab'.repeat(32));
  assert.is(other.error && other.error.code, 'SYNC_COUNTER');
  r.client.stop();
});

/** A 409 as the server sends it: signed with `key`, bound to the request it refuses. */
function refusal(req: { opts: { body: string; headers: { [k: string]: string } } }, held: number, key = KEY, answers?: string): { status: number; headers: { [k: string]: string }; body: string } {
  const counter = JSON.parse(req.opts.body).counter;
  const text = JSON.stringify({ error: 'replayed request: counter ' + counter + ' is not above ' + held, code: 'REPLAYED_REQUEST', counter: counter, held: held, answers: answers ?? req.opts.headers['x-fobgate-signature'] });
  return { status: 409, headers: { 'x-fobgate-signature': hmacNode(key, text) }, body: text };
}

test('a signed refusal bound to the request moves the counter past the server\'s (persisted before use)', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  r.http.last().cb(null, refusal(r.http.last(), 4711));
  assert.is(r.failed[0].code, 'SYNC_REPLAYED');
  assert.is(r.failed[0].held, 4711);
  while (r.http.requests.length < 2) r.time.advance(100);
  assert.is(r.http.lastBody().counter, 4712);
  const again = new RequestCounter(r.store);
  again.load();
  assert.ok(again.next() > 4712, 'the reservation above 4712 was persisted before the request went out');
  r.client.stop();
});

test('an unsigned, wrongly signed, or replayed refusal moves nothing (the wedge: "not above 2147483647")', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  const first = r.http.last();
  const n = JSON.parse(first.opts.body).counter;
  first.cb(null, { status: 409, headers: {}, body: '{"error":"replayed request: counter ' + n + ' is not above 2147483647"}' });
  assert.is(r.failed[0].code, 'SYNC_SIGNATURE');
  while (r.http.requests.length < 2) r.time.advance(100);
  assert.is(r.http.lastBody().counter, n + 1);
  r.http.last().cb(null, refusal(r.http.last(), 2147483647, 'cd'.repeat(32)));
  while (r.http.requests.length < 3) r.time.advance(100);
  assert.is(r.http.lastBody().counter, n + 2, 'signed with another key: ignored');
  // a genuine refusal of the first request, replayed as the answer to this one
  r.http.last().cb(null, refusal(first, 9000));
  while (r.http.requests.length < 4) r.time.advance(100);
  assert.is(r.http.lastBody().counter, n + 3, 'bound to another request: ignored');
  r.http.last().cb(null, refusal(r.http.last(), 9000, KEY, 'ef'.repeat(32)));
  while (r.http.requests.length < 5) r.time.advance(100);
  assert.is(r.http.lastBody().counter, n + 4);
  assert.ok(r.failed.every((f) => f.code === 'SYNC_SIGNATURE'), JSON.stringify(r.failed));
  const again = new RequestCounter(r.store);
  again.load();
  assert.ok(again.next() <= COUNTER_BLOCK + 1, 'flash still holds the first reservation');
  r.client.stop();
});

test('a persisted counter above the highest the server accepts restarts from 1 and rebases on the signed refusal', () => {
  const store = new FakeStore();
  const seed = new RequestCounter(store);
  seed.load();
  seed.next();
  // what today's main left in flash after the unsigned 409: 2147483654 + a block
  (seed as unknown as { record: { save(v: number): boolean } }).record.save(2147483753);
  const r = rig(store);
  assert.equal(r.counter.discarded, 2147483753);
  r.client.start();
  r.time.advance(0);
  assert.is(r.http.lastBody().counter, 1, 'a counter the server can accept');
  r.http.last().cb(null, refusal(r.http.last(), 2147483000));
  while (r.http.requests.length < 2) r.time.advance(100);
  assert.is(r.http.lastBody().counter, 2147483001);
  r.client.stop();
});

test('the server holding the highest counter: the unit says it must be registered again, never sends above it', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  r.http.last().cb(null, refusal(r.http.last(), 2147483647));
  r.time.advance(70_000);
  assert.is(r.http.requests.length, 1, 'nothing more was sent');
  assert.ok(r.failed.some((f) => f.code === 'SYNC_NO_COUNTER' && /register the unit again/.test(f.message)), JSON.stringify(r.failed));
  r.client.stop();
});

test('a failure while building the request backs off instead of ending syncing', () => {
  const r = rig();
  let broken = true;
  const build = (r.client as unknown as { options: { build: () => SyncBody } }).options;
  const orig = build.build;
  build.build = () => {
    if (broken) throw new Error('bug');
    return orig();
  };
  r.client.start();
  r.time.advance(0);
  assert.is(r.failed[0].code, 'SYNC_MALFORMED');
  broken = false;
  while (r.http.requests.length === 0) r.time.advance(100);
  assert.ok(r.time.t <= 1000);
  r.client.stop();
});

test('while held (a relay on), a failing server whose connect blocked is not contacted', () => {
  const r = rig();
  let hold = true;
  (r.client as unknown as { options: { hold: () => boolean } }).options.hold = () => hold;
  r.client.start();
  r.time.advance(0);
  answer(r.http.last(), {});
  r.time.advance(5000);
  assert.is(r.http.requests.length, 2, 'healthy server: syncs go on while held');
  answer(r.http.last(), {});
  const o = (r.client as unknown as { options: { http: unknown } }).options;
  // an unreachable server: the connect blocks the interpreter for 3 s, then throws
  o.http = () => {
    r.time.t += 3000;
    throw new Error('EHOSTUNREACH');
  };
  r.time.advance(5000);
  assert.is(r.failed.length, 1);
  let calls = 0;
  o.http = () => {
    calls++;
  };
  r.time.advance(120000);
  r.client.trigger();
  r.time.advance(1000);
  assert.is(calls, 0, 'nothing started while held');
  hold = false;
  r.time.advance(HOLD_RECHECK_MS);
  assert.is(calls, 1, 'goes as soon as the hold ends');
  r.client.stop();
  assert.is(r.time.count(), 0);
});

test('a server that accepts but never answers (no blocking) keeps being tried while held', () => {
  const r = rig();
  (r.client as unknown as { options: { hold: () => boolean } }).options.hold = () => true;
  r.client.start();
  r.time.advance(0);
  r.time.advance(10000);
  assert.is(r.failed[0].code, 'SYNC_TIMEOUT');
  r.time.advance(120000);
  assert.ok(r.http.requests.length >= 3, 'one at a time after each deadline: ' + r.http.requests.length);
  assert.ok(r.client.timeoutsInRow >= 3);
  r.client.stop();
});

test('while a new list is checked (defer), no request starts; the sync goes once the check is over', () => {
  const r = rig();
  let checking = true;
  (r.client as unknown as { options: { defer: () => boolean } }).options.defer = () => checking;
  r.client.start();
  r.time.advance(0);
  assert.is(r.http.requests.length, 0, 'deferred');
  r.client.trigger();
  r.time.advance(3 * HOLD_RECHECK_MS);
  assert.is(r.http.requests.length, 0, 'an event does not force it either');
  checking = false;
  r.time.advance(HOLD_RECHECK_MS);
  assert.is(r.http.requests.length, 1, 'goes as soon as the check is over');
  r.client.stop();
});

/** The server's 429: a JSON error with retry_after_s and Retry-After (not signed, like every error). */
function tooMany(req: { cb: (e: null, r: { status: number; headers: { [k: string]: string }; body: string }) => void }, code: string, s: number, header = String(s)): void {
  const headers: { [k: string]: string } = { 'content-type': 'application/json' };
  if (header !== '') headers['Retry-After'] = header;
  req.cb(null, { status: 429, headers: headers, body: JSON.stringify({ error: 'over budget', code: code, retry_after_s: s }) });
}

test('429 RATE_LIMITED: nothing is sent before Retry-After, not even for a triggered event; then syncing resumes', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  tooMany(r.http.last(), 'RATE_LIMITED', 30);
  assert.is(r.failed.length, 1);
  assert.is(r.failed[0].code, 'SYNC_RATE_LIMITED');
  assert.is(r.failed[0].retryAfterMs, 30000);
  assert.is(r.client.failing(), 0, 'an answer asking to wait is not a network failure');
  r.client.trigger();
  r.time.advance(29999);
  assert.is(r.http.requests.length, 1, 'quiet for the whole wait');
  r.time.advance(1);
  assert.is(r.http.requests.length, 2);
  answer(r.http.last(), {});
  r.time.advance(5000);
  assert.is(r.http.requests.length, 3, 'back to the normal interval');
  r.client.stop();
});

test('429 EVENTS_RATE_LIMITED: the next sync goes at once without events being due; events are held until the wait is over', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  assert.is(r.client.eventsHeld(), false);
  tooMany(r.http.last(), 'EVENTS_RATE_LIMITED', 20, '');
  assert.is(r.failed[0].eventsOnly, true);
  assert.is(r.client.eventsHeld(), true);
  r.time.advance(0);
  assert.is(r.http.requests.length, 2, 'state and commands keep flowing');
  answer(r.http.last(), {});
  r.time.advance(15000);
  assert.is(r.client.eventsHeld(), true);
  r.time.advance(5000);
  assert.is(r.client.eventsHeld(), false, 'events go again after the wait');
  r.client.stop();
});

test('a 429 cannot silence the unit for long: the wait is capped (the answer is not signed)', () => {
  const r = rig();
  r.client.start();
  r.time.advance(0);
  tooMany(r.http.last(), 'RATE_LIMITED', 999999999);
  assert.is(r.failed[0].retryAfterMs, RETRY_AFTER_MAX_MS);
  r.time.advance(RETRY_AFTER_MAX_MS);
  assert.is(r.http.requests.length, 2);
  r.client.stop();
});

test.run();
