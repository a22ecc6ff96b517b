// The Espruino adapter over stand-in interpreter globals: pins, watches, Storage, http, I2C,
// watchdog, reboot, and missing built-in modules reported without breaking the rest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import { espruinoPlatform } from './hal-espruino.js';

type AnyFn = (...a: any[]) => any;
const g = globalThis as unknown as { [k: string]: unknown };
const NAMES = ['digitalWrite', 'digitalRead', 'pinMode', 'setWatch', 'clearWatch', 'getTime', 'E', 'I2C1', 'require', 'load'];

interface World {
  calls: string[];
  files: { [k: string]: string };
  watches: { [id: number]: { cb: AnyFn; pin: number; opts: any } };
  requests: { opts: any; body: string; res: EventEmitter & { statusCode?: string; headers?: any }; req: EventEmitter; cb: AnyFn }[];
  modules: { [k: string]: unknown };
}

function install(missing: string[]): World {
  const w: World = { calls: [], files: {}, watches: {}, requests: [], modules: {} };
  let nextWatch = 1;
  const storage = {
    read: (n: string) => w.files[n],
    write: (n: string, d: string) => {
      w.files[n] = d;
      return true;
    },
    erase: (n: string) => {
      delete w.files[n];
    },
    list: () => Object.keys(w.files),
  };
  const http = {
    request: (opts: any, cb: AnyFn) => {
      const req = new EventEmitter() as EventEmitter & { end: AnyFn };
      const entry = { opts: opts, body: '', res: new EventEmitter(), req: req, cb: cb };
      req.end = (body: string) => {
        entry.body = body;
      };
      w.requests.push(entry);
      return req;
    },
  };
  w.modules = { Storage: storage, http: http, crypto: { SHA256: (s: string) => 'x' + s }, neopixel: { write: (pin: number) => w.calls.push('neopixel ' + pin) } };
  for (const m of missing) delete w.modules[m];
  g.digitalWrite = (pin: number, v: number) => w.calls.push('write ' + pin + '=' + v);
  g.digitalRead = () => 1;
  g.pinMode = (pin: number, mode: string) => w.calls.push('mode ' + pin + ' ' + mode);
  g.setWatch = (cb: AnyFn, pin: number, opts: any) => {
    const id = nextWatch++;
    w.watches[id] = { cb: cb, pin: pin, opts: opts };
    return id;
  };
  g.clearWatch = (id: number) => {
    delete w.watches[id];
  };
  g.getTime = () => 12.5;
  g.E = {
    enableWatchdog: (s: number, auto: boolean) => w.calls.push('wd ' + s + ' ' + auto),
    kickWatchdog: () => w.calls.push('kick'),
    reboot: () => w.calls.push('reboot'),
  };
  g.I2C1 = {
    setup: (o: any) => w.calls.push('i2c ' + o.sda + ',' + o.scl + '@' + o.bitrate),
    writeTo: (addr: number, bytes: any) => w.calls.push('i2cw ' + addr + ':' + Array.prototype.join.call(bytes, ',')),
  };
  g.require = (name: string) => {
    if (!(name in w.modules)) throw new Error('Module ' + name + ' not found');
    return w.modules[name];
  };
  g.load = () => w.calls.push('load');
  return w;
}

function uninstall(): void {
  for (const n of NAMES) delete g[n];
}

test('pins, watches and the clock map onto the interpreter globals', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const out = p.hal.output(33);
  out.write(true);
  out.write(false);
  assert.ok(w.calls.indexOf('mode 33 output') >= 0);
  assert.ok(w.calls.indexOf('write 33=1') >= 0 && w.calls.indexOf('write 33=0') >= 0);
  const inp = p.hal.input(18, 'down');
  assert.ok(w.calls.indexOf('mode 18 input_pulldown') >= 0);
  assert.is(inp.read(), true);
  const seen: [boolean, number][] = [];
  const stop = inp.watch((s, t) => seen.push([s, t]), { edge: 'both', debounceMs: 0 });
  const id = Number(Object.keys(w.watches)[0]);
  assert.equal(w.watches[id].opts, { repeat: true, edge: 'both', debounce: 0 });
  w.watches[id].cb({ state: true, time: 1.25 });
  assert.equal(seen, [[true, 1250]]);
  stop();
  stop();
  assert.equal(Object.keys(w.watches), []);
  assert.is(p.hal.clock.now(), 12500);
  uninstall();
});

test('a pin the board does not have (pinMode throws Invalid pin) is refused once and never written', () => {
  const w = install([]);
  g.pinMode = (pin: number, mode: string) => {
    if (pin === 33) throw new Error('Invalid pin');
    w.calls.push('mode ' + pin + ' ' + mode);
  };
  g.digitalWrite = (pin: number) => {
    throw new Error('digitalWrite(' + pin + ') must not be called on a refused pin');
  };
  const p = espruinoPlatform();
  const out = p.hal.output(33);
  assert.is(out.refused, true);
  out.write(true);
  assert.is(p.hal.output(14).refused, undefined);
  assert.equal(w.calls, ['mode 14 output']);
  uninstall();
});

test('a watch the interpreter could not set (setWatch answers undefined) is never cleared: clearWatch(undefined) would drop every watch', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const keep = p.hal.input(4, 'up').watch(() => {}, { edge: 'falling', debounceMs: 0 });
  const g2 = globalThis as unknown as { setWatch: unknown; clearWatch: (id?: number) => void };
  const realSet = g2.setWatch;
  const cleared: unknown[] = [];
  const realClear = g2.clearWatch;
  g2.setWatch = () => undefined;
  g2.clearWatch = (id?: number) => {
    cleared.push(id);
    realClear(id as number);
  };
  const stop = p.hal.input(18, 'down').watch(() => {}, { edge: 'both', debounceMs: 0 });
  stop();
  assert.equal(cleared, []);
  assert.is(Object.keys(w.watches).length, 1, 'the other watch survives');
  g2.setWatch = realSet;
  keep();
  assert.is(cleared.length, 1);
  assert.is(typeof cleared[0], 'number');
  assert.equal(Object.keys(w.watches), []);
  g2.clearWatch = realClear;
  uninstall();
});

test('Storage wrapper: reads, whole-file writes, erase, prefix listing', () => {
  const w = install([]);
  const p = espruinoPlatform();
  assert.is(p.hal.store.read('nope'), undefined);
  assert.ok(p.hal.store.write('fgev1', '{"seq":1}'));
  assert.ok(p.hal.store.write('other', 'x'));
  assert.is(p.hal.store.read('fgev1'), '{"seq":1}');
  assert.equal(p.hal.store.list('fgev'), ['fgev1']);
  p.hal.store.erase('fgev1');
  assert.is(w.files.fgev1, undefined);
  uninstall();
});

test('http: body sent with its length, answer collected until close, errors reported once', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const got: any[] = [];
  p.hal.http!({ host: 'h', port: 8080, path: '/api/v1/sync', method: 'POST', headers: { 'x-a': '1' }, body: '{"a":1}' }, (e, r) => got.push([e, r]));
  const r = w.requests[0];
  assert.is(r.body, '{"a":1}');
  assert.is(r.opts.headers['Content-Length'], '7');
  assert.is(r.opts.headers['x-a'], '1');
  const res = r.res as EventEmitter & { statusCode?: string; headers?: any };
  res.statusCode = '200';
  res.headers = { 'X-Fobgate-Signature': 'ab' };
  r.cb(res);
  res.emit('data', '{"ok"');
  res.emit('data', ':true}');
  res.emit('close');
  r.req.emit('error', new Error('late'));
  assert.is(got.length, 1);
  assert.equal(got[0][1], { status: 200, headers: { 'X-Fobgate-Signature': 'ab' }, body: '{"ok":true}' });
  p.hal.http!({ host: 'h', port: 1, path: '/', method: 'POST', headers: {}, body: '' }, (e, r2) => got.push([e, r2]));
  w.requests[1].req.emit('error', new Error('ECONNRESET'));
  assert.is(got[1][0].code, 'HTTP_ERROR');
  assert.ok(got[1][0].message.indexOf('ECONNRESET') >= 0);
  uninstall();
});

test('http: a streamed answer (list download) hands each chunk to onData with the status; only what it refuses is collected', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const got: any[] = [];
  const chunks: string[] = [];
  const onData = (chunk: string, status: number): boolean => {
    chunks.push(status + ':' + chunk);
    return status === 200;
  };
  p.hal.http!({ host: 'h', port: 8080, path: '/api/v1/list', method: 'POST', headers: {}, body: '{}', onData: onData }, (e, r) => got.push([e, r]));
  const res = w.requests[0].res as EventEmitter & { statusCode?: string; headers?: any };
  res.statusCode = '200';
  res.headers = { 'x-fobgate-list-signature': 'cd' };
  w.requests[0].cb(res);
  res.emit('data', 'fobgate-list/1 ');
  res.emit('data', 'abc');
  res.emit('close');
  assert.equal(chunks, ['200:fobgate-list/1 ', '200:abc']);
  assert.equal(got[0][1], { status: 200, headers: { 'x-fobgate-list-signature': 'cd' }, body: '' }, 'nothing collected');
  p.hal.http!({ host: 'h', port: 8080, path: '/api/v1/list', method: 'POST', headers: {}, body: '{}', onData: onData }, (e, r) => got.push([e, r]));
  const err = w.requests[1].res as EventEmitter & { statusCode?: string; headers?: any };
  err.statusCode = '410';
  err.headers = {};
  w.requests[1].cb(err);
  err.emit('data', '{"error":"gone"}');
  err.emit('close');
  assert.equal(got[1][1], { status: 410, headers: {}, body: '{"error":"gone"}' }, 'an error answer is collected');
  uninstall();
});

test('http: an answer longer than maxBody is dropped, not collected, and marked as overflow', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const got: any[] = [];
  p.hal.http!({ host: 'h', port: 8080, path: '/api/v1/sync', method: 'POST', headers: {}, body: '{}', maxBody: 10 }, (e, r) => got.push([e, r]));
  const res = w.requests[0].res as EventEmitter & { statusCode?: string; headers?: any };
  res.statusCode = '200';
  res.headers = {};
  w.requests[0].cb(res);
  res.emit('data', '0123456');
  res.emit('data', '789ab');
  res.emit('data', 'more and more');
  res.emit('close');
  assert.equal(got[0][1], { status: 200, headers: {}, body: '', overflow: 10 });
  p.hal.http!({ host: 'h', port: 8080, path: '/api/v1/sync', method: 'POST', headers: {}, body: '{}', maxBody: 10 }, (e, r) => got.push([e, r]));
  const ok = w.requests[1].res as EventEmitter & { statusCode?: string; headers?: any };
  ok.statusCode = '200';
  ok.headers = {};
  w.requests[1].cb(ok);
  ok.emit('data', '0123456789');
  ok.emit('close');
  assert.equal(got[1][1], { status: 200, headers: {}, body: '0123456789' }, 'exactly maxBody is fine');
  uninstall();
});

test('I2C, watchdog and reboot', () => {
  const w = install([]);
  const p = espruinoPlatform();
  const i2c = p.hal.i2c(22, 23, 400000)!;
  i2c(0x27, [1, 2]);
  assert.ok(w.calls.indexOf('i2c 22,23@400000') >= 0);
  assert.ok(w.calls.indexOf('i2cw 39:1,2') >= 0);
  p.hal.watchdog.enable(30);
  p.hal.watchdog.kick();
  assert.ok(w.calls.indexOf('wd 30 false') >= 0 && w.calls.indexOf('kick') >= 0);
  p.reboot();
  assert.ok(w.calls.indexOf('reboot') >= 0);
  uninstall();
});

test('missing built-in modules are reported and only their part degrades', () => {
  install(['neopixel', 'http', 'crypto']);
  const p = espruinoPlatform();
  assert.is(p.problems.length, 3);
  assert.ok(p.problems.some((x) => x.indexOf('neopixel') >= 0));
  assert.is(p.hal.neopixel, null);
  assert.is(p.hal.http, null);
  assert.is(p.wifi, null, 'no Wifi module: not a problem by itself (host profile)');
  assert.is(p.sha256('abc'), '', 'no crypto: hashes never match, so nothing unverified is used');
  assert.ok(p.hal.store.write('a', 'b'), 'Storage still works');
  uninstall();
});

test.run();
