// One Slack channel's lane in the notifier: its queue of messages (urgent ones first), the one
// being sent, its timers, its counts and its coalesced log-line windows; and the delivery limits
// the notifier checks once (webhook-notifier.ts drives the lanes).
import type { ChannelStats, NotifierOptions, NotifyChannel } from './notifier.js';

export interface Item {
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

export interface Lane {
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

export interface Report {
  /** Events since the last line, and when the window closes. */
  pending: number;
  last: string;
  windowEnd: number;
  cancel: (() => void) | null;
}

function count(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new RangeError(`notifier: ${name} must be a number >= ${min}, got ${String(value)}`);
  }
  return v;
}

/** A message's text on one line, at most 80 characters (log lines). */
export function clip(text: string): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > 80 ? one.slice(0, 77) + '...' : one;
}

/** The delivery limits, each checked once (a bad one is a RangeError at start-up). */
export function limitsOf(options: NotifierOptions) {
  return {
    queueMax: count('queueMax', options.queueMax, 500, 1),
    maxAttempts: count('maxAttempts', options.maxAttempts, 4, 1),
    baseDelayMs: count('baseDelayMs', options.baseDelayMs, 500, 0),
    maxDelayMs: count('maxDelayMs', options.maxDelayMs, 30_000, 0),
    timeoutMs: count('timeoutMs', options.timeoutMs, 5000, 1),
    giveUpMs: count('giveUpMs', options.giveUpMs, 60_000, 1),
    reportWindowMs: count('reportWindowMs', options.reportWindowMs, 10_000, 1),
    summaryMs: count('summaryMs', options.summaryMs, 60_000, 1),
  };
}

export function newLane(channel: NotifyChannel, url: string | undefined): Lane {
  const report = (): Report => ({ pending: 0, last: '', windowEnd: 0, cancel: null });
  return {
    channel,
    url,
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
