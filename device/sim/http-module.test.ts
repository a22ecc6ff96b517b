// Tests of the simulated http module against a real loopback server: the synchronous throw on a
// refused connection (at end(), where the interpreter connects), 8-bit chunks, string status,
// raw header names, no timeout, late answers dropped after a reboot, and the tamper hook.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimClock } from './clock.js';
import { HTTP_CHUNK, SimHttpModule, type SimHttpResponse } from './http-module.js';

const realm = { error: (m: string) => new Error(m), object: () => ({}) as { [k: string]: unknown } };
let server: http.Server;
let port = 0;
let hang = false;
const bodies: string[] = [];

test.before(async () => {
  server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      bodies.push(Buffer.concat(parts).toString('latin1'));
      if (hang) return;
      const big = 'é'.repeat(10) + 'x'.repeat(1200);
      res.writeHead(201, { 'X-Fobgate-Signature': 'abc', 'Content-Type': 'text/plain' });
      res.end(Buffer.from(big, 'latin1'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
test.after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function exchange(mod: SimHttpModule, body: string, headers: { [k: string]: string }) {
  const got = { res: null as SimHttpResponse | null, data: [] as string[], closed: false, errors: [] as unknown[] };
  const req = mod.request({ host: '127.0.0.1', port, path: '/api/v1/sync', method: 'POST', headers }, (res: SimHttpResponse) => {
    got.res = res;
    res.on('data', (d: unknown) => got.data.push(String(d)));
    res.on('close', () => { got.closed = true; });
  });
  req.on('error', (e: unknown) => got.errors.push(e));
  req.end(body);
  return got;
}

test('a POST arrives byte-exact; the answer comes as string status, raw headers and 8-bit chunks', async () => {
  const clock = new SimClock();
  let seq = 0;
  const mod = new SimHttpModule(clock, realm, () => ++seq);
  const got = exchange(mod, '{"a":"\u00e9"}', { 'Content-Type': 'application/json', 'Content-Length': '10' });
  await clock.flush();
  assert.is(bodies[bodies.length - 1], '{"a":"\u00e9"}');
  assert.ok(got.res);
  assert.is(got.res!.statusCode, '201');
  assert.is(got.res!.headers['X-Fobgate-Signature'], 'abc');
  assert.ok(got.data.length >= 3, 'split into network-sized chunks');
  assert.ok(got.data.every((c) => c.length <= HTTP_CHUNK));
  assert.is(got.data.join('').length, 1210, '8-bit: one character per byte');
  assert.is(got.data.join('').charCodeAt(0), 0xe9);
  assert.ok(got.closed);
  assert.is(mod.log[0].outcome, 'ok');
  mod.close();
});

test('a body without Content-Length reaches the server empty and is reported', async () => {
  const clock = new SimClock();
  const mod = new SimHttpModule(clock, realm, () => 0);
  exchange(mod, 'hello', {});
  await clock.flush();
  assert.is(bodies[bodies.length - 1], '');
  assert.match(mod.violations[0], /without Content-Length/);
  mod.close();
});

test('wire contract: non-integer numbers and non-ASCII characters in a JSON body are reported', async () => {
  const clock = new SimClock();
  const mod = new SimHttpModule(clock, realm, () => 0);
  const body = '{"up":3155.08,"name":"\u00e9"}';
  exchange(mod, body, { 'Content-Length': String(body.length) });
  await clock.flush();
  assert.ok(mod.violations.some((v) => /non-integer number 3155.08 at \/up/.test(v)), mod.violations.join('; '));
  assert.ok(mod.violations.some((v) => /non-ASCII/.test(v)));
  mod.close();
});

test('a refused connection throws synchronously from end(), not from request()', async () => {
  const clock = new SimClock();
  const mod = new SimHttpModule(clock, realm, () => 0);
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const req = mod.request({ host: '127.0.0.1', port: deadPort, path: '/', method: 'POST', headers: {} }, () => {});
  assert.throws(() => req.end(''), /Unable to create socket/);
  assert.is(mod.log[0].outcome, 'refused');
  mod.online = false;
  assert.throws(() => mod.request({ host: '127.0.0.1', port, path: '/', method: 'GET' }, () => {}).end(), /Unable to create socket/);
  mod.close();
});

test('an unknown host throws synchronously ("Unable to locate host")', () => {
  const mod = new SimHttpModule(new SimClock(), realm, () => 0);
  const req = mod.request({ host: 'no-such-host.invalid', port: 80, path: '/', method: 'GET' }, () => {});
  assert.throws(() => req.end(), /Unable to locate host/);
  mod.close();
});

test('no timeout: a server that never answers leaves the request pending while virtual time moves on', async () => {
  const clock = new SimClock({ settleCapMs: 200 });
  const mod = new SimHttpModule(clock, realm, () => 0);
  hang = true;
  const got = exchange(mod, 'x', { 'Content-Length': '1' });
  await clock.advance(60_000);
  hang = false;
  assert.is(got.res, null);
  assert.equal(got.errors, []);
  assert.is(mod.log[0].outcome, 'pending');
  assert.is(clock.now, 60_000);
  mod.close();
});

test('answers to a request from before a reboot never reach the new program', async () => {
  const clock = new SimClock();
  const mod = new SimHttpModule(clock, realm, () => 0);
  const got = exchange(mod, 'x', { 'Content-Length': '1' });
  mod.reset();
  await clock.flush();
  assert.is(got.res, null);
  mod.close();
});

test('the hook can tamper with an answer or withhold it', async () => {
  const clock = new SimClock({ settleCapMs: 200 });
  const mod = new SimHttpModule(clock, realm, () => 0);
  mod.hook = (_ex, res) => ({ ...res, body: 'tampered' });
  const got = exchange(mod, 'x', { 'Content-Length': '1' });
  await clock.flush();
  assert.is(got.data.join(''), 'tampered');
  mod.hook = () => 'withhold';
  const got2 = exchange(mod, 'x', { 'Content-Length': '1' });
  await clock.advance(1000);
  assert.is(got2.res, null);
  assert.is(mod.log[1].outcome, 'withheld');
  mod.close();
});

test.run();
