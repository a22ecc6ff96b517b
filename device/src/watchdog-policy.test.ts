// Watchdogs: the hardware one is enabled and kicked; the liveness check never reboots while a
// relay is on (it warns instead) and reboots once both are off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WatchdogPolicy, judge, DEFAULT_LIMITS, HW_WATCHDOG_S } from './watchdog-policy.js';
import type { LivenessProbe } from './watchdog-policy.js';
import { FakeTime, FakeWatchdog } from '../test/fake-hal.js';

function probe(over: Partial<LivenessProbe>): LivenessProbe {
  return Object.assign({ lastLoop: 0, lastNetAnswer: 0, timeoutsInRow: 0, linkDownSince: -1, relayOn: false, secondRelayOn: false }, over);
}

test('judge: healthy, stuck loop, stuck network, link down', () => {
  const L = DEFAULT_LIMITS;
  assert.is(judge(1000, probe({ lastLoop: 900 }), L).action, 'ok');
  assert.equal(judge(L.loopStuckMs + 1, probe({}), L), { action: 'reboot', reason: 'loop stuck' });
  const net = L.netStuckMs + 1;
  assert.is(judge(net, probe({ lastLoop: net, timeoutsInRow: 1 }), L).action, 'ok', 'a single timeout is not stuck');
  assert.equal(judge(net, probe({ lastLoop: net, timeoutsInRow: 3 }), L), { action: 'reboot', reason: 'network stuck' });
  assert.equal(judge(L.linkDownMs + 1, probe({ lastLoop: L.linkDownMs + 1, lastNetAnswer: L.linkDownMs, linkDownSince: 0 }), L), { action: 'reboot', reason: 'wifi down' });
});

test('judge never answers reboot while either relay is on', () => {
  const L = DEFAULT_LIMITS;
  const now = 10 * L.linkDownMs;
  for (const relays of [[true, false], [false, true], [true, true]]) {
    const v = judge(now, probe({ relayOn: relays[0], secondRelayOn: relays[1], timeoutsInRow: 9, linkDownSince: 0 }), L);
    assert.is(v.action, 'warn');
  }
});

test('the policy kicks the hardware watchdog, warns while a relay is on, reboots after it goes off', () => {
  const time = new FakeTime();
  const wd = new FakeWatchdog();
  const p = probe({ relayOn: true });
  const warnings: string[] = [];
  const last: string[] = [];
  let reboots = 0;
  const policy = new WatchdogPolicy({
    watchdog: wd, timers: time, clock: time, limits: DEFAULT_LIMITS,
    probe: () => p,
    onWarn: (r) => warnings.push(r),
    beforeReboot: (r) => last.push(r),
    reboot: () => reboots++,
  });
  policy.start();
  assert.is(wd.enabled, HW_WATCHDOG_S);
  time.advance(DEFAULT_LIMITS.loopStuckMs + 5000);
  assert.ok(wd.kicks >= 30);
  assert.is(reboots, 0);
  assert.equal(warnings, ['loop stuck']);
  time.advance(60000);
  assert.is(reboots, 0, 'still no reboot with the relay on');
  p.relayOn = false;
  time.advance(1000);
  assert.is(reboots, 1);
  assert.equal(last, ['loop stuck']);
  assert.is(time.count(), 0, 'its timer is cleared');
  policy.stop();
});

test('a warning clears when the unit recovers', () => {
  const time = new FakeTime();
  const p = probe({ relayOn: true });
  const warnings: string[] = [];
  const policy = new WatchdogPolicy({
    watchdog: new FakeWatchdog(), timers: time, clock: time, limits: DEFAULT_LIMITS,
    probe: () => p, onWarn: (r) => warnings.push(r), beforeReboot: () => {}, reboot: () => {},
  });
  policy.start();
  time.advance(DEFAULT_LIMITS.loopStuckMs + 2000);
  p.lastLoop = time.t;
  time.advance(1000);
  assert.equal(warnings, ['loop stuck', '']);
  policy.stop();
  assert.is(time.count(), 0);
});

test.run();
