// Tests of the save-timeout tracker on a fake clock: per-machine alert exactly once at 2,
// fleet alert for >= 2 distinct machines within 60 s, silence for the cooldown, restore.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createTimeoutTracker } from './timeout-tracker.js';

const S = 1000;

test('per-machine alert exactly once, when a machine reaches 2 lifetime timeouts', () => {
  const t = createTimeoutTracker({ fleetThreshold: 99 });
  assert.equal(t.record('lathe', 0), { count: 1, machineAlert: false, fleetAlert: null });
  assert.equal(t.record('lathe', 3600 * S), { count: 2, machineAlert: true, fleetAlert: null }, 'lifetime, not windowed');
  assert.equal(t.record('lathe', 7200 * S), { count: 3, machineAlert: false, fleetAlert: null });
  assert.is(t.record('lathe', 7201 * S).machineAlert, false);
  assert.equal(t.counts(), { lathe: 4 });
});

test('fleet alert when 2 distinct machines time out within 60 s, then silent for 300 s', () => {
  const t = createTimeoutTracker();
  assert.is(t.record('a', 0).fleetAlert, null);
  assert.is(t.record('a', 10 * S).fleetAlert, null, 'one machine twice is not a fleet');
  assert.equal(t.record('b', 20 * S).fleetAlert, ['a', 'b']);
  assert.is(t.record('c', 21 * S).fleetAlert, null, 'cooldown');
  assert.is(t.record('d', 319 * S).fleetAlert, null, 'still inside 300 s of the alert');
  assert.equal(t.record('e', 320 * S).fleetAlert, ['d', 'e'], 'after the cooldown: machines in the window');
});

test('machines further apart than the window do not make a fleet', () => {
  const t = createTimeoutTracker();
  assert.is(t.record('a', 0).fleetAlert, null);
  assert.is(t.record('b', 60 * S + 1).fleetAlert, null);
  assert.is(t.record('c', 200 * S).fleetAlert, null);
  assert.equal(t.record('d', 260 * S).fleetAlert, ['c', 'd'], 'exactly 60 s apart is within');
});

test('the failing-disk incident: every machine times out once at the same time', () => {
  const t = createTimeoutTracker();
  const results = ['m1', 'm2', 'm3', 'm4'].map((m, i) => t.record(m, 1000 + i));
  assert.ok(results.every((r) => !r.machineAlert), 'no per-machine alert on first timeouts');
  assert.equal(results.map((r) => r.fleetAlert), [null, ['m1', 'm2'], null, null], 'fleet alert once');
});

test('window, threshold, cooldown and machine alert count are configurable', () => {
  const t = createTimeoutTracker({ windowMs: 5 * S, fleetThreshold: 3, cooldownMs: 10 * S, machineAlertAt: 3 });
  t.record('a', 0);
  t.record('b', 2 * S);
  assert.is(t.record('c', 6 * S).fleetAlert, null, 'a fell out of the 5 s window');
  assert.equal(t.record('a', 7 * S).fleetAlert, ['a', 'b', 'c']);
  assert.is(t.record('a', 8 * S).machineAlert, true, 'third timeout of a');
  assert.equal(t.settings, { windowMs: 5000, fleetThreshold: 3, cooldownMs: 10000, machineAlertAt: 3 });
  assert.equal(createTimeoutTracker().settings, { windowMs: 60000, fleetThreshold: 2, cooldownMs: 300000, machineAlertAt: 2 });
  assert.throws(() => createTimeoutTracker({ windowMs: -1 }), /windowMs/);
});

test('restore loads counts and never alerts again for a machine already past 2', () => {
  const t = createTimeoutTracker({ fleetThreshold: 99 });
  t.restore({ lathe: 2, saw: 1, bad: -3, worse: 'x' as unknown as number });
  assert.equal(t.counts(), { lathe: 2, saw: 1 });
  assert.equal(t.record('lathe', 0), { count: 3, machineAlert: false, fleetAlert: null });
  assert.equal(t.record('saw', 0), { count: 2, machineAlert: true, fleetAlert: null });
  const copy = t.counts();
  copy.lathe = 0;
  assert.is(t.counts().lathe, 3, 'counts() is a copy');
});

test.run();
