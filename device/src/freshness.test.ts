// The offline-freshness rule: running time since the last verified sync, kept across power cuts
// in a tally file (one byte per tick into erased flash), one tick charged per power-on, the tally
// gone at the next sync; never behind the running time, ahead of it by at most a tick per boot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Freshness, TALLY_FILE, TALLY_HEADER, MIN_TICK_MS, countTicks, tickFor } from './freshness.js';
import { FakeStore, FakeTime } from '../test/fake-hal.js';

const HOUR = 3600000;
const MIN = 60000;

function unitOn(store: FakeStore, time: FakeTime, graceMs: number): Freshness {
  const f = new Freshness(store, store.writeAt, time);
  f.boot(graceMs, 5000);
  return f;
}

/** Runs for ms of running time, calling update() as the unit's 500 ms loop does. */
function run(time: FakeTime, f: Freshness, ms: number, graceMs: number): void {
  const end = time.t + ms;
  while (time.t < end) {
    time.advance(Math.min(500, end - time.t));
    f.update(graceMs);
  }
}

test('the tick: 1/4000 of the grace, at least 10 s and two sync intervals', () => {
  assert.is(tickFor(HOUR, 5000), MIN_TICK_MS);
  assert.is(tickFor(72 * HOUR, 5000), 64800);
  assert.is(tickFor(HOUR, 60000), 120000);
});

test('countTicks finds the written ticks of a tally (binary search over erased bytes)', () => {
  const head = ' '.repeat(TALLY_HEADER);
  for (const n of [0, 1, 2, 7, 99, 100]) assert.is(countTicks(head + 'x'.repeat(n) + '\xff'.repeat(100 - n)), n, String(n));
});

test('a power-on charges one tick into a new tally; running time adds a tick per period; a sync removes the tally', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  const f = unitOn(store, time, HOUR);
  assert.ok(store.files[TALLY_FILE], 'tally created at boot');
  assert.is(countTicks(store.files[TALLY_FILE]), 1);
  assert.is(f.ageMs(), MIN_TICK_MS);
  run(time, f, 35000, HOUR);
  assert.is(countTicks(store.files[TALLY_FILE]), 4);
  assert.is(f.ageMs(), 45000);
  const writes = store.writes;
  const out = f.synced(1700000000000, HOUR, 5000);
  assert.ok(out && out.countedMs === 45000);
  assert.is(store.files[TALLY_FILE], undefined, 'tally erased');
  assert.is(f.ageMs(), 0);
  assert.is(store.writes, writes, 'erasing is no write');
  run(time, f, 9000, HOUR);
  assert.is(store.files[TALLY_FILE], undefined, 'nothing written before a whole tick passed without a sync');
});

test('a unit that syncs every interval writes nothing', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  const f = unitOn(store, time, 72 * HOUR);
  f.synced(1700000000000, 72 * HOUR, 5000);
  const writes = store.writes;
  for (let i = 0; i < 2000; i++) {
    run(time, f, 5000, 72 * HOUR);
    f.synced(1700000000000 + i * 5000, 72 * HOUR, 5000);
  }
  assert.is(store.writes, writes, 'no tally writes in ' + Math.round(time.t / MIN) + ' min of normal syncing');
});

test('reboots every 4 minutes for 8 hours (grace 1 h): the count never falls behind the running time, and is ahead by at most a tick per boot', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  let f = unitOn(store, time, HOUR);
  f.synced(1700000000000, HOUR, 5000);
  let running = 0;
  let boots = 0;
  while (running < 8 * HOUR) {
    run(time, f, 4 * MIN, HOUR);
    running += 4 * MIN;
    if (running <= HOUR) {
      assert.ok(f.ageMs() >= running, 'age ' + f.ageMs() + ' >= running time ' + running);
      assert.ok(f.ageMs() <= running + (boots + 1) * MIN_TICK_MS, 'age ' + f.ageMs() + ' <= running time + a tick per boot');
    } else {
      // past the grace the tally stops growing (no more flash writes) but stays past it
      assert.ok(f.ageMs() > HOUR, 'stale at ' + running / MIN + ' min: ' + f.ageMs());
    }
    // power cut: a fresh object over the same flash
    f = new Freshness(store, store.writeAt, time);
    f.boot(HOUR, 5000);
    boots++;
  }
  assert.ok(f.ageMs() > HOUR, 'stale after 8 h: ' + f.ageMs());
  // flash: one tally, written in place (no new file per tick)
  assert.ok(store.files[TALLY_FILE].length < 1000, 'tally of ' + store.files[TALLY_FILE].length + ' bytes');
});

test('reboots shorter than the tick still count: each power-on adds at least its own running time', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  let f = unitOn(store, time, HOUR);
  f.synced(1700000000000, HOUR, 5000);
  let running = 0;
  for (let i = 0; i < 500; i++) {
    run(time, f, 7000, HOUR);
    running += 7000;
    f = new Freshness(store, store.writeAt, time);
    f.boot(HOUR, 5000);
  }
  assert.ok(f.ageMs() >= running, f.ageMs() + ' >= ' + running);
});

test('one power cycle at the start of a 72 h grace costs one tick, not hours', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  let f = unitOn(store, time, 72 * HOUR);
  f.synced(1700000000000, 72 * HOUR, 5000);
  run(time, f, 30000, 72 * HOUR);
  f = new Freshness(store, store.writeAt, time);
  f.boot(72 * HOUR, 5000);
  run(time, f, 3.5 * HOUR, 72 * HOUR);
  const age = f.ageMs();
  assert.ok(age >= 3.5 * HOUR + 30000 && age <= 3.5 * HOUR + 30000 + 2 * 64800, 'age ' + (age / HOUR).toFixed(3) + ' h');
});

test('the outage report carries the server clock\'s view when it was known before the outage', () => {
  const store = new FakeStore();
  const time = new FakeTime();
  let f = unitOn(store, time, 72 * HOUR);
  f.synced(1700000000000, 72 * HOUR, 5000);
  run(time, f, 2 * HOUR, 72 * HOUR);
  // powered off for a day, then back: the tally's header still names the last sync's server time
  f = new Freshness(store, store.writeAt, time);
  f.boot(72 * HOUR, 5000);
  run(time, f, HOUR, 72 * HOUR);
  const out = f.synced(1700000000000 + 27 * HOUR, 72 * HOUR, 5000);
  assert.ok(out);
  assert.ok(out!.countedMs >= 3 * HOUR && out!.countedMs < 3 * HOUR + 3 * 64800);
  assert.is(out!.wallMs, 27 * HOUR);
});

test('flash that refuses the tally: counted in RAM, reported as failed', () => {
  const store = new FakeStore();
  store.failAfter = 0;
  const time = new FakeTime();
  const f = unitOn(store, time, HOUR);
  run(time, f, 30000, HOUR);
  assert.ok(f.failed);
  assert.is(f.ageMs(), 40000);
});

test.run();
