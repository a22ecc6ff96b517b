// What the unit does with a list update from a sync answer (docs/list-transfer.md): inline bytes
// (within the budget it declared) go straight into the list store; a larger update becomes the
// next request, a signed download streamed into the store chunk by chunk. Either way the store
// checks the result from flash before it is used; a refusal is reported once per version and
// cause, and the held list stays in force.
import { MAX_LIST_COUNT, RECORD_BYTES, checkNewer, isHex64 } from '@fobgate/shared';
import type { ListUpdate } from '@fobgate/shared';
import type { ListStore, AcceptResult } from './list-store.js';
import type { SyncClient } from './sync-client.js';
import type { NewEvent } from './event-ring.js';

/** The most list bytes this unit takes inline in a sync answer (with memory to spare). */
export const INLINE_MAX_BYTES = 2048;
/**
 * Free variables kept in reserve when the inline budget is worked out; the rest may hold an
 * inline update about four times over (answer text, parsed string, decoded bytes, hash copy),
 * 12 bytes per variable.
 */
export const INLINE_RESERVE_VARS = 1500;
/** Largest update a unit accepts at all: a full list of MAX_LIST_COUNT entries, plus headers. */
const MAX_UPDATE_BYTES = MAX_LIST_COUNT * (RECORD_BYTES + 1) + 2048;

export interface ListUpdatesOptions {
  lists: ListStore;
  sync: SyncClient;
  machine: string;
  /** base64 text -> 8-bit string (the interpreter's atob); throws on bad input. */
  atob: (b64: string) => string;
  /** Free interpreter variables, or null when unknown. */
  freeVars: () => number | null;
  /**
   * A garbage collection pass (optional): run before a list is received and after it is checked,
   * so the transfer's peak is the live memory, not live plus what earlier syncs left to collect.
   */
  collect?: () => void;
  event: (ev: NewEvent) => void;
  /** A new list is in force. */
  applied: (version: number) => void;
  log: (line: string) => void;
}

function shapeProblem(u: ListUpdate): string {
  if (!u || typeof u !== 'object') return 'list update is not an object';
  if (u.kind !== 'full' && u.kind !== 'delta') return 'list update kind must be full or delta';
  if (typeof u.version !== 'number' || u.version !== Math.floor(u.version) || u.version < 0) return 'list update lacks its version';
  if (u.kind === 'delta' && (typeof u.from !== 'number' || u.from !== Math.floor(u.from))) return 'delta lacks the version it applies to';
  if (!isHex64(u.digest) || typeof u.sig !== 'string') return 'list update lacks its digest or signature';
  if (typeof u.bytes !== 'number' || u.bytes !== Math.floor(u.bytes) || u.bytes <= 0 || u.bytes > MAX_UPDATE_BYTES) {
    return 'list update size ' + u.bytes + ' is not a size this unit takes (1..' + MAX_UPDATE_BYTES + ')';
  }
  if (u.data !== undefined && typeof u.data !== 'string') return 'list update data must be base64 text';
  return '';
}

export class ListUpdates {
  private options: ListUpdatesOptions;
  private lastRejected = '';

  constructor(opts: ListUpdatesOptions) {
    this.options = opts;
  }

  /**
   * The most list bytes to take inline in the next sync answer: INLINE_MAX_BYTES, less when free
   * memory is short, 0 (always download) when it is very short or a list is being received.
   */
  inlineBudget(): number {
    if (this.options.lists.busy()) return 0;
    const free = this.options.freeVars();
    if (typeof free !== 'number') return INLINE_MAX_BYTES;
    const fit = Math.floor(((free - INLINE_RESERVE_VARS) * 12) / 4);
    return fit <= 0 ? 0 : Math.min(INLINE_MAX_BYTES, fit);
  }

  /** A list update from a verified sync answer. */
  handle(u: ListUpdate): void {
    const lists = this.options.lists;
    const problem = shapeProblem(u);
    const version = u && typeof u.version === 'number' ? u.version : 0;
    if (problem) return this.rejected(version, 'LIST_MALFORMED', problem);
    if (lists.busy()) return; // the server announces it again once this one is over
    const held = lists.current() ? lists.version() : null;
    const newer = checkNewer(held, u, held === null ? null : lists.digest());
    if (!newer.ok) return this.rejected(u.version, newer.error.code, newer.error.message);
    if (newer.value === 'same') return;
    if (this.options.collect) this.options.collect();
    if (typeof u.data === 'string') return this.inline(u);
    this.download(u);
  }

  private inline(u: ListUpdate): void {
    const lists = this.options.lists;
    let bytes: string;
    try {
      bytes = this.options.atob(u.data as string);
    } catch (e) {
      return this.rejected(u.version, 'LIST_MALFORMED', 'inline list data is not base64');
    }
    if (typeof bytes !== 'string' || bytes.length !== u.bytes) {
      return this.rejected(u.version, 'LIST_MALFORMED', 'inline list data is ' + (typeof bytes === 'string' ? bytes.length : 0) + ' bytes, ' + u.bytes + ' announced');
    }
    const e = lists.begin(u);
    if (e) return this.rejected(u.version, e.code, e.message);
    if (!lists.feed(bytes, 0)) {
      const f = lists.failure();
      lists.abandon();
      return this.rejected(u.version, f ? f.code : 'LIST_MALFORMED', f ? f.message : 'inline list refused');
    }
    lists.end((r) => this.outcome(u.version, r));
  }

  private download(u: ListUpdate): void {
    const lists = this.options.lists;
    if (!lists.canReceive()) {
      return this.rejected(u.version, 'LIST_MALFORMED', 'list of ' + u.bytes + ' bytes must be downloaded, but flash cannot be written at offsets here');
    }
    let refused = false;
    this.options.sync.download({
      machine: this.options.machine,
      update: u,
      data: (chunk, offset) => {
        if (offset === 0) {
          const e = lists.begin(u);
          if (e) {
            refused = true;
            this.rejected(u.version, e.code, e.message);
            return false;
          }
        }
        return lists.feed(chunk, offset);
      },
      complete: () => {
        let good = true;
        lists.end((r) => {
          if (r.error) good = false;
          this.outcome(u.version, r);
        });
        return good;
      },
      failed: (e) => {
        const f = lists.failure();
        if (!refused) lists.abandon();
        if (f) this.rejected(u.version, f.code, f.message);
        else if (!refused) this.rejected(u.version, e.code, e.message);
      },
    });
  }

  /** A new list is in force, or why one was refused. */
  private outcome(version: number, r: AcceptResult): void {
    if (this.options.collect) this.options.collect();
    if (r.applied) {
      this.lastRejected = '';
      this.options.event({ type: 'list_applied', at: 0, up: 0, v: r.version });
      this.options.applied(r.version);
    } else if (r.error) this.rejected(version, r.error.code, r.error.message);
  }

  /** Reports a refused list or failed transfer; the same refusal of the same version only once. */
  private rejected(version: number, code: string, message: string): void {
    if (this.lastRejected === version + code) return;
    this.lastRejected = version + code;
    this.options.event({ type: 'list_rejected', at: 0, up: 0, v: version, reason: code, detail: message });
    this.options.log('fobgate: list v' + version + ' rejected: ' + message);
  }
}
