// Fire-and-forget Slack delivery. notify() only enqueues; each channel (control, oops) has its
// own bounded queue and its own sender, so a hung or failing control webhook never delays an oops
// alert, and urgent messages (oops, lockout, alerts) go ahead of control chatter in their queue.
// A request is cut off after timeoutMs; 429/5xx/network failures are retried with jittered
// exponential back-off, and a 429's Retry-After pauses the whole channel for that long. Every
// message is given up at most giveUpMs after it was queued, whatever the webhook does. Each one
// ends counted as sent, dropped (queue full / shutdown) or failed (given up), retries are counted,
// and the log says so (drops and failures at once, coalesced; a summary after any activity).
import {
  CHANNELS,
  type BlocksFor,
  type ChannelStats,
  type Notifier,
  type NotifierClock,
  type NotifierLogLevel,
  type NotifierOptions,
  type NotifierStats,
  type NotifyChannel,
  type NotifyPriority,
  type WebhookSend,
} from './notifier.js';
import { asFailure, fetchSend, retryable, webhookUrl } from './webhook-send.js';
import { clip, limitsOf, newLane, type Item, type Lane, type Report } from './webhook-lanes.js';

const realClock: NotifierClock = {
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  now: () => Date.now(),
};

const busy = (l: Lane) => l.current !== null || l.queue.length > 0;

class WebhookNotifier implements Notifier {
  private readonly limits: ReturnType<typeof limitsOf>;
  private readonly clock: NotifierClock;
  private readonly random: () => number;
  private readonly send: WebhookSend;
  private readonly log: (level: NotifierLogLevel, line: string) => void;
  private readonly lanes: Record<NotifyChannel, Lane>;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private cancelSummary: (() => void) | null = null;
  private summaryFrom: Record<NotifyChannel, Omit<ChannelStats, 'queued'>> | null = null;
  private blocksFor: BlocksFor | null = null;

  constructor(options: NotifierOptions) {
    this.limits = limitsOf(options);
    this.clock = options.clock || realClock;
    this.random = options.random || Math.random;
    this.send = options.send || fetchSend;
    this.log = options.log || (() => undefined);
    const urls: Record<NotifyChannel, string | undefined> = {
      control: webhookUrl('controlUrl', options.controlUrl),
      oops: webhookUrl('oopsUrl', options.oopsUrl),
    };
    this.lanes = {} as Record<NotifyChannel, Lane>;
    for (const channel of CHANNELS) this.lanes[channel] = newLane(channel, urls[channel]);
  }

  notify(channel: NotifyChannel, text: string, priority: NotifyPriority = 'normal'): void {
    try {
      if (channel !== 'control' && channel !== 'oops') return;
      const l = this.lanes[channel];
      if (!l.url) {
        l.stats.skipped++;
        return;
      }
      if (this.closed) {
        this.drop(l, 'the notifier is shutting down');
        return;
      }
      const now = this.clock.now();
      const item: Item = { text: String(text), urgent: priority === 'urgent', attempts: 0, queuedAt: now, notBefore: 0, lastReason: '' };
      if (this.blocksFor) {
        const blocks = this.blocksFor(channel, item.text);
        if (blocks) item.blocks = blocks;
      }
      this.enqueue(l, item);
      if (!l.current) queueMicrotask(() => this.pump(l));
    } catch {
      // notify() never throws at a caller
    }
  }

  decorate(fn: BlocksFor): void {
    this.blocksFor = fn;
  }

  stats(): NotifierStats {
    const channels = {} as Record<NotifyChannel, ChannelStats>;
    const sum = { sent: 0, dropped: 0, failed: 0, queued: 0, retries: 0, skipped: 0 };
    for (const c of CHANNELS) {
      const l = this.lanes[c];
      const s: ChannelStats = { ...l.stats, queued: l.queue.length + (l.current ? 1 : 0) };
      channels[c] = s;
      sum.sent += s.sent;
      sum.dropped += s.dropped;
      sum.failed += s.failed;
      sum.queued += s.queued;
      sum.retries += s.retried;
      sum.skipped += s.skipped;
    }
    return { ...sum, channels };
  }

  idle(): Promise<void> {
    if (this.closed || !CHANNELS.some((c) => busy(this.lanes[c]))) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of CHANNELS) {
      const l = this.lanes[c];
      if (l.cancelWake) l.cancelWake();
      if (l.cancelTimeout) l.cancelTimeout();
      for (const r of [l.dropReport, l.failReport]) if (r.cancel) r.cancel();
      l.cancelWake = l.cancelTimeout = l.dropReport.cancel = l.failReport.cancel = null;
      const waiting = l.queue.length + (l.current ? 1 : 0);
      l.stats.dropped += waiting;
      if (waiting > 0) this.log('warn', `slack ${c}: ${waiting} message(s) dropped: the server is shutting down`);
      if (l.abort) l.abort.abort();
      l.abort = null;
      l.current = null;
      l.queue.length = 0;
    }
    if (this.cancelSummary) this.cancelSummary();
    this.cancelSummary = null;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private settleIdle(): void {
    if (CHANNELS.some((c) => busy(this.lanes[c]))) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Something is about to be counted: a summary of the counts from here follows summaryMs later. */
  private activity(): void {
    if (this.closed || this.cancelSummary) return;
    const lanes = this.lanes;
    const summaryMs = this.limits.summaryMs;
    this.summaryFrom = { control: { ...lanes.control.stats }, oops: { ...lanes.oops.stats } };
    this.cancelSummary = this.clock.setTimer(() => {
      this.cancelSummary = null;
      const from = this.summaryFrom!;
      for (const c of CHANNELS) {
        const s = lanes[c].stats;
        const d = (k: keyof typeof s) => s[k] - from[c][k];
        if (d('sent') + d('retried') + d('dropped') + d('failed') === 0) continue;
        this.log(
          d('dropped') + d('failed') > 0 ? 'warn' : 'info',
          `slack ${c}: in the last ${Math.round(summaryMs / 1000)} s ${d('sent')} sent, ${d('retried')} retried, ` +
            `${d('dropped')} dropped (queue full), ${d('failed')} failed (given up); ${lanes[c].queue.length + (lanes[c].current ? 1 : 0)} waiting`,
        );
      }
    }, summaryMs);
  }

  /** Logs the first event of a window at once, the rest as one line when the window closes. */
  private note(l: Lane, r: Report, line: string, what: string): void {
    const now = this.clock.now();
    const reportWindowMs = this.limits.reportWindowMs;
    if (now >= r.windowEnd) {
      r.windowEnd = now + reportWindowMs;
      this.log('warn', `slack ${l.channel}: ${line}`);
      return;
    }
    r.pending++;
    r.last = line;
    if (r.cancel || this.closed) return;
    r.cancel = this.clock.setTimer(() => {
      r.cancel = null;
      if (r.pending > 0) this.log('warn', `slack ${l.channel}: ${r.pending} more ${what} in the last ${Math.round(reportWindowMs / 1000)} s (last: ${r.last})`);
      r.pending = 0;
    }, Math.max(0, r.windowEnd - now));
  }

  private drop(l: Lane, why: string): void {
    this.activity();
    l.stats.dropped++;
    this.note(l, l.dropReport, `message dropped: ${why}`, 'messages dropped');
  }

  private fail(l: Lane, item: Item, why: string): void {
    this.activity();
    l.stats.failed++;
    const age = Math.round((this.clock.now() - item.queuedAt) / 1000);
    this.note(l, l.failReport, `gave up on a message after ${item.attempts} tr${item.attempts === 1 ? 'y' : 'ies'} and ${age} s (${why}): ${clip(item.text)}`, 'messages given up');
  }

  /** Puts an item back at the front of its class (urgent first). */
  private requeue(l: Lane, item: Item): void {
    let i = 0;
    if (!item.urgent) while (i < l.queue.length && l.queue[i].urgent) i++;
    l.queue.splice(i, 0, item);
  }

  private enqueue(l: Lane, item: Item): void {
    const queueMax = this.limits.queueMax;
    if (l.queue.length + (l.current ? 1 : 0) >= queueMax) {
      // room for an urgent message: the newest waiting chatter goes instead
      let victim = -1;
      if (item.urgent) for (let i = l.queue.length - 1; i >= 0 && victim < 0; i--) if (!l.queue[i].urgent) victim = i;
      if (victim < 0) {
        this.drop(l, `queue full (${queueMax} waiting): ${clip(item.text)}`);
        return;
      }
      const gone = l.queue.splice(victim, 1)[0];
      this.drop(l, `queue full (${queueMax} waiting), making room for an urgent message: ${clip(gone.text)}`);
    }
    if (item.urgent) {
      let i = 0;
      while (i < l.queue.length && l.queue[i].urgent) i++;
      l.queue.splice(i, 0, item);
    } else l.queue.push(item);
  }

  private backoff(attempts: number): number {
    const { maxDelayMs, baseDelayMs } = this.limits;
    const exp = Math.min(maxDelayMs, baseDelayMs * Math.pow(2, attempts - 1));
    return Math.round(exp / 2 + (exp / 2) * this.random());
  }

  private wake(l: Lane, at: number): void {
    if (l.cancelWake) l.cancelWake();
    l.cancelWake = this.clock.setTimer(() => {
      l.cancelWake = null;
      this.pump(l);
    }, Math.max(0, at - this.clock.now()));
  }

  /** Sends the lane's next message when it may go (or arms the wake-up for when it may). */
  private pump(l: Lane): void {
    if (this.closed || l.current) return;
    const now = this.clock.now();
    const giveUpMs = this.limits.giveUpMs;
    // whatever waited past its give-up time goes, sent or not
    for (let i = 0; i < l.queue.length; ) {
      const it = l.queue[i];
      if (now - it.queuedAt >= giveUpMs) {
        l.queue.splice(i, 1);
        this.fail(l, it, it.attempts ? `still failing: ${it.lastReason}` : `not sent within ${Math.round(giveUpMs / 1000)} s`);
      } else i++;
    }
    if (l.queue.length === 0) {
      if (l.cancelWake) l.cancelWake();
      l.cancelWake = null;
      this.settleIdle();
      return;
    }
    const head = l.queue[0];
    const ready = Math.max(l.pausedUntil, head.notBefore);
    if (ready > now) {
      let deadline = Infinity;
      for (const it of l.queue) deadline = Math.min(deadline, it.queuedAt + giveUpMs);
      this.wake(l, Math.min(ready, deadline));
      return;
    }
    if (l.cancelWake) l.cancelWake();
    l.cancelWake = null;
    l.queue.shift();
    this.attempt(l, head);
  }

  /** One try of `head`, cut off after timeoutMs. */
  private attempt(l: Lane, head: Item): void {
    l.current = head;
    head.attempts++;
    const abort = new AbortController();
    l.abort = abort;
    l.cancelTimeout = this.clock.setTimer(() => abort.abort(), this.limits.timeoutMs);
    let attempt: Promise<void>;
    try {
      attempt = head.blocks ? this.send(l.url as string, head.text, abort.signal, head.blocks) : this.send(l.url as string, head.text, abort.signal);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    attempt.then(
      () => this.attemptDone(l, head, abort, null, true),
      (err: unknown) => this.attemptDone(l, head, abort, err, false),
    );
  }

  /** A try ended: counted sent, retried later (back-off or Retry-After) or given up. */
  private attemptDone(l: Lane, head: Item, abort: AbortController, err: unknown, ok: boolean): void {
    if (l.current !== head) return;
    if (l.cancelTimeout) l.cancelTimeout();
    l.cancelTimeout = null;
    l.abort = null;
    l.current = null;
    if (this.closed) return;
    if (ok) {
      this.activity();
      l.stats.sent++;
      this.pump(l);
      return;
    }
    const { giveUpMs, maxAttempts } = this.limits;
    const f = asFailure(err, abort.signal.aborted);
    head.lastReason = f.reason;
    const t = this.clock.now();
    if (!retryable(f) || head.attempts >= maxAttempts) {
      this.fail(l, head, f.reason);
      this.pump(l);
      return;
    }
    const delay = f.retryAfterMs !== undefined ? Math.min(f.retryAfterMs, giveUpMs) : this.backoff(head.attempts);
    if (f.retryAfterMs !== undefined) l.pausedUntil = t + delay;
    if (t + delay - head.queuedAt >= giveUpMs) {
      this.fail(l, head, `${f.reason}; the next try would come after the give-up time`);
      this.pump(l);
      return;
    }
    this.activity();
    l.stats.retried++;
    head.notBefore = t + delay;
    this.requeue(l, head);
    this.pump(l);
  }
}

/** A notifier posting to the configured webhooks (a channel without a URL only counts skips). */
export function createNotifier(options: NotifierOptions = {}): Notifier {
  return new WebhookNotifier(options);
}
