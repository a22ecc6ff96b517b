// Fire-and-forget Slack delivery: notify() only enqueues (bounded; drops counted), one sender at a
// time posts through @slack/webhook with a timeout, retrying 429/5xx/network failures with
// exponential back-off and jitter. A slow or dead Slack never delays a caller.
import { IncomingWebhook } from '@slack/webhook';

export type NotifyChannel = 'control' | 'oops';

/** Arms a one-shot timer and returns its canceller. */
export type NotifierSetTimer = (fn: () => void, ms: number) => () => void;

/** Time seam for tests: a fake one-shot timer for the back-off delays. */
export interface NotifierClock {
  setTimer: NotifierSetTimer;
}

/** Sends one text to one webhook URL; rejects on failure (the default wraps IncomingWebhook). */
export type WebhookSend = (url: string, text: string, timeoutMs: number, blocks?: unknown[]) => Promise<void>;

/** Block Kit blocks to send with a text (e.g. a "Clear" button under an oops alert), or null. */
export type BlocksFor = (channel: NotifyChannel, text: string) => unknown[] | null;

export interface NotifierOptions {
  controlUrl?: string;
  oopsUrl?: string;
  /** Messages waiting at most; beyond it new messages are dropped and counted (default 500). */
  queueMax?: number;
  /** Tries per message, the first included (default 4). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout (default 5000). */
  timeoutMs?: number;
  clock?: NotifierClock;
  /** 0..1, for the jitter (default Math.random). */
  random?: () => number;
  /** Replaces the HTTP transport (default: @slack/webhook's IncomingWebhook). */
  send?: WebhookSend;
  /** Told about messages given up on (never their URL). */
  onFailure?: (channel: NotifyChannel, reason: string) => void;
}

export interface NotifierStats {
  sent: number;
  /** Dropped because the queue was full or the notifier closed. */
  dropped: number;
  /** Given up after maxAttempts or on a permanent error. */
  failed: number;
  /** Waiting, the one being sent included. */
  queued: number;
  /** Retries performed. */
  retries: number;
  /** For a channel without a webhook URL (disabled). */
  skipped: number;
}

export interface Notifier {
  notify(channel: NotifyChannel, text: string): void;
  /** Sets what Block Kit blocks go with each text from now on (the Slack commands' buttons). */
  decorate?(fn: BlocksFor): void;
  stats(): NotifierStats;
  /** Resolves once nothing is queued or being sent (for tests and graceful shutdown). */
  idle(): Promise<void>;
  close(): void;
}

interface Item {
  channel: NotifyChannel;
  text: string;
  attempts: number;
  blocks?: unknown[];
}

const realSetTimer: NotifierSetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

const webhooks = new Map<string, IncomingWebhook>();

/**
 * Slack reads `<...>` as mentions and links (`<!channel>` pings everyone) and `&` as an entity:
 * our texts carry no markup, and names and event details come from members and units, so every
 * one of these characters is sent escaped, as Slack's message formatting asks.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const slackSend: WebhookSend = async (url, text, timeoutMs, blocks) => {
  const key = `${timeoutMs} ${url}`;
  let hook = webhooks.get(key);
  if (!hook) {
    hook = new IncomingWebhook(url, { timeout: timeoutMs });
    webhooks.set(key, hook);
  }
  await hook.send(blocks ? { text: slackEscape(text), blocks: blocks as never } : { text: slackEscape(text) });
};

/** Retry 429, 5xx and transport errors (no answer / timeout); other 4xx are permanent. */
function isRetryable(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (e && typeof e.statusCode === 'number') return e.statusCode === 429 || e.statusCode >= 500;
  return true;
}

function reasonOf(err: unknown): string {
  const e = err as { statusCode?: unknown; code?: unknown; original?: { message?: unknown } } | null;
  if (e && typeof e.statusCode === 'number') return `HTTP ${e.statusCode}`;
  if (e && e.original && typeof e.original.message === 'string') return e.original.message;
  if (e && typeof e.code === 'string') return e.code;
  return 'request failed';
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

export function createNotifier(options: NotifierOptions = {}): Notifier {
  const queueMax = count('queueMax', options.queueMax, 500, 1);
  const maxAttempts = count('maxAttempts', options.maxAttempts, 4, 1);
  const baseDelayMs = count('baseDelayMs', options.baseDelayMs, 500, 0);
  const maxDelayMs = count('maxDelayMs', options.maxDelayMs, 30_000, 0);
  const timeoutMs = count('timeoutMs', options.timeoutMs, 5000, 1);
  const setTimer = (options.clock && options.clock.setTimer) || realSetTimer;
  const random = options.random || Math.random;
  const send = options.send || slackSend;
  const urls: Record<NotifyChannel, string | undefined> = {
    control: webhookUrl('controlUrl', options.controlUrl),
    oops: webhookUrl('oopsUrl', options.oopsUrl),
  };

  const queue: Item[] = [];
  let busy = false;
  let closed = false;
  let cancelRetry: (() => void) | null = null;
  let idleWaiters: Array<() => void> = [];
  const stats = { sent: 0, dropped: 0, failed: 0, retries: 0, skipped: 0 };
  let blocksFor: BlocksFor | null = null;

  function settleIdle(): void {
    if (busy || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function backoff(attempts: number): number {
    const exp = Math.min(maxDelayMs, baseDelayMs * Math.pow(2, attempts - 1));
    return Math.round(exp / 2 + (exp / 2) * random());
  }

  function giveUp(item: Item, reason: string): void {
    stats.failed++;
    if (options.onFailure) {
      try {
        options.onFailure(item.channel, reason);
      } catch {
        // a logging hook must not stop delivery
      }
    }
  }

  function pump(): void {
    if (busy || closed || queue.length === 0) {
      settleIdle();
      return;
    }
    busy = true;
    const item = queue[0];
    const url = urls[item.channel] as string;
    item.attempts++;
    let attempt: Promise<void>;
    try {
      attempt = item.blocks ? send(url, item.text, timeoutMs, item.blocks) : send(url, item.text, timeoutMs);
    } catch (err) {
      attempt = Promise.reject(err);
    }
    attempt.then(
      () => {
        stats.sent++;
        if (closed) {
          queue.length = 0;
          busy = false;
          return;
        }
        queue.shift();
        busy = false;
        pump();
      },
      (err: unknown) => {
        if (closed) {
          stats.dropped++;
          queue.length = 0;
          busy = false;
          return;
        }
        if (!isRetryable(err) || item.attempts >= maxAttempts) {
          giveUp(item, reasonOf(err));
          queue.shift();
          busy = false;
          pump();
          return;
        }
        stats.retries++;
        cancelRetry = setTimer(() => {
          cancelRetry = null;
          busy = false;
          pump();
        }, backoff(item.attempts));
      },
    );
  }

  return {
    notify(channel: NotifyChannel, text: string): void {
      try {
        if (channel !== 'control' && channel !== 'oops') return;
        if (!urls[channel]) {
          stats.skipped++;
          return;
        }
        if (closed || queue.length >= queueMax) {
          stats.dropped++;
          return;
        }
        const item: Item = { channel, text: String(text), attempts: 0 };
        if (blocksFor) {
          const blocks = blocksFor(channel, item.text);
          if (blocks) item.blocks = blocks;
        }
        queue.push(item);
        if (!busy) queueMicrotask(pump);
      } catch {
        stats.dropped++;
      }
    },
    decorate(fn: BlocksFor): void {
      blocksFor = fn;
    },
    stats(): NotifierStats {
      return { sent: stats.sent, dropped: stats.dropped, failed: stats.failed, queued: queue.length, retries: stats.retries, skipped: stats.skipped };
    },
    idle(): Promise<void> {
      if (closed || (!busy && queue.length === 0)) return Promise.resolve();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
      });
    },
    close(): void {
      closed = true;
      if (cancelRetry) {
        cancelRetry();
        cancelRetry = null;
        busy = false;
      }
      const onTheWire = busy ? 1 : 0;
      stats.dropped += queue.length - onTheWire;
      queue.length = onTheWire;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
  };
}
