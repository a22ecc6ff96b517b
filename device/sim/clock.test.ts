// Tests of the simulator's clock: timer order and intervals, the idle queue, waiting for real
// work before moving virtual time on (and giving up after the cap), overlapping advances.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimClock } from './clock.js';

test('timers run in due order (ties by creation), intervals repeat, cleared ones never run', async () => {
  const c = new SimClock();
  const seen: string[] = [];
  c.setTimer(() => seen.push('b@20'), 20, false, 'firmware');
  c.setTimer(() => seen.push('a@10'), 10, false, 'firmware');
  c.setTimer(() => seen.push('c@20'), 20, false, 'firmware');
  const iv = c.setTimer(() => seen.push('iv@' + c.now), 15, true, 'firmware');
  const gone = c.setTimer(() => seen.push('never'), 5, false, 'firmware');
  c.clearTimer(gone);
  await c.advance(46);
  assert.equal(seen, ['a@10', 'iv@15', 'b@20', 'c@20', 'iv@30', 'iv@45']);
  assert.is(c.now, 46);
  c.clearTimer(iv);
  await c.advance(100);
  assert.is(seen.length, 6);
});

test('posted callbacks run before later timers; a throwing callback is reported and the loop goes on', async () => {
  const c = new SimClock();
  const seen: string[] = [];
  const errors: unknown[] = [];
  c.onUncaught = (e) => errors.push(e);
  c.setTimer(() => {
    seen.push('t1');
    c.post(() => seen.push('posted'));
    throw new Error('boom');
  }, 1, false, 'firmware');
  c.setTimer(() => seen.push('t2'), 1, false, 'firmware');
  await c.advance(5);
  assert.equal(seen, ['t1', 'posted', 't2']);
  assert.is(errors.length, 1);
});

test('clearAll removes only the given owner', async () => {
  const c = new SimClock();
  let env = 0;
  c.setTimer(() => env++, 1, false, 'env');
  c.setTimer(() => { throw new Error('must not run'); }, 1, false, 'firmware');
  c.clearAll('firmware');
  await c.advance(2);
  assert.is(env, 1);
  assert.is(c.timerCount(), 0);
});

test('virtual time waits for tracked real work; it gives up after the cap and marks it stalled', async () => {
  const c = new SimClock({ settleCapMs: 100 });
  let fired = 0;
  c.setTimer(() => fired++, 1000, false, 'firmware');
  let release: () => void = () => {};
  const quick = { done: new Promise<void>((r) => { release = r; }), stalled: false };
  c.track(quick);
  setTimeout(() => release(), 20);
  await c.advance(0);
  assert.is(c.now, 0);
  assert.not.ok(quick.stalled, 'finished in time');
  const never = { done: new Promise<void>(() => {}), stalled: false };
  c.track(never);
  const t0 = Date.now();
  await c.advance(2000);
  assert.ok(never.stalled);
  assert.ok(Date.now() - t0 >= 90);
  assert.is(fired, 1);
});

test('overlapping advances queue up instead of interleaving', async () => {
  const c = new SimClock();
  const marks: number[] = [];
  c.setTimer(() => marks.push(c.now), 10, true, 'firmware');
  await Promise.all([c.advance(25), c.advance(25)]);
  assert.equal(marks, [10, 20, 30, 40, 50]);
  assert.is(c.now, 50);
});

test('until() stops as soon as the condition holds', async () => {
  const c = new SimClock();
  let x = 0;
  c.setTimer(() => { x = 1; }, 333, false, 'firmware');
  assert.ok(await c.until(() => x === 1, 1000, 10));
  assert.ok(c.now >= 333 && c.now < 350);
  assert.not.ok(await c.until(() => false, 50, 10));
});

test('a timer re-armed with a delay far below a microsecond still lets time pass (no livelock late in a run)', async () => {
  const c = new SimClock();
  await c.advance(40_000);
  // 40,000 + 1e-12 === 40,000 in floating point: the Wiegand driver's `gap - quiet` produced such delays
  assert.is(c.now + 1e-12, c.now);
  let runs = 0;
  const rearm = (): void => {
    runs++;
    if (runs < 10_000) c.setTimer(rearm, 1e-12, false, 'firmware');
  };
  c.setTimer(rearm, 1e-12, false, 'firmware');
  await c.advance(1);
  assert.ok(runs < 2000, 'time moved on while the timer re-armed itself (' + runs + ' runs within 1 ms)');
  assert.is(c.now, 40_001);
  // zero still means "as soon as possible, at this instant"
  let zero = 0;
  c.setTimer(() => zero++, 0, false, 'firmware');
  await c.flush();
  assert.is(zero, 1);
});

test.run();
