// Tests of the Slack notifier against a real local HTTP receiver: delivery per channel, retry
// after 500/429 and network errors, permanent 4xx, dead and slow receivers never delaying
// notify(), a bounded queue with counted drops, back-off shape and timer clean-up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createNotifier } from './notifier.js';
import { startSlackReceiver } from '../test/slack-receiver.js';
import { createFakeClock, flush } from '../test/fake-clock.js';

/** A port on which nobody listens (connection refused). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('messages arrive in order with the right text on the right webhook', async () => {
  const rx = await startSlackReceiver();
  const n = createNotifier({ controlUrl: rx.url('/control'), oopsUrl: rx.url('/oops') });
  try {
    n.notify('control', 'Machine Lathe has rebooted.');
    n.notify('oops', "Machine Lathe has been Oops'ed!");
    n.notify('control', 'RFID login on Lathe by authorized user Ada Lovelace');
    await rx.waitFor(3);
    assert.equal(
      rx.messages.map((m) => [m.path, m.text]),
      [
        ['/control', 'Machine Lathe has rebooted.'],
        ['/oops', "Machine Lathe has been Oops'ed!"],
        ['/control', 'RFID login on Lathe by authorized user Ada Lovelace'],
      ],
    );
    await n.idle();
    assert.equal(n.stats(), { sent: 3, dropped: 0, failed: 0, queued: 0, retries: 0, skipped: 0 });
  } finally {
    n.close();
    await rx.close();
  }
});

test('names and details from members and units cannot mention @channel or forge links in Slack', async () => {
  const rx = await startSlackReceiver();
  const n = createNotifier({ controlUrl: rx.url('/control') });
  try {
    n.notify('control', 'RFID login on Lathe by authorized user <!channel> & <http://evil|click>');
    await rx.waitFor(1);
    assert.is(rx.messages[0].text, 'RFID login on Lathe by authorized user &lt;!channel&gt; &amp; &lt;http://evil|click&gt;');
    await n.idle();
  } finally {
    n.close();
    await rx.close();
  }
});

test('a receiver answering 500 then 200 gets the retry; 429 is retried too', async () => {
  const rx = await startSlackReceiver();
  rx.behave((i) => ({ status: i === 0 ? 500 : i === 1 ? 429 : 200 }));
  const n = createNotifier({ controlUrl: rx.url('/c'), baseDelayMs: 20, maxDelayMs: 100 });
  try {
    n.notify('control', 'hello');
    await rx.waitFor(1);
    await n.idle();
    assert.is(rx.requests, 3);
    assert.equal(rx.messages.map((m) => m.text), ['hello']);
    const s = n.stats();
    assert.is(s.sent, 1);
    assert.is(s.retries, 2);
    assert.is(s.failed, 0);
  } finally {
    n.close();
    await rx.close();
  }
});

test('a permanent 4xx is not retried; giving up after maxAttempts is counted', async () => {
  const rx = await startSlackReceiver();
  rx.behave((i, path) => ({ status: path === '/gone' ? 404 : 503 }));
  const reasons: string[] = [];
  const n = createNotifier({
    controlUrl: rx.url('/gone'),
    oopsUrl: rx.url('/busy'),
    baseDelayMs: 5,
    maxAttempts: 3,
    onFailure: (channel, reason) => reasons.push(`${channel}: ${reason}`),
  });
  try {
    n.notify('control', 'a');
    n.notify('oops', 'b');
    await n.idle();
    assert.is(rx.requests, 1 + 3, 'one try for the 404, three for the 503');
    assert.equal(n.stats(), { sent: 0, dropped: 0, failed: 2, queued: 0, retries: 2, skipped: 0 });
    assert.equal(reasons, ['control: HTTP 404', 'oops: HTTP 503']);
  } finally {
    n.close();
    await rx.close();
  }
});

test('a dead receiver never delays notify(); the queue is capped and drops are counted', async () => {
  const port = await deadPort();
  const n = createNotifier({
    controlUrl: `http://127.0.0.1:${port}/dead`,
    queueMax: 20,
    baseDelayMs: 1000,
    maxAttempts: 4,
  });
  try {
    // notify() only enqueues: it returns nothing to wait for, whatever the receiver does
    for (let i = 0; i < 5000; i++) assert.is(n.notify('control', `message ${i} ${'x'.repeat(200)}`) as unknown, undefined);
    const s = n.stats();
    assert.is(s.queued, 20, 'queue capped');
    assert.is(s.dropped, 4980, 'every drop counted');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(n.stats().retries >= 1, 'the head message is being retried');
    assert.is(n.stats().queued, 20);
  } finally {
    n.close();
  }
  const after = n.stats();
  assert.ok(after.queued <= 1, 'close() frees the queue (at most the message on the wire remains)');
  assert.is(after.dropped + after.queued + after.failed, 5000);
});

test('a receiver that never answers is cut off by the timeout; later messages still get through', async () => {
  const rx = await startSlackReceiver();
  rx.behave((i) => (i === 0 ? 'hang' : { status: 200 }));
  const n = createNotifier({ controlUrl: rx.url('/slow'), timeoutMs: 200, baseDelayMs: 10, maxAttempts: 2 });
  try {
    n.notify('control', 'first');
    n.notify('control', 'second');
    // returned before anything reached the (hanging) receiver: notify() never waits for Slack
    assert.is(rx.messages.length, 0, 'notify() returns at once');
    await rx.waitFor(2, 5000);
    assert.equal(rx.messages.map((m) => m.text), ['first', 'second'], 'the timed-out message was retried');
    assert.is(n.stats().retries, 1);
  } finally {
    n.close();
    await rx.close();
  }
});

test('a channel without a URL is disabled: skipped, not queued, not dropped', async () => {
  const n = createNotifier({ controlUrl: '' });
  n.notify('control', 'x');
  n.notify('oops', 'y');
  assert.equal(n.stats(), { sent: 0, dropped: 0, failed: 0, queued: 0, retries: 0, skipped: 2 });
  await n.idle();
  n.close();
});

test('back-off doubles with jitter up to the cap; close() cancels the pending retry timer', async () => {
  const clock = createFakeClock();
  const delays: number[] = [];
  const setTimer = (fn: () => void, ms: number) => {
    delays.push(ms);
    return clock.setTimer(fn, ms);
  };
  let tries = 0;
  const n = createNotifier({
    controlUrl: 'http://unused.invalid/x',
    maxAttempts: 8,
    baseDelayMs: 500,
    maxDelayMs: 4000,
    random: () => 1,
    clock: { setTimer },
    send: async () => {
      tries++;
      throw Object.assign(new Error('down'), { statusCode: 502 });
    },
  });
  n.notify('control', 'x');
  for (let i = 0; i < 5; i++) {
    await flush();
    clock.advance(10_000);
  }
  await flush();
  assert.equal(delays.slice(0, 5), [500, 1000, 2000, 4000, 4000]);
  assert.is(tries, 6);
  assert.is(clock.pending(), 1, 'a retry is scheduled');
  n.close();
  assert.is(clock.pending(), 0, 'close() cleared it');
  assert.equal(n.stats().dropped, 1, 'the abandoned message is counted');
  assert.is(n.stats().queued, 0);
  n.notify('control', 'after close');
  assert.is(n.stats().dropped, 2, 'notify after close is dropped and counted');

  const jittered: number[] = [];
  const m = createNotifier({
    controlUrl: 'http://unused.invalid/x',
    maxAttempts: 2,
    baseDelayMs: 1000,
    random: () => 0,
    clock: { setTimer: (fn, ms) => (jittered.push(ms), clock.setTimer(fn, ms)) },
    send: async () => {
      throw new Error('ECONNRESET');
    },
  });
  m.notify('control', 'y');
  await flush();
  assert.equal(jittered, [500], 'jitter spans half to all of the exponential delay');
  m.close();
});

test('options are checked', () => {
  assert.throws(() => createNotifier({ queueMax: 0 }), /queueMax/);
  assert.throws(() => createNotifier({ timeoutMs: -1 }), /timeoutMs/);
  assert.throws(() => createNotifier({ controlUrl: 'hooks.slack.com/services/SECRET' }), (e: Error) => /controlUrl must be an http\(s\) URL/.test(e.message) && !e.message.includes('SECRET'));
  assert.throws(() => createNotifier({ oopsUrl: 'ftp://x/y' }), /oopsUrl/);
});

test.run();
