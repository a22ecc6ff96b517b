// Hostile input, generated: thousands of malformed requests (seeded PRNG, deterministic) at every
// route must each get a 4xx JSON `{"error": ...}` (or 200 where the input happens to be valid),
// never a 500, an HTML page or a stack trace; the server keeps answering, state.json reloads, a
// unit sending signed garbage cannot corrupt the shared state, and secrets never reach the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { EVENT_DETAIL_MAX, LIST_PATH, MAX_EVENTS_PER_SYNC, SIGNATURE_HEADER, SYNC_PATH } from '@fobgate/shared';
import { AUTH, TOKEN, TestUnit, USERS_RAW, makeApp, removeDir, stateOnDisk, update, type TestApp } from './helpers.js';
import { hmacHex } from '../src/auth.js';

type Res = { statusCode: number; headers: Record<string, unknown>; body: string };

/** A 4xx JSON error that says something, with no stack frames or file paths in it. */
function assertClientError(r: Res, what: string): void {
  assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${what}: status ${r.statusCode} ${r.body.slice(0, 300)}`);
  assert.match(String(r.headers['content-type']), 'application/json', what);
  let b: { error?: unknown };
  try {
    b = JSON.parse(r.body);
  } catch {
    assert.unreachable(`${what}: body is not JSON: ${r.body.slice(0, 200)}`);
    return;
  }
  assert.type(b.error, 'string', what);
  assert.ok((b.error as string).length > 0, what);
  assertNoStack(r, what);
}

function assertNoStack(r: Res, what: string): void {
  assert.not.match(r.body, /\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+|<html/i, `${what}: ${r.body.slice(0, 300)}`);
}

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  string(): string {
    return this.pick([
      () => '',
      () => 'lathe',
      () => '__proto__',
      () => 'constructor',
      () => 'prototype',
      () => 'toString',
      () => 'hasOwnProperty',
      () => '../../etc/passwd',
      () => 'ünïcødé ✓ 機械 🔥',
      () => '\u0000\u0001\u001f\u007f',
      () => '\ud800',
      () => '<script>alert(1)</script>',
      () => '0000000001',
      () => '99999999999999999999',
      () => ' lathe ',
      () => 'LATHE',
      () => 'x'.repeat(1 + this.int(300)),
      () => 'é'.repeat(1 + this.int(5000)),
      () => String(this.number()),
      () => 'true',
      () => 'null',
      () => '%00%2e%2e',
    ])();
  }
  number(): number {
    return this.pick([0, -0, 1, -1, 0.5, -1e-300, 1e300, -1e300, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 255, 1e21, 3.14159])!;
  }
  /** Any JSON value, up to `depth` levels deep. */
  value(depth = 3): unknown {
    const k = depth <= 0 ? this.int(4) : this.int(7);
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.number();
      case 3:
        return this.string();
      case 4: {
        const n = this.int(5);
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(this.value(depth - 1));
        return a;
      }
      case 5:
        return this.object(depth - 1);
      default:
        return this.deep(1 + this.int(2000));
    }
  }
  object(depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    const n = this.int(5);
    for (let i = 0; i < n; i++) {
      Object.defineProperty(o, this.chance(0.4) ? this.pick(['__proto__', 'constructor', 'prototype', 'toString']) : this.string(), {
        value: this.value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return o;
  }
  /** A value nested `n` levels deep. */
  deep(n: number): unknown {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = this.chance(0.5) ? [v] : { a: v };
    return v;
  }
  /** A copy of `base` with one thing wrong (or, sometimes, nothing). */
  mutate(base: unknown, depth = 0): unknown {
    if (base === null || typeof base !== 'object' || depth > 3 || this.chance(0.15)) return this.value(2);
    const copy: Record<string, unknown> | unknown[] = Array.isArray(base) ? base.slice() : Object.assign({}, base as Record<string, unknown>);
    const keys = Object.keys(copy);
    const what = this.int(5);
    if (what === 0 && keys.length > 0) {
      delete (copy as Record<string, unknown>)[this.pick(keys)];
    } else if (what === 1 || keys.length === 0) {
      Object.defineProperty(copy, this.chance(0.5) ? this.pick(['__proto__', 'constructor', 'extra', '']) : this.string(), {
        value: this.value(2),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      const key = this.pick(keys);
      (copy as Record<string, unknown>)[key] = this.mutate((copy as Record<string, unknown>)[key], depth + 1);
    }
    return copy;
  }
  /** Bytes that are not a JSON document, or barely one. */
  rawGarbage(): string | Buffer {
    return this.pick<() => string | Buffer>([
      () => '{',
      () => '{"machine_name": "lathe",',
      () => '{"a":1}{"a":2}',
      () => '[' .repeat(100000) + ']'.repeat(100000),
      () => '{"a":'.repeat(50000) + '1' + '}'.repeat(50000),
      () => '\ufeff{"machine_name":"lathe"}',
      () => 'NaN',
      () => '1e999',
      () => '{"machine_name":"lathe","uptime":1e999}',
      () => '{"machine_name":"lathe","uptime":-1e999}',
      () => '{"__proto__":{"admin":true},"machine_name":"lathe"}',
      () => '{"constructor":{"prototype":{"x":1}}}',
      () => '"' + 'a'.repeat(200000) + '"',
      () => '{"machine_name":"\\ud800"}',
      () => '{"machine_name":"lathe"' + ' '.repeat(500000) + '}',
      () => Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22]),
      () => Buffer.from(Array.from({ length: 1 + this.int(4000) }, () => this.int(256))),
      () => 'machine_name=lathe&oops=true',
      () => '<?xml version="1.0"?><a/>',
      () => 'null',
      () => 'true',
      () => '0',
      () => '[]',
      () => '{}',
    ])();
  }
}

type StoredRow = { id: number; unit_seq: number | null; machine: string };

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` where a machine name goes. */
  path: string;
  auth: 'none' | 'admin' | 'unit';
  /** dm_mac route: error bodies carry only "error". */
  legacy?: boolean;
  /** A valid body. */
  body?: () => unknown;
  /** A valid query. */
  query?: () => Record<string, string>;
}

const MACHINES = ['lathe', 'saw', 'drill', 'lights', 'unit1'];
const NAME_ATTACKS = [
  '__proto__', 'constructor', 'prototype', 'toString', '..', '.', '%2e%2e', '%2E', 'lathe%2F..', 'lathe%2foops', 'a%00b', '%C3%A9', '%F0%9F%94%A5',
  '%E6%A9%9F', '%ff', '%', '%zz', '%2', 'x'.repeat(65), 'x'.repeat(5000), 'lathe%20', '%20', 'LATHE', 'lathe.json', 'lathe;drop', "lathe'", '%5B%5D',
  'lathe?x=1', 'lathe#frag', '%3F', '%23', '~', '-', '_', '0', '-1', '1e3', 'null', 'undefined',
];
const CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', ';;;', 'application/json; charset=utf-16',
  'APPLICATION/JSON', 'application/json-patch+json', 'application/jsonx', 'application/json; charset=latin1', '*/*', 'text/html', 'application/octet-stream',
  'application/json, text/plain', 'ä/ö',
];
const BAD_AUTH = [
  '', 'Bearer', 'Bearer ', 'Bearer wrong-token-0123456789abcdef', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
  `Bearer ${TOKEN} ${TOKEN}`, `Token ${TOKEN}`, `${TOKEN}`, 'Bearer ' + 'a'.repeat(10000), 'Bearer \u00e9\u00e9', `Bearer  ${TOKEN.toUpperCase()}`,
];
const QUERY_ATTACKS = [
  'limit=-1', 'limit=0', 'limit=99999', 'limit=10001', 'limit=abc', 'limit=1e3', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'limit[]=1', 'limit[a]=1',
  'from=abc', 'from=-5', 'from=1e12', 'from=9999999999999999', 'from=2&to=1', 'to=%00', 'machine=', 'machine=%zz', 'member=%', 'member=' + 'm'.repeat(200),
  'machine=__proto__', 'member=constructor', 'bogus=1', '__proto__=1', 'constructor[prototype][x]=1', '&&&', '=', '==1', '?', 'dry_run=yes', 'dry_run=1&dry_run=0',
  'machine=%E6%A9%9F', 'x=' + 'y'.repeat(20000),
];

function routes(unit: () => Record<string, unknown>, listReq: () => Record<string, unknown>): Route[] {
  return [
    { method: 'POST', path: '/api/machine/update', auth: 'none', legacy: true, body: () => update('lathe') },
    { method: 'POST', path: '/api/machine/oops/:name', auth: 'admin', legacy: true },
    { method: 'DELETE', path: '/api/machine/oops/:name', auth: 'admin', legacy: true },
    { method: 'POST', path: '/api/machine/locked_out/:name', auth: 'admin', legacy: true },
    { method: 'DELETE', path: '/api/machine/locked_out/:name', auth: 'admin', legacy: true },
    { method: 'POST', path: '/api/reload-users', auth: 'admin', legacy: true },
    { method: 'GET', path: '/api/', auth: 'none', legacy: true },
    { method: 'GET', path: '/metrics', auth: 'none' },
    { method: 'GET', path: '/openapi.json', auth: 'none' },
    { method: 'POST', path: SYNC_PATH, auth: 'unit', body: unit },
    { method: 'POST', path: LIST_PATH, auth: 'unit', body: listReq },
    { method: 'POST', path: '/api/admin/units', auth: 'admin', body: () => ({ machine: 'saw' }) },
    { method: 'GET', path: '/api/admin/users', auth: 'admin' },
    { method: 'PUT', path: '/api/admin/users', auth: 'admin', body: () => USERS_RAW, query: () => ({ dry_run: 'true' }) },
    { method: 'GET', path: '/api/admin/users/history', auth: 'admin' },
    { method: 'POST', path: '/api/admin/users/rollback', auth: 'admin', body: () => ({ dry_run: true }) },
    { method: 'GET', path: '/api/admin/machines', auth: 'admin' },
    { method: 'POST', path: '/api/admin/machines/:name/oops', auth: 'admin', body: () => ({ by: 'fuzz' }) },
    { method: 'DELETE', path: '/api/admin/machines/:name/oops', auth: 'admin' },
    { method: 'POST', path: '/api/admin/machines/:name/lockout', auth: 'admin', body: () => ({ cut: true, by: 'fuzz' }) },
    { method: 'DELETE', path: '/api/admin/machines/:name/lockout', auth: 'admin' },
    { method: 'GET', path: '/api/admin/events', auth: 'admin', query: () => ({ machine: 'lathe', limit: '5' }) },
    { method: 'GET', path: '/api/admin/sessions', auth: 'admin', query: () => ({ member: '1', from: '0', to: '99999999999999' }) },
  ];
}

function queryString(q: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const k of Object.keys(q)) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(q[k]))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

/** A captured pino stream (the app logs at debug level during the fuzz run). */
function captureLog(): { lines: string[]; logger: { level: string; stream: { write(s: string): void } } } {
  const lines: string[] = [];
  return { lines, logger: { level: 'debug', stream: { write: (s: string) => void lines.push(s) } } };
}

type Signed = { text: string; sig: string; path: string };

/** One fuzz run: the app, the generator, the two registered units and what has been sent. */
interface FuzzRun {
  t: TestApp;
  g: Gen;
  units: TestUnit[];
  fob: TestUnit;
  sent: number;
  counts: Record<string, number>;
  /** The last signed request the server accepted (200): sending it again is a replay. */
  lastSigned: Signed | null;
}

/** One request as generated: where it goes and what it carries. */
interface FuzzRequest {
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  payload: string | Buffer | undefined;
  contentType: string | undefined;
  replayed: boolean;
  candidate: Signed | null;
}

/** The route's request, then damaged the way `kind` says (body, raw bytes, type, auth, name, query). */
function shapeRequest(run: FuzzRun, route: Route, kind: string): FuzzRequest {
  const g = run.g;
  const q: FuzzRequest = { path: route.path.replace(':name', g.pick(MACHINES)), query: route.query ? route.query() : {}, headers: {}, payload: undefined, contentType: undefined, replayed: false, candidate: null };
  if (route.auth === 'admin') Object.assign(q.headers, AUTH);
  let body = route.body ? route.body() : undefined;
  if (body === undefined && route.method !== 'GET' && route.method !== 'DELETE' && g.chance(0.3)) body = g.value(2);
  switch (kind) {
    case 'body':
      body = g.mutate(body === undefined ? {} : body);
      break;
    case 'raw':
      q.payload = g.rawGarbage();
      q.contentType = 'application/json';
      body = undefined;
      break;
    case 'content-type':
      q.contentType = g.pick(CONTENT_TYPES);
      break;
    case 'auth':
      if (route.auth === 'admin') {
        const a = g.pick(BAD_AUTH);
        if (a === '') delete q.headers.authorization;
        else q.headers.authorization = a;
      }
      break;
    case 'name':
      q.path = route.path.includes(':name') ? route.path.replace(':name', g.pick(NAME_ATTACKS)) : q.path + g.pick(['/', '/x', '%00', '/..', '/%2e%2e', '//', '/__proto__', '.json', '%', '?%zz']);
      break;
    case 'query':
      q.query = {};
      q.path += '?' + g.pick(QUERY_ATTACKS);
      break;
    default:
      break;
  }
  if (q.payload === undefined && body !== undefined) {
    q.payload = JSON.stringify(body);
    if (q.contentType === undefined) q.contentType = 'application/json';
  }
  if (q.contentType !== undefined && q.contentType !== '') q.headers['content-type'] = q.contentType;
  return q;
}

/** A unit route's signature: right, missing, foreign, cut or garbage (kind "auth"), or a replay. */
function signRequest(run: FuzzRun, route: Route, kind: string, q: FuzzRequest): void {
  if (route.auth !== 'unit' || q.payload === undefined) return;
  const sig = hmacHex(run.fob.key, q.payload);
  const how = kind === 'auth' ? run.g.int(5) : 9;
  q.headers[SIGNATURE_HEADER] =
    how === 0 ? '' : how === 1 ? hmacHex(run.units[1].key, q.payload) : how === 2 ? sig.slice(1) : how === 3 ? sig.toUpperCase() + 'zz' : how === 4 ? 'garbage' : sig;
  if (q.headers[SIGNATURE_HEADER] === '') delete q.headers[SIGNATURE_HEADER];
  if (kind === 'replay' && run.lastSigned && run.lastSigned.path === route.path) {
    q.replayed = true;
    q.payload = run.lastSigned.text;
    q.headers[SIGNATURE_HEADER] = run.lastSigned.sig;
  } else if (typeof q.payload === 'string') {
    q.candidate = { text: q.payload, sig: q.headers[SIGNATURE_HEADER] ?? '', path: route.path };
  }
}

/** A 4xx JSON error, the dashboard page, or a 200 that accepted nothing it should have refused. */
function checkAnswer(run: FuzzRun, route: Route, kind: string, q: FuzzRequest, r: Res & { json(): { code?: string; error: string } }, what: string): void {
  assert.ok(r.statusCode < 500, `${what}: ${r.statusCode} ${r.body.slice(0, 300)}`);
  if (r.statusCode >= 400) {
    assertClientError(r, what);
    // dm_mac routes answer only "error" (the router's own errors come before any route is known).
    const code = r.json().code;
    if (route.legacy && r.statusCode !== 404 && code !== 'BAD_URL' && code !== 'URL_TOO_LONG') assert.equal(Object.keys(r.json()), ['error'], what);
    if (code === 'BAD_URL') assert.match(r.json().error, 'malformed URL', what);
    return;
  }
  if (String(r.headers['content-type'] ?? '').startsWith('text/html')) {
    // A path that normalises to `/` (e.g. /openapi.json/%2e%2e under inject) is the dashboard page.
    assert.ok(r.body.includes('/assets/dashboard.js'), `${what}: an HTML answer that is not the dashboard page`);
    assert.ok(String(r.headers['content-security-policy'] ?? '').includes("script-src 'self'"), `${what}: dashboard page without its CSP`);
    return;
  }
  assertNoStack(r, what);
  if (q.replayed) assert.unreachable(`${what}: a replayed signed request was accepted`);
  if (route.auth === 'unit' && q.candidate) run.lastSigned = q.candidate;
  if (route.auth === 'unit' && typeof q.payload === 'string') {
    // A mutated but valid counter was taken: carry on above it.
    const c = (JSON.parse(q.payload) as { counter?: unknown }).counter;
    if (typeof c === 'number' && c > run.fob.counter) run.fob.counter = c;
  }
  if (route.auth === 'admin' && kind === 'auth') {
    assert.match(String(q.headers.authorization), new RegExp(`^bearer\\s+${TOKEN}$`, 'i'), `${what}: accepted a bad credential`);
  }
}

async function sendFuzz(run: FuzzRun, route: Route, kind: string) {
  const q = shapeRequest(run, route, kind);
  signRequest(run, route, kind, q);
  const url = q.path.includes('?') ? q.path : q.path + queryString(q.query);
  if (process.env.FUZZ_TRACE) console.log(run.sent, kind, route.method, url.slice(0, 80), typeof q.payload === 'string' ? q.payload.length : q.payload ? 'bytes' : '');
  const r = await run.t.app.inject({ method: route.method, url, headers: q.headers, payload: q.payload });
  run.sent++;
  run.counts[kind] = (run.counts[kind] ?? 0) + 1;
  const what = `#${run.sent} ${kind} ${route.method} ${url.slice(0, 120)} ${typeof q.payload === 'string' ? q.payload.slice(0, 160) : q.payload ? '<bytes>' : ''}`;
  checkAnswer(run, route, kind, q, r, what);
  return r;
}

/** After the fuzz: the server still answers a heartbeat, a sync, the fleet and /metrics; events are whole. */
async function checkStillServing(run: FuzzRun, statuses: Record<number, number>): Promise<StoredRow[]> {
  const t = run.t;
  assert.is((await t.app.inject({ method: 'GET', url: '/api/' })).statusCode, 200);
  const rows = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines as { name: string; registered: boolean }[];
  const legacyOne = rows.find((m) => !m.registered);
  assert.ok(legacyOne, 'a machine without a unit is left');
  const hb = await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update(legacyOne!.name, { uptime: 1e9 }) });
  assert.is(hb.statusCode, 200, hb.body);
  // (thousands of requests from one unit at one instant are over its budget: a minute refills it)
  assert.ok((statuses[429] ?? 0) > 0, 'the unit was held to its request budget');
  t.now.value += 60_000;
  const s = await run.fob.sync();
  assert.is(s.res.statusCode, 200, s.res.body);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).statusCode, 200);
  assert.is((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
  const events = (await t.app.inject({ method: 'GET', url: '/api/admin/events?limit=10000', headers: AUTH })).json().events as StoredRow[];
  assert.is(new Set(events.map((e) => e.id)).size, events.length, 'event ids unique');
  const unitSeqs = events.filter((e) => e.machine === 'unit1' && e.unit_seq !== null).map((e) => e.unit_seq);
  assert.is(new Set(unitSeqs).size, unitSeqs.length, 'each unit event stored once');
  return events;
}

/** Restart over the same folder: the state and the event database load, the unit keeps its key and counter. */
async function checkRestartKeeps(run: FuzzRun, events: StoredRow[]): Promise<void> {
  const dir = run.t.dir;
  assert.type(stateOnDisk(dir).units.unit1, 'object');
  const t2 = await makeApp({ dir });
  try {
    const again = new TestUnit(t2.app, 'unit1');
    again.key = run.fob.key;
    again.counter = run.fob.counter;
    const r = await again.sync();
    assert.is(r.res.statusCode, 200, r.res.body);
    const replay = await again.sendRaw(JSON.stringify(Object.assign(again.request(), { counter: run.fob.counter })));
    assert.is(replay.statusCode, 409, replay.body);
    const ev2 = (await t2.app.inject({ method: 'GET', url: '/api/admin/events?limit=10000', headers: AUTH })).json().events as unknown[];
    assert.ok(ev2.length >= events.length, `events after restart: ${ev2.length} < ${events.length}`);
  } finally {
    await t2.close();
    removeDir(dir);
  }
}

async function startFuzz(t: TestApp): Promise<FuzzRun> {
  // FUZZ_SEED explores further by hand; the suite runs the fixed seed.
  const g = new Gen(prng(Number(process.env.FUZZ_SEED ?? 0x5eed)));
  const units = [new TestUnit(t.app, 'unit1'), new TestUnit(t.app, 'drill')];
  for (const u of units) await u.register();
  return { t, g, units, fob: units[0], sent: 0, counts: {}, lastSigned: null };
}

test('thousands of generated malformed requests at every route: 4xx JSON errors, no crash, state reloads, no secrets logged', async () => {
  const log = captureLog();
  const t = await makeApp({ extra: { logger: log.logger as never, accessLog: true } });
  const total = Number(process.env.FUZZ_COUNT ?? 4000);
  const run = await startFuzz(t);
  let seq = 0;
  const unitBody = () => {
    const req = run.fob.request() as unknown as Record<string, unknown>;
    if (run.g.chance(0.3)) req.events = [{ seq: ++seq, type: run.g.pick(['boot', 'session_start', 'denied', 'error', 'oops']), at: 0, up: 10, fob: '0000000001' }];
    return req;
  };
  const listBody = () => ({ machine: 'unit1', counter: ++run.fob.counter, version: run.g.pick([1, 2, 3, 0]) });
  const table = routes(unitBody, listBody);
  const kinds = ['body', 'body', 'body', 'raw', 'content-type', 'auth', 'name', 'query', 'replay', 'valid'];
  const statuses: Record<number, number> = {};
  let events: StoredRow[];
  try {
    for (let i = 0; i < total; i++) {
      const r = await sendFuzz(run, run.g.pick(table), run.g.pick(kinds));
      statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1;
    }
    events = await checkStillServing(run, statuses);
  } catch (e) {
    await t.close();
    removeDir(t.dir);
    throw e;
  }
  await t.close();
  await checkRestartKeeps(run, events);

  // Nothing secret in the log, and nothing the error handler could not place.
  const text = log.lines.join('');
  assert.ok(log.lines.length > run.sent, 'the app logged at debug level');
  assert.not.ok(text.includes(TOKEN), 'admin token in the log');
  for (const u of run.units) assert.not.ok(text.includes(u.key), 'unit key in the log');
  assert.not.match(text, /"level":50/, 'an unhandled error was logged');
  assert.ok(run.sent >= total);
  console.log(`  hostile-input: ${run.sent} requests`, JSON.stringify(run.counts), 'statuses', JSON.stringify(statuses));
});

/** A sync signed over its UTF-8 bytes, as they travel; the answer is 200, ASCII and signed. */
async function syncUtf8(unit: TestUnit, over: Record<string, unknown>) {
  const utf8 = Buffer.from(JSON.stringify(unit.request(over)), 'utf8');
  const res = await unit.app.inject({
    method: 'POST',
    url: SYNC_PATH,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(unit.key, utf8) },
    payload: utf8,
  });
  assert.is(res.statusCode, 200, res.body);
  assert.not.match(res.body, /[\u0080-\uffff]/, 'answer text is ASCII');
  assert.is(res.headers[SIGNATURE_HEADER], hmacHex(unit.key, res.body));
  return { res, body: res.json() as { ack_seq: number } };
}

test('signed garbage from a registered unit: sensible 4xx, events stored exactly once, nothing lost or corrupted', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const ev = (seq: number, over: Record<string, unknown> = {}) => Object.assign({ seq, type: 'denied', at: 0, up: 10, fob: '0000000099', reason: 'unknown' }, over);
    const refused: [string, Record<string, unknown>][] = [
      ['events', { events: Array.from({ length: 10000 }, (_, i) => ev(i + 1)) }],
      ['events/0/seq', { events: [ev(-5)] }],
      ['events/0/seq', { events: [ev(0)] }],
      ['events/0/seq', { events: [ev(1.5)] }],
      ['events/0/detail', { events: [ev(1, { detail: 'd'.repeat(1_000_000) })] }],
      ['events/0/detail', { events: [ev(1, { detail: { nested: { deeper: [1, 2, 3] } } })] }],
      ['events/0', { events: [ev(1, { extra: { a: 1 } })] }],
      ['events/0/fob', { events: [ev(1, { fob: ['0000000001'] })] }],
      ['events/0/type', { events: [ev(1, { type: 'DROP TABLE' })] }],
      ['events/0/type', { events: [ev(1, { type: '__proto__x'.repeat(10) })] }],
      ['fw', { fw: 'f'.repeat(1_000_000) }],
      ['state/display', { state: Object.assign(u.request().state, { display: { text: 'x' } }) }],
      ['telemetry/wifi_signal_db', { telemetry: { wifi_signal_db: 'strong', free_vars: 1, temp_c10: 1 } }],
      ['events', { events: { 0: ev(1) } }],
      ['counter', { counter: -1 }],
      ['counter', { counter: '7' }],
    ];
    for (const [field, over] of refused) {
      const r = await u.sendRaw(JSON.stringify(Object.assign(u.request(), over)));
      assert.ok(r.statusCode === 400 || r.statusCode === 413, `${field}: ${r.statusCode} ${r.body.slice(0, 200)}`);
      assertClientError(r, field);
      if (r.statusCode === 400) assert.match(r.json().error, `body/${field}`);
    }
    // Accepted: odd but valid values, non-ASCII text, events out of order and repeated.
    const batch = [ev(3), ev(1, { type: 'session_start', fob: '0000000001', reason: 'authorized' }), ev(2, { type: 'error', detail: 'ünïcødé ✓ 機械 🔥 \u0000' }), ev(3), ev(2)];
    const a = await syncUtf8(u, { fw: 'fw-ünï-✓', events: batch });
    assert.is(a.body.ack_seq, 3);
    const fleet = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    const row = fleet.machines.find((m: { name: string }) => m.name === 'unit1');
    assert.is(row.firmware, 'fw-ünï-✓');
    // The unit resends the same events (it lost the answer), plus a new one: only the new one is stored.
    const b = await syncUtf8(u, { events: batch.concat([ev(4, { type: 'future_event_type', detail: 'x'.repeat(EVENT_DETAIL_MAX) })]) });
    assert.is(b.body.ack_seq, 4);
    // A replay of an accepted request is refused, and stores nothing.
    const replay = await u.sendRaw(JSON.stringify(Object.assign(u.request(), { counter: u.counter - 1, events: [ev(5)] })));
    assert.is(replay.statusCode, 409, replay.body);
    assertClientError(replay, 'replay');
    // The most events one sync carries, seq gaps and all, land once each.
    const thousand = Array.from({ length: MAX_EVENTS_PER_SYNC }, (_, i) => ev(10 + i * 3, { detail: 'é'.repeat(100) }));
    const c = await syncUtf8(u, { events: thousand });
    assert.is(c.body.ack_seq, 10 + (MAX_EVENTS_PER_SYNC - 1) * 3);
    await syncUtf8(u, { events: thousand });
    const events = (await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=unit1&limit=10000', headers: AUTH })).json().events as StoredRow[];
    const seqs = events.filter((e) => e.unit_seq !== null).map((e) => e.unit_seq as number).sort((x, y) => x - y);
    assert.is(seqs.length, MAX_EVENTS_PER_SYNC + 4, 'every unit event stored exactly once');
    assert.is(new Set(seqs).size, seqs.length);
    assert.equal(seqs.slice(0, 4), [1, 2, 3, 4]);
    // A restart keeps all of it.
    await t.close();
    const t2 = await makeApp({ dir: t.dir });
    try {
      const after = (await t2.app.inject({ method: 'GET', url: '/api/admin/events?machine=unit1&limit=10000', headers: AUTH })).json().events as StoredRow[];
      assert.is(after.filter((e) => e.unit_seq !== null).length, MAX_EVENTS_PER_SYNC + 4);
      const u2 = new TestUnit(t2.app, 'unit1');
      u2.key = u.key;
      u2.counter = u.counter;
      const d = await syncUtf8(u2, { events: thousand });
      assert.is(d.body.ack_seq, 10 + (MAX_EVENTS_PER_SYNC - 1) * 3, 'acknowledged seq survives a restart');
      const stale = await u2.sendRaw(JSON.stringify(Object.assign(u2.request(), { counter: u.counter })));
      assert.is(stale.statusCode, 409, 'counter survives a restart');
    } finally {
      await t2.close();
    }
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('legacy /api/machine/update with every field mistyped: 400 naming the field, dm_mac error body', async () => {
  const t = await makeApp();
  try {
    const wrong: Record<string, unknown[]> = {
      machine_name: [null, 7, true, [], {}, '', 'x'.repeat(65)],
      oops: ['true', 1, 0, null, [], {}],
      rfid_value: [12345, true, [], {}, 'abc', '-1', '1'.repeat(33), '0x10'],
      uptime: ['10', true, [], {}, -1, -1e300],
      wifi_signal_db: ['-60', true, [], {}],
      wifi_signal_percent: ['80%', false, [80], { v: 80 }],
      internal_temperature_c: ['40', true, [], {}],
      amps: ['0', true, [], {}],
      second_relay_state: ['on', 1, [], {}],
    };
    let n = 0;
    for (const field of Object.keys(wrong)) {
      for (const v of wrong[field]) {
        const r = await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update('lathe', { [field]: v }) });
        const what = `${field}=${JSON.stringify(v).slice(0, 40)}`;
        assert.is(r.statusCode, 400, `${what}: ${r.body}`);
        assertClientError(r, what);
        assert.match(r.json().error, field, what);
        assert.equal(Object.keys(r.json()), ['error'], what);
        n++;
      }
    }
    assert.ok(n > 40);
    // Nothing of that reached the machine: it was never updated.
    const fleet = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    assert.is(fleet.machines.find((m: { name: string }) => m.name === 'lathe').last_checkin, null);
    const ok = await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update('lathe', { uptime: 1e300, amps: -1e300, rfid_value: null }) });
    assert.is(ok.statusCode, 200, ok.body);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('requests the HTTP parser refuses (real socket): a JSON error saying what is wrong, server keeps serving', async () => {
  const log = captureLog();
  const t = await makeApp({ extra: { logger: Object.assign(log.logger, { level: 'trace' }) as never, accessLog: true } });
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as { port: number }).port;
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1');
        let out = '';
        s.on('data', (d) => (out += d.toString()));
        s.on('close', () => resolve(out));
        s.on('error', () => undefined);
        s.write(text);
        setTimeout(() => s.end(), 100).unref();
      });
    const body = '{"machine_name":"lathe"}';
    const head = `POST /api/machine/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n`;
    const cases: [string, string, number, string][] = [
      ['bad content-length', `${head}Content-Length: abc\r\n\r\n${body}`, 400, 'Content-Length'],
      ['content-length and chunked', `${head}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 400, 'Content-Length|Transfer-Encoding'],
      ['bad chunk size', `${head}Transfer-Encoding: chunked\r\n\r\nzz\r\n${body}\r\n0\r\n\r\n`, 400, 'chunked body'],
      ['headers too large', `GET /api/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, 431, 'headers'],
      ['garbage request line', '\u0000\u0001 NONSENSE\r\n\r\n', 400, 'malformed HTTP request'],
      ['unknown method', 'FOO /api/ HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'method'],
      ['bad header', `GET /api/ HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n`, 400, 'header'],
    ];
    for (const [name, text, status, says] of cases) {
      const out = await raw(text);
      const m = /^HTTP\/1\.1 (\d+) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(out);
      assert.ok(m, `${name}: ${JSON.stringify(out.slice(0, 200))}`);
      assert.is(Number(m![1]), status, `${name}: ${out}`);
      assert.match(m![2], /content-type: application\/json/i, name);
      const b = JSON.parse(m![3]);
      assert.type(b.error, 'string', name);
      assert.match(b.error, new RegExp(says), `${name}: ${b.error}`);
    }
    const ok = await fetch(`http://127.0.0.1:${port}/api/`);
    assert.is(ok.status, 200);
    await ok.arrayBuffer();
    // Node hands these errors the raw bytes (with the Authorization header): never logged.
    // (fastify's own handler logs them at trace level as a byte array, credentials and all)
    const logged = log.lines.join('');
    assert.not.ok(logged.includes(TOKEN), 'admin token in the log');
    assert.not.ok(logged.includes('rawPacket'), 'raw request bytes in the log');
    assert.not.ok(logged.includes(Array.from(Buffer.from(TOKEN)).join(',')), 'admin token bytes in the log');
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('prototype keys in bodies and names are refused as unknown, never merged', async () => {
  const t = await makeApp();
  try {
    const json = { 'content-type': 'application/json' };
    const u = JSON.stringify(USERS_RAW[1]);
    const cases: [string, string, Record<string, string>, string, string][] = [
      ['PUT', '/api/admin/users', { ...AUTH, ...json }, `[${u.slice(0, -1)},"__proto__":{"oops_override":true,"authorizations":["Lathe"]}}]`, 'unknown key "__proto__"'],
      ['PUT', '/api/admin/users', { ...AUTH, ...json }, `[${u.slice(0, -1)},"constructor":{"prototype":{"x":1}}}]`, 'unknown key "constructor"'],
      ['POST', '/api/machine/update', json, '{"machine_name":"lathe","__proto__":{"oops":true}}', 'unknown key "__proto__"'],
      ['POST', '/api/admin/machines/lathe/lockout', { ...AUTH, ...json }, '{"__proto__":{"cut":true}}', 'unknown key "__proto__"'],
      ['POST', '/api/admin/units', { ...AUTH, ...json }, '{"machine":"__proto__"}', 'No such machine'],
      ['POST', '/api/admin/units', { ...AUTH, ...json }, '{"machine":"constructor"}', 'No such machine'],
      ['POST', '/api/machine/update', json, '{"machine_name":"hasOwnProperty"}', 'No such machine'],
      ['POST', '/api/admin/machines/__proto__/oops', AUTH, '', 'No such machine'],
      ['DELETE', '/api/machine/locked_out/constructor', AUTH, '', 'No such machine'],
      ['POST', SYNC_PATH, json, '{"machine":"__proto__","counter":1}', 'No such machine'],
    ];
    for (const [method, url, headers, payload, says] of cases) {
      const r = await t.app.inject({ method: method as 'POST', url, headers, payload: payload === '' ? undefined : payload });
      assertClientError(r, `${method} ${url} ${payload}`);
      assert.match(r.json().error, says, `${method} ${url} ${payload}`);
    }
    const users = (await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH })).json() as { oops_override?: boolean }[];
    assert.is(users.length, USERS_RAW.length);
    assert.is(({} as { oops_override?: boolean }).oops_override, undefined, 'Object.prototype untouched');
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('an unsigned legacy update cannot speak for a machine whose fobgate unit is registered', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    assert.is((await u.sync()).res.statusCode, 200);
    const sent = t.notifier.sent.length;
    const r = await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update('unit1', { oops: true, rfid_value: '0000000001' }) });
    assert.is(r.statusCode, 403, r.body);
    assertClientError(r, 'legacy update of a fobgate machine');
    assert.equal(Object.keys(r.json()), ['error']);
    assert.match(r.json().error, 'fobgate unit is registered');
    assert.is(t.notifier.sent.length, sent, 'no Slack message');
    const row = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines.find((m: { name: string }) => m.name === 'unit1');
    assert.is(row.oopsed, false);
    // Machines without a unit keep speaking dm_mac.
    assert.is((await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update('lathe') })).statusCode, 200);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('the docs file server refusing a path says which request it refused', async () => {
  const t = await makeApp();
  try {
    for (const url of ['/docs/static/' + 'a'.repeat(300), '/docs/static/%00', '/docs/static//etc/passwd']) {
      const r = await t.app.inject({ method: 'GET', url });
      assertClientError(r, url);
      const b = r.json();
      assert.ok(b.error.length > 'Forbidden'.length, `${url}: ${b.error}`);
      assert.match(b.error, 'GET /docs/', url);
      assert.is.not(b.code, r.statusCode === 400 ? '' : 'BAD_REQUEST', url);
    }
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('admin routes cannot be reached unauthenticated through a percent-encoded path', async () => {
  const t = await makeApp();
  try {
    const probes: [string, string][] = [
      ['GET', '/api/%61dmin/machines'],
      ['GET', '/api/%61dmin/users'],
      ['GET', '/%61pi/admin/events'],
      ['GET', '/api/admi%6e/sessions'],
      ['POST', '/api/%61dmin/machines/lathe/oops'],
      ['DELETE', '/api/%61dmin/machines/lathe/lockout'],
      ['POST', '/api/%61dmin/units'],
      ['HEAD', '/api/%61dmin/users'],
      ['PUT', '/api/%61dmin/users'],
      ['GET', '/api/%61dmin/users/history'],
      ['HEAD', '/api/admin/users/%68istory'],
      ['POST', '/api/%61dmin/users/rollback'],
    ];
    for (const [method, url] of probes) {
      const r = await t.app.inject({ method: method as 'GET', url, payload: method === 'GET' || method === 'DELETE' ? undefined : method === 'PUT' ? [] : { machine: 'lathe' } });
      assert.is(r.statusCode, 401, `${method} ${url}: ${r.body}`);
      if (method !== 'HEAD') assertClientError(r, url);
    }
    const ok = await t.app.inject({ method: 'GET', url: '/api/%61dmin/machines', headers: AUTH });
    assert.is(ok.statusCode, 200);
    assert.ok(TOKEN.length > 0);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('a unit signing absurd integers is refused and cannot wedge itself or the fleet list version', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const other = new TestUnit(t.app, 'lathe');
    await other.register();
    const first = await u.sync();
    assert.is(first.res.statusCode, 200);
    const latest = first.body!.latest_list_version;
    const absurd: [string, Record<string, unknown>][] = [
      ['list_version', { list_version: 1e300 }],
      ['list_version', { list_version: 2 ** 53 + 2 }],
      ['counter', { counter: 2 ** 60 }],
      ['command_ack', { command_ack: 1e300 }],
      ['boot_count', { boot_count: 1e300 }],
      ['dropped_events', { dropped_events: 1e300 }],
      ['up', { up: 1e300 }],
      ['events/0/seq', { events: [{ seq: 1e300, type: 'boot', at: 0, up: 0 }] }],
      ['events/0/at', { events: [{ seq: 1, type: 'session_end', at: 1e300, up: 0, fob: '0000000001', dur: 5 }] }],
      ['events/0/dur', { events: [{ seq: 1, type: 'session_end', at: 0, up: 0, fob: '0000000001', dur: 1e300 }] }],
      ['events/0/count', { events: [{ seq: 1, type: 'dropped', at: 0, up: 0, count: 1e300 }] }],
    ];
    for (const [field, over] of absurd) {
      const req = u.request() as unknown as Record<string, unknown>;
      const r = await u.sendRaw(JSON.stringify(Object.assign(req, over)));
      assert.is(r.statusCode, 400, `${field}: ${r.body}`);
      assertClientError(r, field);
      assert.match(r.json().error, `body/${field}`);
    }
    // The unit and the others carry on with sane values: nothing absurd was taken.
    const after = await u.sync({ events: [{ seq: 1, type: 'boot', at: 0, up: 0 }] });
    assert.is(after.res.statusCode, 200, after.res.body);
    assert.is(after.body!.ack_seq, 1);
    assert.is(after.body!.latest_list_version, latest);
    const o = await other.sync();
    assert.is(o.res.statusCode, 200, o.res.body);
    assert.is(o.body!.latest_list_version, latest);
    // The largest accepted list version is checked against what the server issued, not adopted:
    // the fleet's list version stays where the server put it.
    const top = await u.sync({ list_version: 2147483647, list_digest: 'x' });
    assert.is(top.res.statusCode, 200, top.res.body);
    assert.is(top.body!.latest_list_version, latest);
    const o2 = await other.sync();
    assert.is(o2.res.statusCode, 200, o2.res.body);
    assert.is(o2.body!.latest_list_version, latest);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
