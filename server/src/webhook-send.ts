// The webhook transport: one JSON POST per message with fetch (the answer's body is not read),
// and how a failed send is read: its reason (never the URL: it is a secret), whether to retry it
// (429, 5xx, no answer) and a 429's Retry-After.
import { slackEscape, type WebhookFailure, type WebhookSend } from './notifier.js';

/** Retry-After as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export function failure(reason: string, statusCode?: number, retryAfter?: number): WebhookFailure {
  const f: WebhookFailure = { reason };
  if (statusCode !== undefined) f.statusCode = statusCode;
  if (retryAfter !== undefined) f.retryAfterMs = retryAfter;
  return f;
}

/** The default transport: POST {"text": ...} with fetch; the body of the answer is not read. */
export const fetchSend: WebhookSend = async (url, text, signal, blocks) => {
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

export function asFailure(err: unknown, aborted: boolean): WebhookFailure {
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
export function retryable(f: WebhookFailure): boolean {
  return f.statusCode === undefined || f.statusCode === 429 || f.statusCode >= 500;
}

/** An empty URL disables the channel; anything else must be http(s) (the URL is a secret: never echoed). */
export function webhookUrl(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  let ok: boolean;
  try {
    const u = new URL(value);
    ok = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    ok = false;
  }
  if (!ok) throw new RangeError(`notifier: ${name} must be an http(s) URL`);
  return value;
}
