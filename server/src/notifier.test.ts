// Tests of the Slack notifier against real local HTTP receivers (time on fake clocks where it
// matters): one queue per channel, so a hung control webhook never delays an oops alert; urgent
// messages ahead of chatter; a bounded time to give up; Retry-After honoured on 429; every message
// counted as sent, retried, dropped or failed, in stats, in /metrics and in the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import type { NotifierStats } from './notifier.js';
import { createNotifier } from './webhook-notifier.js';
import { retryAfterMs } from './webhook-send.js';
import { registerSlackMetrics } from './slack-metrics.js';
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

/** Waits (real time, for real sockets) until `cond` holds; fails after `ms`. */
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function total(s: NotifierStats, c: 'control' | 'oops'): number {
  const x = s.channels[c];
  return x.sent + x.dropped + x.failed + x.queued;
}

test('messages arrive in order with the right text on the right webhook', async () => {
  const rx = await startSlackReceiver();
  const n = createNotifier({ controlUrl: rx.url('/control'), oopsUrl: rx.url('/oops') });
  try {
    n.notify('control', 'Machine Lathe has rebooted.');
    n.notify('oops', "Machine Lathe has been Oops'ed!");
    n.notify('control', 'RFID login on Lathe by authorized user Ada Lovelace');
    await rx.waitFor(3);
    assert.equal(rx.messages.filter((m) => m.path === '/control').map((m) => m.text), ['Machine Lathe has rebooted.', 'RFID login on Lathe by authorized user Ada Lovelace']);
    assert.equal(rx.messages.filter((m) => m.path === '/oops').map((m) => m.text), ["Machine Lathe has been Oops'ed!"]);
    await n.idle();
    const s = n.stats();
    assert.equal([s.sent, s.dropped, s.failed, s.queued, s.retries, s.skipped], [3, 0, 0, 0, 0, 0]);
    assert.equal(s.channels.control, { sent: 2, retried: 0, dropped: 0, failed: 0, skipped: 0, queued: 0 });
    assert.equal(s.channels.oops, { sent: 1, retried: 0, dropped: 0, failed: 0, skipped: 0, queued: 0 });
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

test('a hung control webhook: oops alerts go out at once, control messages are given up within the bound, every message counted and logged', async () => {
  const rx = await startSlackReceiver();
  rx.behave((_i, path) => (path === '/control' ? 'hang' : { status: 200 }));
  const clock = createFakeClock(1_000_000);
  const lines: string[] = [];
  const n = createNotifier({
    controlUrl: rx.url('/control'),
    oopsUrl: rx.url('/oops'),
    queueMax: 100,
    timeoutMs: 5000,
    giveUpMs: 60_000,
    clock,
    log: (level, line) => lines.push(`${level} ${line}`),
  });
  try {
    for (let i = 0; i < 2000; i++) n.notify('control', `RFID login on Lathe by authorized user Member ${i}`);
    n.notify('oops', "Machine Lathe has been Oops'ed!", 'urgent');
    // the oops channel does not wait for the control channel: no fake time passes at all
    await rx.waitFor(1);
    assert.equal(rx.messages.map((m) => [m.path, m.text]), [['/oops', "Machine Lathe has been Oops'ed!"]]);
    // the receiver has the message before the notifier has read its answer
    await until(() => n.stats().channels.oops.sent === 1, 'the oops answer to be read');
    let s = n.stats();
    assert.is(s.channels.oops.sent, 1);
    assert.is(s.channels.control.queued, 100, 'the control queue is bounded');
    assert.is(s.channels.control.dropped, 1900, 'every drop counted');

    // the hung request is cut off after timeoutMs and retried; 65 s later everything has been given up
    await until(() => rx.requests >= 2, 'the first control request');
    for (let t = 0; t < 65_000; t += 1000) {
      clock.advance(1000);
      await flush(3);
    }
    await until(() => n.stats().channels.control.queued === 0, 'the control queue to drain');
    s = n.stats();
    assert.is(s.channels.control.sent, 0);
    assert.is(s.channels.control.failed, 100, 'given up, not lost silently');
    assert.ok(s.channels.control.retried >= 1, 'the head message was retried');
    assert.is(total(s, 'control'), 2000, 'sent + dropped + failed + waiting = every control message');
    assert.is(total(s, 'oops'), 1);
    assert.ok(rx.requests <= 1 + 14, `at most one control request per timeout period (${rx.requests})`);

    // the log names drops and give-ups without a line per message, and a summary follows
    clock.advance(60_000);
    await flush();
    const log = lines.join('\n');
    assert.match(log, /warn slack control: message dropped: queue full \(100 waiting\)/);
    assert.match(log, /warn slack control: \d+ more messages dropped in the last 10 s/);
    assert.match(log, /warn slack control: gave up on a message after \d tr(y|ies) and \d+ s \(/);
    assert.match(log, /slack control: in the last 60 s 0 sent, \d+ retried, 1900 dropped \(queue full\), \d+ failed \(given up\)/);
    const failed = [...log.matchAll(/slack control: in the last 60 s .* (\d+) failed \(given up\)/g)].reduce((a, m) => a + Number(m[1]), 0);
    assert.is(failed, 100, 'the summaries account for every message given up');
    assert.match(log, /info slack oops: in the last 60 s 1 sent, 0 retried, 0 dropped \(queue full\), 0 failed \(given up\)/);
    assert.ok(lines.length < 40, `${lines.length} log lines for 2001 messages`);
  } finally {
    n.close();
    await rx.close();
  }
  assert.is(clock.pending(), 0, 'close() cleared every timer');
});

test('urgent messages go ahead of waiting chatter; a full queue makes room for them', async () => {
  const rx = await startSlackReceiver();
  rx.behave((i) => (i === 0 ? 'hold' : { status: 200 }));
  const n = createNotifier({ controlUrl: rx.url('/control'), queueMax: 4 });
  try {
    for (let i = 1; i <= 5; i++) n.notify('control', `chatter ${i}`);
    await until(() => rx.held() === 1, 'the first message on the wire');
    n.notify('control', 'Machine Lathe oopsed via button by unknown user.', 'urgent');
    n.notify('control', 'Machine Lathe is locked-out for maintenance.', 'urgent');
    rx.release();
    await rx.waitFor(4);
    await n.idle();
    assert.equal(rx.messages.map((m) => m.text), [
      'chatter 1',
      'Machine Lathe oopsed via button by unknown user.',
      'Machine Lathe is locked-out for maintenance.',
      'chatter 2',
    ]);
    const s = n.stats().channels.control;
    assert.is(s.dropped, 3, 'chatter 5 did not fit; chatter 4 and 3 (the newest chatter) made room for the urgent ones');
    assert.is(s.sent + s.dropped, 7);
  } finally {
    n.close();
    await rx.close();
  }
});

test('429 with Retry-After pauses the channel for that long; a 500 is retried with back-off', async () => {
  const rx = await startSlackReceiver();
  rx.behave((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '7' } } : i === 1 ? { status: 500 } : { status: 200 }));
  const clock = createFakeClock(5_000);
  const n = createNotifier({ controlUrl: rx.url('/c'), clock, random: () => 1, baseDelayMs: 400 });
  try {
    n.notify('control', 'first');
    n.notify('control', 'second');
    await until(() => n.stats().retries === 1, 'the 429 to be handled');
    clock.advance(6999);
    await flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.is(rx.requests, 1, 'nothing is sent during the Retry-After pause');
    clock.advance(1);
    await until(() => n.stats().retries === 2, 'the 500 to be handled');
    assert.is(rx.requests, 2);
    clock.advance(799);
    await flush();
    await new Promise((r) => setTimeout(r, 50));
    assert.is(rx.requests, 2, 'the back-off after a second failure (800 ms) is waited out');
    clock.advance(1);
    await rx.waitFor(2);
    assert.equal(rx.messages.map((m) => m.text), ['first', 'second']);
    await n.idle();
    assert.equal(n.stats().channels.control, { sent: 2, retried: 2, dropped: 0, failed: 0, skipped: 0, queued: 0 });
  } finally {
    n.close();
    await rx.close();
  }
});

test('a refused webhook and a failing one: retried, then given up; counted per channel in /metrics and logged', async () => {
  const port = await deadPort();
  const rx = await startSlackReceiver();
  rx.behave(() => ({ status: 503 }));
  const clock = createFakeClock(0);
  const lines: string[] = [];
  const n = createNotifier({
    controlUrl: `http://127.0.0.1:${port}/refused`,
    oopsUrl: rx.url('/busy'),
    maxAttempts: 3,
    baseDelayMs: 1000,
    clock,
    random: () => 1,
    log: (_level, line) => lines.push(line),
  });
  const registry = new Registry();
  registerSlackMetrics(registry, () => n.stats());
  try {
    n.notify('control', 'RFID login on Lathe by authorized user Ada');
    n.notify('oops', "Machine Lathe has been Oops'ed!", 'urgent');
    await until(() => n.stats().retries === 2, 'the first tries to fail');
    clock.advance(1000);
    await until(() => n.stats().retries === 4, 'the second tries to fail');
    clock.advance(2000);
    await until(() => n.stats().failed === 2, 'both messages to be given up');
    const s = n.stats();
    assert.equal(s.channels.control, { sent: 0, retried: 2, dropped: 0, failed: 1, skipped: 0, queued: 0 });
    assert.equal(s.channels.oops, { sent: 0, retried: 2, dropped: 0, failed: 1, skipped: 0, queued: 0 });
    assert.is(rx.requests, 3);
    const text = await registry.metrics();
    assert.match(text, 'fobgate_slack_messages_failed_total{channel="control"} 1');
    assert.match(text, 'fobgate_slack_messages_failed_total{channel="oops"} 1');
    assert.match(text, 'fobgate_slack_messages_retried_total{channel="oops"} 2');
    assert.match(text, 'fobgate_slack_messages_sent_total{channel="control"} 0');
    assert.match(text, 'fobgate_slack_messages_dropped_total{channel="oops"} 0');
    assert.match(text, 'fobgate_slack_queue_length{channel="control"} 0');
    const log = lines.join('\n');
    assert.match(log, /slack control: gave up on a message after 3 tries and \d+ s \(ECONNREFUSED\): RFID login on Lathe/);
    assert.match(log, /slack oops: gave up on a message after 3 tries and \d+ s \(HTTP 503\)/);
    assert.not.match(log, String(port), 'the webhook URL (a secret) is never logged');
  } finally {
    n.close();
    await rx.close();
  }
});

test('a permanent 4xx is not retried; a channel without a URL is skipped', async () => {
  const rx = await startSlackReceiver();
  rx.behave(() => ({ status: 404 }));
  const n = createNotifier({ controlUrl: rx.url('/gone') });
  try {
    n.notify('control', 'a');
    n.notify('oops', 'b');
    await until(() => n.stats().failed === 1, 'the 404');
    await n.idle();
    assert.is(rx.requests, 1);
    const s = n.stats();
    assert.equal(s.channels.control, { sent: 0, retried: 0, dropped: 0, failed: 1, skipped: 0, queued: 0 });
    assert.equal(s.channels.oops, { sent: 0, retried: 0, dropped: 0, failed: 0, skipped: 1, queued: 0 });
  } finally {
    n.close();
    await rx.close();
  }
});

test('back-off doubles with jitter up to the cap; close() cancels every timer and counts what waited as dropped', async () => {
  const clock = createFakeClock();
  const delays: number[] = [];
  let tries = 0;
  let last = 0;
  const n = createNotifier({
    controlUrl: 'http://unused.invalid/x',
    maxAttempts: 8,
    baseDelayMs: 500,
    maxDelayMs: 4000,
    giveUpMs: 600_000,
    random: () => 1,
    clock,
    send: async () => {
      if (tries > 0) delays.push(clock.now() - last);
      last = clock.now();
      tries++;
      throw { statusCode: 502, reason: 'HTTP 502' };
    },
  });
  n.notify('control', 'x');
  n.notify('control', 'y');
  await flush();
  while (tries < 6) {
    clock.advance(100);
    await flush();
  }
  assert.equal(delays.slice(0, 5), [500, 1000, 2000, 4000, 4000]);
  assert.is(tries, 6);
  assert.ok(clock.pending() >= 1, 'a retry is waiting');
  n.close();
  assert.is(clock.pending(), 0, 'close() cleared them');
  assert.is(n.stats().dropped, 2, 'both waiting messages counted');
  assert.is(n.stats().queued, 0);
  n.notify('control', 'after close');
  assert.is(n.stats().dropped, 3, 'notify after close is dropped and counted');

  const jittered: number[] = [];
  let t0 = -1;
  const m = createNotifier({
    controlUrl: 'http://unused.invalid/x',
    maxAttempts: 2,
    baseDelayMs: 1000,
    random: () => 0,
    clock,
    send: async () => {
      if (t0 >= 0) jittered.push(clock.now() - t0);
      t0 = clock.now();
      throw { reason: 'ECONNRESET' };
    },
  });
  m.notify('control', 'y');
  await flush();
  clock.advance(499);
  await flush();
  assert.equal(jittered, [], 'not before half the delay');
  clock.advance(1);
  await flush();
  assert.equal(jittered, [500], 'jitter spans half to all of the exponential delay');
  m.close();
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.is(retryAfterMs('7', 0), 7000);
  assert.is(retryAfterMs(' 0 ', 0), 0);
  assert.is(retryAfterMs(new Date(60_000).toUTCString(), 30_000), 30_000);
  assert.is(retryAfterMs('soon', 0), undefined);
  assert.is(retryAfterMs(null, 0), undefined);
});

test('options are checked', () => {
  assert.throws(() => createNotifier({ queueMax: 0 }), /queueMax/);
  assert.throws(() => createNotifier({ timeoutMs: -1 }), /timeoutMs/);
  assert.throws(() => createNotifier({ giveUpMs: 0 }), /giveUpMs/);
  assert.throws(() => createNotifier({ controlUrl: 'hooks.slack.com/services/SECRET' }), (e: Error) => /controlUrl must be an http\(s\) URL/.test(e.message) && !e.message.includes('SECRET'));
  assert.throws(() => createNotifier({ oopsUrl: 'ftp://x/y' }), /oopsUrl/);
});

test.run();
