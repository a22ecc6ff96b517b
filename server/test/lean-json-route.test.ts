// The lean path of POST /api/machine/update (lean-json-route.ts) answers exactly what fastify's
// normal pipeline answers: the same requests, over real HTTP on loopback, go to one app with the
// plain `application/json` content type (the lean path) and to a twin app with a spelling the
// lean path hands on to fastify (`application/json;charset=utf-8`); status, headers that matter
// and body must match byte for byte, through changes, saves, save timeouts and every kind of bad
// input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { request } from 'node:http';
import { leanAccepts } from '../src/lean-json-route.js';
import { makeApp, removeDir, update, type TestApp } from './helpers.js';

const LEAN = 'application/json';
const NORMAL = 'application/json;charset=utf-8';
const HEADERS = ['content-type', 'content-length', 'connection', 'retry-after'];

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

function post(url: string, type: string, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/machine/update`,
      { method: 'POST', agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body) } },
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

async function twin(): Promise<Twin> {
  const t = await makeApp({ budgetMs: 300 });
  const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
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
  const a = await post(lean.url, LEAN, body);
  const b = await post(normal.url, NORMAL, body);
  assert.equal(a, b, what);
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

test.run();
