// A list update too large to come inline in a sync answer is downloaded: the list updates
// (list-updates.ts) hand the sync client (sync-client.ts) a job, and the client sends the signed
// request as its next one and hands every piece of the answer to the job as it arrives.
import type { ListUpdate } from '@fobgate/shared';
import type { SyncError } from './sync-errors.js';

/**
 * A list download ends in failure when no byte arrived for the request deadline (a stalled
 * server), or at the latest after the request deadline plus this per KiB announced: the unit
 * merges and checks every piece as it arrives, which takes a slow ESP32 far longer than Wi-Fi.
 */
export const DOWNLOAD_MS_PER_KB = 2000;
/** Bytes of an error answer kept (status 4xx/5xx, or a download that failed). */
export const ERROR_BODY_BYTES = 1024;

/**
 * A list update to download (announced by a sync answer without inline data). The client sends
 * the signed request and hands every chunk of a 200 answer to `data` at its offset; exactly one
 * of `complete` or `failed` is called, and never after the deadline.
 */
export interface ListDownloadJob {
  machine: string;
  update: ListUpdate;
  /** Takes a piece of the update at `offset`; false: it could not be used (the download fails). */
  data: (chunk: string, offset: number) => boolean;
  /** All `update.bytes` arrived and were taken. True: the transfer is complete (its check may go on). */
  complete: () => boolean;
  /** The download failed before it completed (network, deadline, status, length, storage). */
  failed: (e: SyncError) => void;
}
