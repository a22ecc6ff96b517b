// The lean path of POST /api/machine/update (lean-json-route.ts, front-door.ts) answers exactly
// what fastify's normal pipeline answers: the same requests, over real HTTP on loopback, go to
// one app with the plain `application/json` content type (the front door takes them) and to a
// twin app with a spelling the lean path hands on to fastify (`application/json;charset=utf-8`);
// status, headers that matter and body must match byte for byte, through changes, saves, save
// timeouts, every kind of bad input and a closing server. What fastify does for the route that
// the front door skips is pinned here too (the route's hooks, the access log, app.inject).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { request } from 'node:http';
import { ANSWER_MARGIN_MS } from '../src/save-budget.js';
import { leanAccepts } from '../src/lean-json-route.js';
import { makeApp, removeDir, update, type TestApp, type TestAppOptions } from './helpers.js';

const LEAN = 'application/json';
const NORMAL = 'application/json;charset=utf-8';
const HEADERS = ['content-type', 'content-length', 'connection', 'keep-alive', 'retry-after', 'allow'];

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

function post(url: string, type: string, body: string, method = 'POST', path = '/api/machine/update'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          const headers: Record<string, string | undefined> = {};
          for (const h of HEADERS) headers[h] = res.headers[h] as string | undefined;
          resolve({ status: res.statusCode ?? 0, headers, body: text });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Twin {
  t: TestApp;
  url: string;
}

async function twin(o: TestAppOptions = {}): Promise<Twin> {
  const t = await makeApp({ budgetMs: 300, ...o });
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
  // The front door takes the route's requests once fastify has shown it the route's compiled
  // schema (the route's first request): a body without the machine's name changes nothing.
  const first = await post(url, LEAN, '{}');
  assert.is(first.status, 400, first.body);
  assert.is(t.app.frontDoor.taken, 0);
  return { t, url };
}

let lean: Twin;
let normal: Twin;
test.before.each(async () => {
  lean = await twin();
  normal = await twin();
});
test.after.each(async () => {
  for (const x of [lean, normal]) {
    await x.t.close();
    removeDir(x.t.dir);
  }
});

/** The same body to both apps: the answers must be identical. */
async function same(body: string, what: string): Promise<Answer> {
  const taken = lean.t.app.frontDoor.taken;
  const a = await post(lean.url, LEAN, body);
  const b = await post(normal.url, NORMAL, body);
  assert.equal(a, b, what);
  assert.is(lean.t.app.frontDoor.taken, taken + 1, `${what}: taken by the front door`);
  assert.is(normal.t.app.frontDoor.taken, 0, `${what}: the twin's front door took nothing`);
  return a;
}

const json = (o: unknown) => JSON.stringify(o);

test('the lean path takes plain JSON with a length, and hands everything else on', () => {
  const limit = 1024;
  assert.ok(leanAccepts({ 'content-type': 'application/json', 'content-length': '10' }, limit));
  assert.ok(leanAccepts({ 'content-type': 'Application/JSON; charset=UTF-8', 'content-length': '10' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'application/json;charset=utf-8', 'content-length': '10' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'text/plain', 'content-length': '10' }, limit));
  assert.not.ok(leanAccepts({ 'content-length': '10' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'application/json' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'application/json', 'content-length': '0' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'application/json', 'content-length': '1025' }, limit));
  assert.not.ok(leanAccepts({ 'content-type': 'application/json', 'content-length': '10', 'transfer-encoding': 'chunked' }, limit));
});

test('heartbeats, logins, logouts and oopses: the same answers, the same state saved', async () => {
  const steps: [string, Record<string, unknown>][] = [
    ['idle heartbeat', update('lathe')],
    ['card in', update('lathe', { rfid_value: '1' })],
    ['heartbeat with the card in', update('lathe', { rfid_value: '1' })],
    ['telemetry as null', update('lathe', { rfid_value: '1', amps: null, wifi_signal_db: null })],
    ['oops', update('lathe', { rfid_value: '1', oops: true })],
    ['held oops', update('lathe', { rfid_value: '1', oops: true })],
    ['card out', update('lathe', { rfid_value: '' })],
    ['reboot', update('lathe', { uptime: 1 })],
    ['second relay', update('saw', { rfid_value: '0000000001', second_relay_state: true })],
    ['unauthorized', update('saw', { rfid_value: '0000000003' })],
    ['always enabled', update('lights')],
    ['only the name', { machine_name: 'drill' }],
  ];
  for (const [what, body] of steps) {
    const a = await same(json(body), what);
    assert.is(a.status, 200, `${what}: ${a.body}`);
    assert.is(a.headers['content-type'], 'application/json; charset=utf-8');
  }
  assert.equal(lean.t.store.machine('lathe'), normal.t.store.machine('lathe'));
  assert.equal(lean.t.notifier.sent.map((s) => s.text), normal.t.notifier.sent.map((s) => s.text));
});

test('bad input: the same errors from the app error handler, and bad JSON closes the connection', async () => {
  const cases: [string, string, number][] = [
    ['unknown machine', json(update('nope')), 404],
    ['not JSON', '{"machine_name": ', 400],
    ['not an object', '[1,2]', 400],
    ['a string', '"lathe"', 400],
    ['unknown key', json({ ...update('lathe'), colour: 'red' }), 400],
    ['wrong type', json(update('lathe', { uptime: 'soon' })), 400],
    ['negative uptime', json(update('lathe', { uptime: -1 })), 400],
    ['missing name', json({ oops: false }), 400],
    ['letters in the fob', json(update('lathe', { rfid_value: '12ab' })), 400],
    ['overlong name', json(update('x'.repeat(65))), 400],
  ];
  for (const [what, body, status] of cases) {
    const a = await same(body, what);
    assert.is(a.status, status, `${what}: ${a.body}`);
    assert.ok(JSON.parse(a.body).error, what);
    if (what === 'not JSON') assert.is(a.headers.connection, 'close');
  }
});

test('a save that outlasts the budget: the same 503 on both paths', async () => {
  await same(json(update('lathe')), 'first');
  lean.t.disk.stall();
  normal.t.disk.stall();
  const a = await same(json(update('lathe', { rfid_value: '1' })), 'card in on a stuck disk');
  assert.is(a.status, 503, a.body);
  lean.t.disk.release();
  normal.t.disk.release();
});

test('a keep-alive connection carries heartbeats and an error in turn on the lean path', async () => {
  const host = new URL(lean.url);
  const answers = await new Promise<string>((resolve, reject) => {
    const s = connect(Number(host.port), host.hostname);
    const req = (body: string) =>
      `POST /api/machine/update HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      text += d;
      if ((text.match(/HTTP\/1\.1 /g) ?? []).length === 3) {
        s.end();
        resolve(text);
      }
    });
    s.on('error', reject);
    // two heartbeats and an unknown machine in one write (pipelined)
    s.write(req(json(update('lathe'))) + req(json(update('nope'))) + req(json(update('lathe', { uptime: 200 }))));
  });
  const statuses = Array.from(answers.matchAll(/HTTP\/1\.1 (\d+)/g)).map((m) => Number(m[1]));
  assert.equal(statuses, [200, 404, 200]);
});

/** Raw HTTP/1.1 text of a POST of `body` to the update route. */
const rawPost = (type: string, body: string) =>
  `POST /api/machine/update HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** An answer's text without its Date header (the only part that may differ between twins). */
const undated = (text: string) => text.replace(/^Date: .*\r\n/gim, '');

test('the route runs no hook but the two the front door stands in for', () => {
  // A hook added to this route (auth, rate limit, request metrics) would not run for the
  // requests the front door answers: this fails until front-door.ts deals with it.
  for (const x of [lean, normal]) {
    const lines = x.t.app.printRoutes({ includeHooks: true, commonPrefix: false }).split('\n');
    const at = lines.findIndex((l) => l.includes('machine/update (POST)'));
    assert.ok(at >= 0);
    const hooks: string[] = [];
    for (let i = at + 1; i < lines.length && lines[i].includes('• ('); i++) hooks.push(lines[i].slice(lines[i].indexOf('• (') + 2));
    assert.equal(hooks, ['(onRequest) ["stampReceivedAt()","leanJson()"]']);
  }
});

test("stampReceivedAt's effect: the front door counts a save's budget from the request's arrival", async () => {
  const waits: number[] = [];
  const budgetTimer = (fn: () => void, ms: number) => {
    waits.push(ms);
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  };
  const x = await twin({ budgetMs: 2000, extra: { budgetTimer } });
  try {
    const a = await post(x.url, LEAN, json(update('lathe', { rfid_value: '1' })));
    assert.is(a.status, 200, a.body);
    assert.is(x.t.app.frontDoor.taken, 1);
    // the save waited at most what was left of the budget once the request had been read
    assert.is(waits.length, 1);
    assert.ok(waits[0] < 2000 - ANSWER_MARGIN_MS, String(waits[0]));
    assert.ok(waits[0] > 0, String(waits[0]));
  } finally {
    await x.t.close();
    removeDir(x.t.dir);
  }
});

test('other methods and URLs are fastify\'s: the same 405, 404 and answers as the twin', async () => {
  const body = json(update('lathe'));
  const cases: [string, string, number][] = [
    ['GET', '/api/machine/update', 405],
    ['PUT', '/api/machine/update', 405],
    ['POST', '/api/machine/update/', 404],
    ['POST', '/API/machine/update', 404],
    ['POST', '/api/machine/update?from=test', 200],
  ];
  for (const [method, path, status] of cases) {
    const a = await post(lean.url, LEAN, body, method, path);
    const b = await post(normal.url, NORMAL, body, method, path);
    assert.equal(a, b, `${method} ${path}`);
    assert.is(a.status, status, `${method} ${path}: ${a.body}`);
  }
  assert.is(lean.t.app.frontDoor.taken, 0);
});

test('app.inject goes through fastify (the lean hook): the same answer as over HTTP', async () => {
  for (const body of [json(update('lathe')), json(update('lathe', { rfid_value: '1' })), json(update('nope')), '{"machine_name": ']) {
    const i = await lean.t.app.inject({ method: 'POST', url: '/api/machine/update', headers: { 'content-type': LEAN }, payload: body });
    const b = await post(normal.url, NORMAL, body);
    assert.is(i.statusCode, b.status, body);
    assert.is(i.body, b.body, body);
    assert.is(i.headers['content-type'], b.headers['content-type'], body);
  }
  assert.is(lean.t.app.frontDoor.taken, 0);
});

test('with the access log on, fastify answers (and logs) every request', async () => {
  const lines: string[] = [];
  const stream = { write: (line: string) => void lines.push(line) };
  const x = await twin({ extra: { accessLog: true, logger: { level: 'info', stream } } });
  try {
    const a = await post(x.url, LEAN, json(update('lathe')));
    assert.is(a.status, 200, a.body);
    assert.is(x.t.app.frontDoor.taken, 0);
    assert.ok(lines.filter((l) => l.includes('request completed')).length >= 2, lines.join(''));
  } finally {
    await x.t.close();
    removeDir(x.t.dir);
  }
});

test("a closing server: a request on a connection still open gets fastify's 503, as on the twin", async () => {
  const texts: string[] = [];
  for (const [x, type] of [[lean, LEAN], [normal, NORMAL]] as const) {
    const port = Number(new URL(x.url).port);
    x.t.disk.stall();
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (text += d));
    const ended = new Promise<void>((resolve) => s.on('close', () => resolve()));
    // a card in waits for its save on the stuck disk: the connection stays busy while the app closes
    s.write(rawPost(type, json(update('lathe', { rfid_value: '1' }))));
    while (x.t.store.machine('lathe')?.state.rfid !== '0000000001') await new Promise((r) => setTimeout(r, 5));
    const closed = x.t.app.close();
    while (x.t.app.server.listening) await new Promise((r) => setTimeout(r, 5));
    s.write(rawPost(type, json(update('saw'))));
    while ((text.match(/HTTP\/1\.1 /g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 5));
    x.t.disk.release();
    await ended;
    await closed;
    const statuses = Array.from(text.matchAll(/HTTP\/1\.1 (\d+)/g)).map((m) => Number(m[1]));
    assert.equal(statuses, [503, 503], text);
    assert.match(text, /Service Unavailable/);
    texts.push(undated(text));
  }
  assert.is(texts[0], texts[1]);
  assert.is(lean.t.app.frontDoor.taken, 1, 'the card in, before the app began closing');
});

test.run();
