import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FleetFeed, type FleetTouch } from './fleet-feed.js';

const turn = () => new Promise((r) => setImmediate(r));

test('touches in one turn reach subscribers once, coalesced; "all" wins; "" means every machine', async () => {
  const feed = new FleetFeed();
  const got: FleetTouch[] = [];
  feed.subscribe((t) => got.push(t));
  feed.touch('lathe');
  feed.touch('saw');
  feed.touch('lathe');
  await turn();
  assert.equal(got, [['lathe', 'saw']]);
  feed.touch('lathe');
  feed.touchAll();
  await turn();
  feed.touch('');
  await turn();
  assert.equal(got, [['lathe', 'saw'], 'all', 'all']);
  feed.close();
});

test('without subscribers nothing is kept or scheduled; a failing subscriber does not stop the others', async () => {
  const feed = new FleetFeed();
  feed.touch('lathe');
  await turn();
  const got: FleetTouch[] = [];
  const off = feed.subscribe(() => {
    throw new Error('boom');
  });
  feed.subscribe((t) => got.push(t));
  await turn();
  assert.equal(got, [], 'the touch made before anyone listened was not kept');
  feed.touch('saw');
  await turn();
  assert.equal(got, [['saw']]);
  off();
  assert.is(feed.subscribers, 1);
  feed.close();
  feed.touch('saw');
  await turn();
  assert.equal(got, [['saw']], 'closed: nothing more');
});

test.run();
