// What an answer from the server may be used for: a sync answer only when it is signed with the
// unit key over its raw body and answers the very request sent (its counter and signature); a
// 409 refusal moves the request counter only when it is signed and bound the same way; a 429's
// wait is taken, capped, from its header or body (it is not signed).
import { EVENTS_RATE_LIMITED, MAX_COUNTER, RETRY_AFTER_MAX_MS, SIGNATURE_HEADER, constantTimeEqual } from '@fobgate/shared';
import type { CounterRefusal, SyncResponse } from '@fobgate/shared';
import type { HttpResponse } from './hal.js';
import { BACKOFF_FIRST_MS } from './sync-backoff.js';
import { syncError } from './sync-errors.js';
import type { SyncError } from './sync-errors.js';

function header(res: HttpResponse, name: string): string {
  const h = res.headers || {};
  for (const k in h) {
    if (k.toLowerCase() === name) return String(h[k]);
  }
  return '';
}

/**
 * What a 429 asks for: Retry-After (or the body's retry_after_s) in ms, capped at
 * RETRY_AFTER_MAX_MS because the answer is not signed (a forged one must not silence the unit for
 * long; nothing of it is persisted), and whether only events are refused (EVENTS_RATE_LIMITED).
 */
export function retryAfterOf(res: HttpResponse): { ms: number; eventsOnly: boolean } {
  let s = parseInt(header(res, 'retry-after'), 10);
  let eventsOnly = false;
  try {
    const b = JSON.parse(String(res.body));
    if (b && typeof b === 'object') {
      if (!(s >= 0) && typeof b.retry_after_s === 'number') s = b.retry_after_s;
      eventsOnly = b.code === EVENTS_RATE_LIMITED;
    }
  } catch (e) {
    // not JSON: Retry-After alone
  }
  let ms = s > 0 ? s * 1000 : BACKOFF_FIRST_MS;
  if (ms > RETRY_AFTER_MAX_MS) ms = RETRY_AFTER_MAX_MS;
  return { ms: ms, eventsOnly: eventsOnly };
}

function signedBy(res: HttpResponse, key: string, hmac: (k: string, m: string) => string): boolean {
  const sig = header(res, SIGNATURE_HEADER);
  return sig.length > 0 && constantTimeEqual(hmac(key, res.body), sig.toLowerCase());
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && v === Math.floor(v) && v >= 0 && v <= MAX_COUNTER;
}

/**
 * A 409: the counter the server holds when the refusal is signed with our key and bound to the
 * request we sent (its counter and signature), else -1. Nothing else about a refusal is trusted:
 * anyone on the path can answer an unsigned 409.
 */
export function verifiedRefusal(res: HttpResponse, counter: number, sentSig: string, key: string, hmac: (k: string, m: string) => string): number {
  if (res.status !== 409 || !signedBy(res, key, hmac)) return -1;
  let r: CounterRefusal;
  try {
    r = JSON.parse(res.body);
  } catch (e) {
    return -1;
  }
  if (!r || typeof r !== 'object' || r.counter !== counter || typeof r.answers !== 'string' || r.answers.toLowerCase() !== sentSig) return -1;
  // a refusal means counter <= held
  return isCount(r.held) && r.held >= counter ? r.held : -1;
}

/** A refused request: SYNC_REPLAYED with the server's counter when the refusal is verified. */
export function refusalError(res: HttpResponse, counter: number, sentSig: string, key: string, hmac: (k: string, m: string) => string, what: string): SyncError {
  const held = verifiedRefusal(res, counter, sentSig, key, hmac);
  if (held < 0) {
    const e = syncError('SYNC_SIGNATURE', what + ' refused (409) without a signature for this request: ignored');
    e.status = 409;
    return e;
  }
  const e = syncError('SYNC_REPLAYED', what + ' refused: the server holds counter ' + held + ', this request had ' + counter);
  e.status = 409;
  e.held = held;
  return e;
}

/**
 * Checks a raw answer to the request signed `sentSig` with `counter`; returns the parsed
 * response or why it must not be used.
 */
export function verifyResponse(res: HttpResponse, counter: number, key: string, hmac: (k: string, m: string) => string, sentSig: string): { res: SyncResponse | null; error: SyncError | null } {
  if (res.status === 409) return { res: null, error: refusalError(res, counter, sentSig, key, hmac, 'sync') };
  if (res.status === 429) {
    const r = retryAfterOf(res);
    const e = syncError('SYNC_RATE_LIMITED', 'server asks to wait ' + Math.round(r.ms / 1000) + ' s' + (r.eventsOnly ? ' before sending events' : '') + ': ' + String(res.body).substring(0, 120));
    e.status = 429;
    e.retryAfterMs = r.ms;
    e.eventsOnly = r.eventsOnly;
    return { res: null, error: e };
  }
  if (res.status !== 200) {
    const e = syncError('SYNC_STATUS', 'server answered ' + res.status + ': ' + String(res.body).substring(0, 120));
    e.status = res.status;
    return { res: null, error: e };
  }
  if (res.overflow) return { res: null, error: syncError('SYNC_MALFORMED', 'answer is larger than the ' + res.overflow + ' bytes this unit takes') };
  if (!signedBy(res, key, hmac)) return { res: null, error: syncError('SYNC_SIGNATURE', 'response signature is missing or wrong') };
  let data: SyncResponse;
  try {
    data = JSON.parse(res.body);
  } catch (e) {
    return { res: null, error: syncError('SYNC_MALFORMED', 'response is not JSON') };
  }
  if (!data || typeof data !== 'object') return { res: null, error: syncError('SYNC_MALFORMED', 'response is not an object') };
  if (data.counter !== counter) return { res: null, error: syncError('SYNC_COUNTER', 'response answers counter ' + data.counter + ', not ' + counter) };
  if (typeof data.answers !== 'string' || data.answers.toLowerCase() !== sentSig) return { res: null, error: syncError('SYNC_COUNTER', 'response answers another request') };
  if (typeof data.time !== 'number' || typeof data.ack_seq !== 'number' || !Array.isArray(data.commands)) {
    return { res: null, error: syncError('SYNC_MALFORMED', 'response lacks time, ack_seq or commands') };
  }
  return { res: data, error: null };
}
