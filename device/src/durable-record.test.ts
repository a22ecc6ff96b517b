// Two-slot records: the newest intact value wins, a torn write leaves the previous one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DurableRecord, checksum } from './durable-record.js';
import { FakeStore } from '../test/fake-hal.js';

test('saves alternate between the two slots and load returns the newest', () => {
  const store = new FakeStore();
  const r = new DurableRecord<{ n: number }>(store, 'rec');
  assert.is(r.load(), null);
  r.save({ n: 1 });
  r.save({ n: 2 });
  r.save({ n: 3 });
  assert.ok(store.files.rec0 !== undefined && store.files.rec1 !== undefined);
  const again = new DurableRecord<{ n: number }>(store.clone(), 'rec');
  assert.equal(again.load(), { n: 3 });
});

test('a write torn by a power cut leaves the previous value in force', () => {
  const store = new FakeStore();
  const r = new DurableRecord<{ n: number }>(store, 'rec');
  r.load();
  r.save({ n: 1 });
  r.save({ n: 2 });
  store.failAfter = 0;
  assert.is(r.save({ n: 3 }), false);
  const again = new DurableRecord<{ n: number }>(store.clone(), 'rec');
  assert.equal(again.load(), { n: 2 });
});

test('a slot with a flipped byte is ignored', () => {
  const store = new FakeStore();
  const r = new DurableRecord<{ n: number }>(store, 'rec');
  r.load();
  r.save({ n: 1 });
  r.save({ n: 22 });
  store.files.rec0 = store.files.rec0.replace('22', '23');
  const again = new DurableRecord<{ n: number }>(store, 'rec');
  assert.equal(again.load(), { n: 1 });
  assert.is.not(checksum('a'), checksum('b'));
});

test.run();
