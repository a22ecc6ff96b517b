// Slack delivery through the whole server (issue 8.8): with the control webhook hung, an oops on a
// machine still reaches the oops channel at once, and /metrics shows per channel what was sent and
// what was given up once the give-up time has passed (fake clock for the notifier's timers).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNotifier } from '../src/webhook-notifier.js';
import { startSlackReceiver } from './slack-receiver.js';
import { createFakeClock, flush } from './fake-clock.js';
import { makeApp, postUpdate, removeDir, update } from './helpers.js';

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('control webhook hung: the oops alert goes out at once; /metrics counts sent and given-up messages per channel', async () => {
  const rx = await startSlackReceiver();
  rx.behave((_i, path) => (path === '/control' ? 'hang' : { status: 200 }));
  const clock = createFakeClock(0);
  const notifier = createNotifier({ controlUrl: rx.url('/control'), oopsUrl: rx.url('/oops'), clock, timeoutMs: 5000, giveUpMs: 30_000 });
  const t = await makeApp({ extra: { notifier } });
  try {
    // chatter first: a login and a logout on the control channel, then the oops
    assert.is((await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }))).statusCode, 200);
    assert.is((await postUpdate(t.app, update('lathe', { rfid_value: '' }))).statusCode, 200);
    assert.is((await postUpdate(t.app, update('lathe', { oops: true }))).statusCode, 200);
    await rx.waitFor(1);
    assert.equal(rx.messages.map((m) => [m.path, m.text]), [['/oops', "Machine Metal Lathe has been Oops'ed!"]]);
    const s = notifier.stats().channels.control;
    assert.is(s.queued, 3, 'the control messages wait behind the hung request');

    for (let ms = 0; ms < 40_000; ms += 1000) {
      clock.advance(1000);
      await flush(3);
    }
    await until(() => notifier.stats().channels.control.queued === 0, 'the control channel to give up');
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_slack_messages_sent_total{channel="oops"} 1');
    assert.match(metrics, 'fobgate_slack_messages_sent_total{channel="control"} 0');
    assert.match(metrics, 'fobgate_slack_messages_failed_total{channel="control"} 3');
    assert.match(metrics, 'fobgate_slack_messages_dropped_total{channel="control"} 0');
    assert.match(metrics, /fobgate_slack_messages_retried_total\{channel="control"\} [1-9]/);
    assert.match(metrics, 'fobgate_slack_queue_length{channel="control"} 0');
  } finally {
    await t.close();
    await rx.close();
    removeDir(t.dir);
  }
});

test.run();
