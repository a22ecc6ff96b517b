// Tests of the simulated Wifi, neopixel and crypto modules.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimClock } from './clock.js';
import { cryptoModule, MAX_RAM_HASH_INPUT, SimNeopixel, SimWifi } from './builtin-modules.js';
import { Sandbox } from './sandbox.js';

/** A simulated module's method, called with whatever the firmware would pass. */
type Fn = (...args: any[]) => any;

const realm = new Sandbox({ dateNow: () => 0, seed: 1 }).realm;

test('Wifi: connect calls back after a delay and emits connected; losing the access point emits disconnected', async () => {
  const clock = new SimClock();
  const w = new SimWifi(clock, () => realm, 300);
  const m = w.module() as { connect: Fn; on: Fn; getDetails: Fn; getStatus: Fn };
  const seen: string[] = [];
  m.on('connected', () => seen.push('connected'));
  m.on('disconnected', (d: { reason: string }) => seen.push('disconnected ' + d.reason));
  m.connect('shop', { password: 'pw' }, (err: unknown) => seen.push('cb ' + err));
  assert.is((m.getDetails() as { status: string }).status, 'off');
  await clock.advance(299);
  assert.equal(seen, []);
  await clock.advance(1);
  assert.equal(seen, ['cb null', 'connected']);
  assert.ok(w.online);
  assert.is((m.getStatus() as { station: string }).station, 'connected');
  const details = m.getDetails() as { status: string; rssi?: unknown };
  assert.is(details.status, 'connected');
  assert.is(details.rssi, undefined, 'the ESP32 port has no rssi in getDetails');
  assert.ok(w.record.passwordGiven);
  w.setAccessPoint(false);
  await clock.flush();
  assert.equal(seen.slice(2), ['disconnected 201']);
  assert.not.ok(w.online);
  m.connect('shop', {}, (err: unknown) => seen.push('cb2 ' + err));
  await clock.advance(300);
  assert.match(seen[seen.length - 1], /^cb2 /);
  assert.not.ok(w.online, 'no access point: the connect fails');
});

test('neopixel: records GRB per pin; data not a multiple of 3 or a bad pin throws', () => {
  const np = new SimNeopixel(new SimClock(), () => realm);
  const m = np.module() as { write: Fn };
  m.write(27, [1, 2, 3]);
  m.write(27, new Uint8Array([4, 5, 6]));
  assert.equal(np.last(27), [4, 5, 6]);
  assert.is(np.last(5), null);
  assert.throws(() => m.write(27, [1, 2]), /multiple of 3/);
  assert.throws(() => m.write(99, [1, 2, 3]), /invalid pin/);
});

test('crypto: SHA256 of an 8-bit string is an ArrayBuffer equal to node:crypto over the same bytes', () => {
  const c = cryptoModule(() => realm) as { SHA256: (d: unknown) => ArrayBuffer; SHA1: (d: unknown) => ArrayBuffer };
  const s = 'key\u00ffbytes';
  const got = Buffer.from(new Uint8Array(c.SHA256(s))).toString('hex');
  assert.is(got, createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex'));
  assert.is(new Uint8Array(c.SHA1('abc')).length, 20);
});

test('crypto: a string held in RAM above the ESP32 stack cannot be hashed; a Storage file can', () => {
  const big = 'x'.repeat(MAX_RAM_HASH_INPUT + 1);
  const c = cryptoModule(() => realm) as { SHA256: (d: unknown) => ArrayBuffer };
  assert.is(c.SHA256('x'.repeat(MAX_RAM_HASH_INPUT)).byteLength, 32);
  assert.throws(() => c.SHA256(big), /Not enough stack memory/);
  const f = cryptoModule(() => realm, (s) => s === big) as { SHA256: (d: unknown) => ArrayBuffer };
  assert.is(f.SHA256(big).byteLength, 32);
});

test.run();
