// What the server sends to Slack through: the Notifier (notify() only enqueues: it never waits
// and never throws), its options, its counts, and the escaping every text gets. The delivery
// itself (per-channel queues, retries, give-up, log lines) is webhook-notifier.ts; the HTTP
// transport and how a failure is judged, webhook-send.ts.
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

/**
 * Slack reads `<...>` as mentions and links (`<!channel>` pings everyone) and `&` as an entity:
 * our texts carry no markup, and names and event details come from members and units, so every
 * one of these characters is sent escaped, as Slack's message formatting asks.
 */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
