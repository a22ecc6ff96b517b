// Fire-and-forget Slack delivery. notify() only enqueues; each channel (control, oops) has its
// own bounded queue and its own sender, so a hung or failing control webhook never delays an oops
// alert, and urgent messages (oops, lockout, alerts) go ahead of control chatter in their queue.
// A request is cut off after timeoutMs; 429/5xx/network failures are retried with jittered
// exponential back-off, and a 429's Retry-After pauses the whole channel for that long. Every
// message is given up at most giveUpMs after it was queued, whatever the webhook does. Each one
// ends counted as sent, dropped (queue full / shutdown) or failed (given up), retries are counted,
// and the log says so (drops and failures at once, coalesced; a summary after any activity).
export type NotifyChannel = 'control' | 'oops';
export const CHANNELS: NotifyChannel[] = ['control', 'oops'];

/** urgent: oops, lockout and alerts, sent before waiting normal (chatter) messages. */
export type NotifyPriority = 'urgent' | 'normal';

/** Arms a one-shot timer and returns its canceller. */
export type NotifierSetTimer = (fn: () => void, ms: number) => () => void;

/** Time seam for tests: one-shot timers and the current time (ms). */
export interface NotifierClock {
  setTimer: NotifierSetTimer;
  now: () => number;
}

/** What a failed send tells the notifier. */
export interface WebhookFailure {
  /** HTTP status when the webhook answered. */
  statusCode?: number;
  /** From a 429's Retry-After, ms. */
  retryAfterMs?: number;
  /** Short reason (never the URL: it is a secret). */
  reason: string;
}

/**
 * Sends one text to one webhook URL; resolves when delivered, rejects with a WebhookFailure-like
 * value otherwise; must stop when `signal` aborts (the notifier's timeout).
 */
export type WebhookSend = (url: string, text: string, signal: AbortSignal, blocks?: unknown[]) => Promise<void>;

/** Block Kit blocks to send with a text (e.g. a "Clear" button under an oops alert), or null. */
export type BlocksFor = (channel: NotifyChannel, text: string) => unknown[] | null;

export type NotifierLogLevel = 'info' | 'warn';

export interface NotifierOptions {
  controlUrl?: string;
  oopsUrl?: string;
  /** Messages waiting per channel at most; beyond it new ones are dropped and counted (500). */
  queueMax?: number;
  /** Tries per message, the first included (4). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout (5000). */
  timeoutMs?: number;
  /** A message not delivered this long after it was queued is given up (60 000). */
  giveUpMs?: number;
  clock?: NotifierClock;
  /** 0..1, for the jitter (default Math.random). */
  random?: () => number;
  /** Replaces the HTTP transport (default: a JSON POST with fetch). */
  send?: WebhookSend;
  /** Where drops, failures and summaries are logged (default: nowhere). */
  log?: (level: NotifierLogLevel, line: string) => void;
  /** Coalescing window for drop/failure log lines (10 000) and the summary delay (60 000), ms. */
  reportWindowMs?: number;
  summaryMs?: number;
}

export interface ChannelStats {
  /** Delivered (2xx). */
  sent: number;
  /** Retries performed (a message may be retried several times). */
  retried: number;
  /** Dropped because the queue was full or the notifier closed. */
  dropped: number;
  /** Given up: retries exhausted, a permanent error, or past giveUpMs. */
  failed: number;
  /** The channel has no webhook URL (disabled). */
  skipped: number;
  /** Waiting, the one being sent included. */
  queued: number;
}

export interface NotifierStats {
  sent: number;
  dropped: number;
  failed: number;
  queued: number;
  retries: number;
  skipped: number;
  channels: Record<NotifyChannel, ChannelStats>;
}

export interface Notifier {
  notify(channel: NotifyChannel, text: string, priority?: NotifyPriority): void;
  /** Sets what Block Kit blocks go with each text from now on (the Slack commands' buttons). */
  decorate?(fn: BlocksFor): void;
  stats(): NotifierStats;
  /** Resolves once nothing is queued or being sent (for tests and graceful shutdown). */
  idle(): Promise<void>;
  close(): void;
}

interface Item {
  text: string;
  urgent: boolean;
  attempts: number;
  queuedAt: number;
  /** Not sent again before this time (back-off). */
  notBefore: number;
  lastReason: string;
  /** Block Kit blocks sent with the text (buttons). */
  blocks?: unknown[];
}

interface Lane {
  channel: NotifyChannel;
  url: string | undefined;
  /** Urgent items first (a prefix), then normal ones; each class in arrival order. */
  queue: Item[];
  current: Item | null;
  abort: AbortController | null;
  cancelTimeout: (() => void) | null;
  cancelWake: (() => void) | null;
  /** A 429's Retry-After: nothing is sent on this channel before this time. */
  pausedUntil: number;
  stats: Omit<ChannelStats, 'queued'>;
  dropReport: Report;
  failReport: Report;
}

interface Report {
  /** Events since the last line, and when the window closes. */
  pending: number;
  last: string;
  windowEnd: number;
  cancel: (() => void) | null;
}

const realClock: NotifierClock = {
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  now: () => Date.now(),
};

/**
 * Slack reads `<...>` as mentions and links (`<!channel>` pings everyone) and `&` as an entity:
 * our texts carry no markup, and names and event details come from members and units, so every
 * one of these characters is sent escaped, as Slack's message formatting asks.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function failure(reason: string, statusCode?: number, retryAfter?: number): WebhookFailure {
  const f: WebhookFailure = { reason };
  if (statusCode !== undefined) f.statusCode = statusCode;
  if (retryAfter !== undefined) f.retryAfterMs = retryAfter;
  return f;
}

/** The default transport: POST {"text": ...} with fetch; the body of the answer is not read. */
const fetchSend: WebhookSend = async (url, text, signal, blocks) => {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(blocks ? { text: slackEscape(text), blocks } : { text: slackEscape(text) }),
      signal,
      redirect: 'error',
    });
  } catch (e) {
    if (signal.aborted) throw failure('no answer in time');
    const cause = (e as { cause?: { code?: unknown } }).cause;
    throw failure(cause && typeof cause.code === 'string' ? cause.code : 'request failed');
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.ok) return;
  throw failure(`HTTP ${res.status}`, res.status, res.status === 429 ? retryAfterMs(res.headers.get('retry-after'), Date.now()) : undefined);
};

function asFailure(err: unknown, aborted: boolean): WebhookFailure {
  if (aborted) return { reason: 'no answer in time' };
  const e = err as Partial<WebhookFailure> & { message?: unknown; code?: unknown } | null;
  if (e && typeof e === 'object') {
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const reason = typeof e.reason === 'string' ? e.reason : status !== undefined ? `HTTP ${status}` : typeof e.code === 'string' ? e.code : typeof e.message === 'string' ? e.message : 'request failed';
    return failure(reason, status, typeof e.retryAfterMs === 'number' && e.retryAfterMs >= 0 ? e.retryAfterMs : undefined);
  }
  return { reason: 'request failed' };
}

/** Retry 429, 5xx and transport errors (no answer / timeout); other 4xx are permanent. */
function retryable(f: WebhookFailure): boolean {
  return f.statusCode === undefined || f.statusCode === 429 || f.statusCode >= 500;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new RangeError(`notifier: ${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return v;
}

/** An empty URL disables the channel; anything else must be http(s) (the URL is a secret: never echoed). */
function webhookUrl(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  let ok = false;
  try {
    const u = new URL(value);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new RangeError(`notifier: ${name} must be an http(s) URL`);
  return value;
}

function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 80 ? one.slice(0, 77) + '...' : one;
}

export function createNotifier(options: NotifierOptions = {}): Notifier {
  const queueMax = count('queueMax', options.queueMax, 500, 1);
  const maxAttempts = count('maxAttempts', options.maxAttempts, 4, 1);
  const baseDelayMs = count('baseDelayMs', options.baseDelayMs, 500, 0);
  const maxDelayMs = count('maxDelayMs', options.maxDelayMs, 30_000, 0);
  const timeoutMs = count('timeoutMs', options.timeoutMs, 5000, 1);
  const giveUpMs = count('giveUpMs', options.giveUpMs, 60_000, 1);
  const reportWindowMs = count('reportWindowMs', options.reportWindowMs, 10_000, 1);
  const summaryMs = count('summaryMs', options.summaryMs, 60_000, 1);
  const clock = options.clock || realClock;
  const random = options.random || Math.random;
  const send = options.send || fetchSend;
  const log = options.log || (() => undefined);
  const urls: Record<NotifyChannel, string | undefined> = {
    control: webhookUrl('controlUrl', options.controlUrl),
    oops: webhookUrl('oopsUrl', options.oopsUrl),
  };
  const report = (): Report => ({ pending: 0, last: '', windowEnd: 0, cancel: null });
  const lanes: Record<NotifyChannel, Lane> = {} as Record<NotifyChannel, Lane>;
  for (const channel of CHANNELS) {
    lanes[channel] = {
      channel,
      url: urls[channel],
      queue: [],
      current: null,
      abort: null,
      cancelTimeout: null,
      cancelWake: null,
      pausedUntil: 0,
      stats: { sent: 0, retried: 0, dropped: 0, failed: 0, skipped: 0 },
      dropReport: report(),
      failReport: report(),
    };
  }
  let closed = false;
  let idleWaiters: Array<() => void> = [];
  let cancelSummary: (() => void) | null = null;
  let summaryFrom: Record<NotifyChannel, Omit<ChannelStats, 'queued'>> | null = null;

  const busy = (l: Lane) => l.current !== null || l.queue.length > 0;

  function settleIdle(): void {
    if (CHANNELS.some((c) => busy(lanes[c]))) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Something is about to be counted: a summary of the counts from here follows summaryMs later. */
  function activity(): void {
    if (closed || cancelSummary) return;
    summaryFrom = { control: { ...lanes.control.stats }, oops: { ...lanes.oops.stats } };
    cancelSummary = clock.setTimer(() => {
      cancelSummary = null;
      const from = summaryFrom!;
      for (const c of CHANNELS) {
        const s = lanes[c].stats;
        const d = (k: keyof typeof s) => s[k] - from[c][k];
        if (d('sent') + d('retried') + d('dropped') + d('failed') === 0) continue;
        log(
          d('dropped') + d('failed') > 0 ? 'warn' : 'info',
          `slack ${c}: in the last ${Math.round(summaryMs / 1000)} s ${d('sent')} sent, ${d('retried')} retried, ` +
            `${d('dropped')} dropped (queue full), ${d('failed')} failed (given up); ${lanes[c].queue.length + (lanes[c].current ? 1 : 0)} waiting`,
        );
      }
    }, summaryMs);
  }

  /** Logs the first event of a window at once, the rest as one line when the window closes. */
  function note(l: Lane, r: Report, line: string, what: string): void {
    const now = clock.now();
    if (now >= r.windowEnd) {
      r.windowEnd = now + reportWindowMs;
      log('warn', `slack ${l.channel}: ${line}`);
      return;
    }
    r.pending++;
    r.last = line;
    if (r.cancel || closed) return;
    r.cancel = clock.setTimer(() => {
      r.cancel = null;
      if (r.pending > 0) log('warn', `slack ${l.channel}: ${r.pending} more ${what} in the last ${Math.round(reportWindowMs / 1000)} s (last: ${r.last})`);
      r.pending = 0;
    }, Math.max(0, r.windowEnd - now));
  }

  function drop(l: Lane, why: string): void {
    activity();
    l.stats.dropped++;
    note(l, l.dropReport, `message dropped: ${why}`, 'messages dropped');
  }

  function fail(l: Lane, item: Item, why: string): void {
    activity();
    l.stats.failed++;
    const age = Math.round((clock.now() - item.queuedAt) / 1000);
    note(l, l.failReport, `gave up on a message after ${item.attempts} tr${item.attempts === 1 ? 'y' : 'ies'} and ${age} s (${why}): ${clip(item.text)}`, 'messages given up');
  }

  /** Puts an item back at the front of its class (urgent first). */
  function requeue(l: Lane, item: Item): void {
    let i = 0;
    if (!item.urgent) while (i < l.queue.length && l.queue[i].urgent) i++;
    l.queue.splice(i, 0, item);
  }

  function enqueue(l: Lane, item: Item): void {
    if (l.queue.length + (l.current ? 1 : 0) >= queueMax) {
      // room for an urgent message: the newest waiting chatter goes instead
      let victim = -1;
      if (item.urgent) for (let i = l.queue.length - 1; i >= 0 && victim < 0; i--) if (!l.queue[i].urgent) victim = i;
      if (victim < 0) {
        drop(l, `queue full (${queueMax} waiting): ${clip(item.text)}`);
        return;
      }
      const gone = l.queue.splice(victim, 1)[0];
      drop(l, `queue full (${queueMax} waiting), making room for an urgent message: ${clip(gone.text)}`);
    }
    if (item.urgent) {
      let i = 0;
      while (i < l.queue.length && l.queue[i].urgent) i++;
      l.queue.splice(i, 0, item);
    } else l.queue.push(item);
  }

  function backoff(attempts: number): number {
    const exp = Math.min(maxDelayMs, baseDelayMs * Math.pow(2, attempts - 1));
    return Math.round(exp / 2 + (exp / 2) * random());
  }

  function wake(l: Lane, at: number): void {
    if (l.cancelWake) l.cancelWake();
    l.cancelWake = clock.setTimer(() => {
      l.cancelWake = null;
      pump(l);
    }, Math.max(0, at - clock.now()));
  }

  function pump(l: Lane): void {
    if (closed || l.current) return;
    const now = clock.now();
    // whatever waited past its give-up time goes, sent or not
    for (let i = 0; i < l.queue.length; ) {
      const it = l.queue[i];
      if (now - it.queuedAt >= giveUpMs) {
        l.queue.splice(i, 1);
        fail(l, it, it.attempts ? `still failing: ${it.lastReason}` : `not sent within ${Math.round(giveUpMs / 1000)} s`);
      } else i++;
    }
    if (l.queue.length === 0) {
      if (l.cancelWake) l.cancelWake();
      l.cancelWake = null;
      settleIdle();
      return;
    }
    const head = l.queue[0];
    const ready = Math.max(l.pausedUntil, head.notBefore);
    if (ready > now) {
      let deadline = Infinity;
      for (const it of l.queue) deadline = Math.min(deadline, it.queuedAt + giveUpMs);
      wake(l, Math.min(ready, deadline));
      return;
    }
    if (l.cancelWake) l.cancelWake();
    l.cancelWake = null;
    l.queue.shift();
    l.current = head;
    head.attempts++;
    const abort = new AbortController();
    l.abort = abort;
    l.cancelTimeout = clock.setTimer(() => abort.abort(), timeoutMs);
    let attempt: Promise<void>;
    try {
      attempt = head.blocks ? send(l.url as string, head.text, abort.signal, head.blocks) : send(l.url as string, head.text, abort.signal);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    const done = (err: unknown, ok: boolean) => {
      if (l.current !== head) return;
      if (l.cancelTimeout) l.cancelTimeout();
      l.cancelTimeout = null;
      l.abort = null;
      l.current = null;
      if (closed) return;
      if (ok) {
        activity();
        l.stats.sent++;
        pump(l);
        return;
      }
      const f = asFailure(err, abort.signal.aborted);
      head.lastReason = f.reason;
      const t = clock.now();
      if (!retryable(f) || head.attempts >= maxAttempts) {
        fail(l, head, f.reason);
        pump(l);
        return;
      }
      const delay = f.retryAfterMs !== undefined ? Math.min(f.retryAfterMs, giveUpMs) : backoff(head.attempts);
      if (f.retryAfterMs !== undefined) l.pausedUntil = t + delay;
      if (t + delay - head.queuedAt >= giveUpMs) {
        fail(l, head, `${f.reason}; the next try would come after the give-up time`);
        pump(l);
        return;
      }
      activity();
      l.stats.retried++;
      head.notBefore = t + delay;
      requeue(l, head);
      pump(l);
    };
    attempt.then(
      () => done(null, true),
      (err: unknown) => done(err, false),
    );
  }

  function totals(): NotifierStats {
    const channels = {} as Record<NotifyChannel, ChannelStats>;
    const sum = { sent: 0, dropped: 0, failed: 0, queued: 0, retries: 0, skipped: 0 };
    for (const c of CHANNELS) {
      const l = lanes[c];
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

  let blocksFor: BlocksFor | null = null;

  return {
    notify(channel: NotifyChannel, text: string, priority: NotifyPriority = 'normal'): void {
      try {
        if (channel !== 'control' && channel !== 'oops') return;
        const l = lanes[channel];
        if (!l.url) {
          l.stats.skipped++;
          return;
        }
        if (closed) {
          drop(l, 'the notifier is shutting down');
          return;
        }
        const now = clock.now();
        const item: Item = { text: String(text), urgent: priority === 'urgent', attempts: 0, queuedAt: now, notBefore: 0, lastReason: '' };
        if (blocksFor) {
          const blocks = blocksFor(channel, item.text);
          if (blocks) item.blocks = blocks;
        }
        enqueue(l, item);
        if (!l.current) queueMicrotask(() => pump(l));
      } catch {
        // notify() never throws at a caller
      }
    },
    decorate(fn: BlocksFor): void {
      blocksFor = fn;
    },
    stats: totals,
    idle(): Promise<void> {
      if (closed || !CHANNELS.some((c) => busy(lanes[c]))) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
      });
    },
    close(): void {
      if (closed) return;
      closed = true;
      for (const c of CHANNELS) {
        const l = lanes[c];
        if (l.cancelWake) l.cancelWake();
        if (l.cancelTimeout) l.cancelTimeout();
        for (const r of [l.dropReport, l.failReport]) if (r.cancel) r.cancel();
        l.cancelWake = l.cancelTimeout = l.dropReport.cancel = l.failReport.cancel = null;
        const waiting = l.queue.length + (l.current ? 1 : 0);
        l.stats.dropped += waiting;
        if (waiting > 0) log('warn', `slack ${c}: ${waiting} message(s) dropped: the server is shutting down`);
        if (l.abort) l.abort.abort();
        l.abort = null;
        l.current = null;
        l.queue.length = 0;
      }
      if (cancelSummary) cancelSummary();
      cancelSummary = null;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
  };
}
