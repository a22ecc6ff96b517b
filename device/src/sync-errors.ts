// The sync's failures, declared once: every failed request, answer or list download reaches the
// unit as one SyncError with its code (and, where the server answered, its status).

export type SyncErrorCode =
  | 'SYNC_TIMEOUT'
  | 'SYNC_NETWORK'
  | 'SYNC_STATUS'
  | 'SYNC_REPLAYED'
  | 'SYNC_SIGNATURE'
  | 'SYNC_COUNTER'
  | 'SYNC_MALFORMED'
  | 'SYNC_NO_COUNTER'
  | 'SYNC_DOWNLOAD'
  | 'SYNC_RATE_LIMITED';

export interface SyncError {
  code: SyncErrorCode;
  message: string;
  /** HTTP status when the server answered (0 otherwise). */
  status?: number;
  /** SYNC_REPLAYED only: the counter the server holds, from its signed refusal. */
  held?: number;
  /** 429: how long the server asks the unit to wait, ms (capped at RETRY_AFTER_MAX_MS). */
  retryAfterMs?: number;
  /** 429 for events only: keep them and go on syncing without them until then. */
  eventsOnly?: boolean;
}

export function syncError(code: SyncErrorCode, message: string): SyncError {
  return { code: code, message: message };
}
