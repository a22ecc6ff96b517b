// Board profiles: the host profile's inert pins and always-up network; the ESP32 Wi-Fi link that
// joins, reports and retries on its own timer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostLink, inertPins, wifiLink, WIFI_RETRY_MS } from './profiles.js';
import type { WifiModule } from './profiles.js';
import { FakeTime, makeRig } from '../test/fake-hal.js';

test('host profile: pins do nothing, storage and HTTP pass through, network is up', () => {
  const rig = makeRig();
  const hal = inertPins(rig.hal);
  hal.output(33).write(true);
  assert.is(hal.input(18, 'down').read(), false);
  const stop = hal.input(16, 'up').watch(() => {}, { edge: 'falling', debounceMs: 0 });
  stop();
  assert.is(hal.i2c(22, 23, 400000), null);
  assert.is(hal.neopixel, null);
  assert.is(Object.keys(rig.board.outputs).length, 0);
  assert.is(hal.store, rig.hal.store);
  assert.is(hal.http, rig.hal.http);
  const link = hostLink();
  link.start();
  assert.is(link.up(), true);
  assert.is(link.signalDb(), null);
});

function fakeWifi(): WifiModule & { calls: string[]; status: string; answer: boolean; rssi: number } {
  const w = {
    calls: [] as string[],
    status: 'off',
    answer: true,
    rssi: -67.4,
    connect(ssid: string, opts: { password: string }, cb: (err: unknown) => void): void {
      w.calls.push(ssid);
      if (!w.answer) return;
      w.status = 'connected';
      cb(null);
    },
    getDetails() {
      return { status: w.status, rssi: w.rssi };
    },
  };
  return w;
}

test('wifi: joins at start, reports status and signal, rejoins after a drop, stops its timer', () => {
  const time = new FakeTime();
  const w = fakeWifi();
  const logs: string[] = [];
  const link = wifiLink(w, 'space', 'secret', time, (l) => logs.push(l));
  link.start();
  assert.equal(w.calls, ['space']);
  assert.is(link.up(), true);
  assert.is(link.signalDb(), -67);
  w.status = 'no_ap_found';
  assert.is(link.up(), false);
  time.advance(WIFI_RETRY_MS);
  assert.is(w.calls.length, 2);
  assert.is(link.up(), true);
  link.stop();
  assert.is(time.count(), 0);
  assert.ok(logs.every((l) => l.indexOf('secret') < 0));
});

test('wifi: a connect whose callback never comes is retried after a few periods', () => {
  const time = new FakeTime();
  const w = fakeWifi();
  w.answer = false;
  const link = wifiLink(w, 'space', 'secret', time, () => {});
  link.start();
  time.advance(WIFI_RETRY_MS * 2);
  assert.is(w.calls.length, 1, 'waits while a connect may still be running');
  time.advance(WIFI_RETRY_MS);
  assert.is(w.calls.length, 2);
  link.stop();
});

test.run();
