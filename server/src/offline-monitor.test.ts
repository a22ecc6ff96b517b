// Tests of the offline monitor on a fake clock: offline after the configured silence measured
// from the last request that arrived, reported once per outage, back online with its length.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createOfflineMonitor } from './offline-monitor.js';

const MIN = 60_000;

test('offline after the silence, reported once, back online with the outage length', () => {
  const mon = createOfflineMonitor({ offlineAfterMs: 5 * MIN });
  assert.is(mon.checkin('lathe', 0), 'online');
  assert.is(mon.checkin('saw', 0), 'online');
  assert.is(mon.checkin('saw', 4 * MIN), 'online');
  assert.equal(mon.tick(5 * MIN - 1), []);
  assert.equal(mon.tick(5 * MIN), ['lathe']);
  assert.equal(mon.tick(6 * MIN), [], 'not again during the same outage');
  assert.equal(mon.status('lathe'), { state: 'offline', lastSeen: 0, offlineSince: 5 * MIN, lastOutageMs: null });
  assert.equal(mon.tick(9 * MIN), ['saw'], 'measured from its own last request');
  assert.is(mon.checkin('lathe', 12 * MIN), 'back_online');
  assert.equal(mon.status('lathe'), { state: 'online', lastSeen: 12 * MIN, offlineSince: null, lastOutageMs: 12 * MIN });
  assert.is(mon.checkin('lathe', 13 * MIN), 'online');
  assert.equal(mon.tick(17 * MIN), []);
  assert.equal(mon.tick(18 * MIN), ['lathe'], 'a new outage is reported again');
});

test('unknown machines, seeding after a restart, forgetting', () => {
  const mon = createOfflineMonitor({ offlineAfterMs: 1000 });
  assert.equal(mon.status('nope'), { state: 'unknown', lastSeen: null, offlineSince: null, lastOutageMs: null });
  mon.seed('old', 0, 5000);
  mon.seed('fresh', 4500, 5000);
  assert.is(mon.status('old').state, 'offline', 'already silent: marked quietly');
  assert.equal(mon.tick(5000), [], 'seeding does not alert');
  assert.equal(mon.tick(5500), ['fresh']);
  assert.is(mon.checkin('old', 6000), 'back_online');
  mon.forget('fresh');
  assert.is(mon.status('fresh').state, 'unknown');
  assert.equal(mon.tick(100_000), ['old']);
  assert.throws(() => createOfflineMonitor({ offlineAfterMs: 0 }), /offlineAfterMs/);
});

test('a late-arriving older timestamp never moves last-seen backwards', () => {
  const mon = createOfflineMonitor({ offlineAfterMs: 1000 });
  mon.checkin('a', 5000);
  mon.checkin('a', 4000);
  assert.is(mon.status('a').lastSeen, 5000);
});

test.run();
