// The unit's sync with the server: one signed request in flight at a time, a hard deadline per
// request (the interpreter's http has none), exponential back-off with jitter while failing,
// the wait a 429 asks for kept (for every request, or only for events while syncs go on),
// and responses verified (signature over the raw body, echoed counter: sync-answers.ts) before
// anyone uses them. An answer is collected in RAM only up to a bound (the request's declared list
// budget plus room for the rest); a list update too large for it is downloaded as the next
// request (list-download.ts), its body handed on chunk by chunk (to flash) and never collected.
import { LIST_PATH, SIGNATURE_HEADER, SYNC_PATH } from '@fobgate/shared';
import type { ListRequest, SyncRequest, SyncResponse } from '@fobgate/shared';
import type { Clock, HttpRequest, HttpRequestOptions, HttpResponse, Timers, TimerId } from './hal.js';
import type { ServerAddress } from './board-config.js';
import { COUNTER_EXHAUSTED } from './request-counter.js';
import type { RequestCounter } from './request-counter.js';
import { BACKOFF_FIRST_MS, backoffMs } from './sync-backoff.js';
import { refusalError, retryAfterOf, verifyResponse } from './sync-answers.js';
import { syncError } from './sync-errors.js';
import type { SyncError } from './sync-errors.js';
import { asciiJson } from './ascii-json.js';
import { DOWNLOAD_MS_PER_KB, ERROR_BODY_BYTES } from './list-download.js';
import type { ListDownloadJob } from './list-download.js';

export const SYNC_DEADLINE_MS = 10000;
/** How often a held sync looks again whether it may go. */
export const HOLD_RECHECK_MS = 1000;
/** A request call that kept the interpreter this long blocked it (ESP32 connect/DNS). */
export const BLOCKING_MS = 500;
/** Bytes of a sync answer besides inline list data (commands, times, the update's fields). */
export const ANSWER_BASE_BYTES = 4096;

/** The request without its counter: the client stamps and signs it. */
export type SyncBody = Omit<SyncRequest, 'counter'>;

export interface SyncClientOptions {
  http: HttpRequest;
  timers: Timers;
  clock: Clock;
  server: ServerAddress;
  key: string;
  /** (key, message) -> hex HMAC-SHA256. */
  hmac: (key: string, msg: string) => string;
  counter: RequestCounter;
  /** Uniform [0, 1). */
  random: () => number;
  intervalMs: number;
  deadlineMs: number;
  /** Builds the body of the next request (called just before sending). */
  build: () => SyncBody;
  /** A verified answer. */
  onResponse: (res: SyncResponse) => void;
  /** A failed attempt (the client backs off by itself). */
  onFailure: (err: SyncError) => void;
  /**
   * While this says true, the server is failing and the last request call blocked the
   * interpreter (on the ESP32 a connect to an unreachable server or a DNS lookup does, for
   * seconds), no request is started: a member pulling the fob or pressing oops must be served
   * at once. Optional.
   */
  hold?: () => boolean;
  /**
   * While this says true no request is started (looked at again every HOLD_RECHECK_MS): a new
   * list is being checked from flash, and a sync on top of it would add its own RAM to the
   * check's. A few seconds at most; decisions do not wait for it. Optional.
   */
  defer?: () => boolean;
}

export class SyncClient {
  private options: SyncClientOptions;
  /** Id of the request in flight (0 = none); late callbacks of other ids are ignored. */
  private inflight = 0;
  private lastId = 0;
  private deadline: TimerId | null = null;
  private timer: TimerId | null = null;
  private failures = 0;
  private wanted = false;
  private stopped = true;
  /** Clock time of the last answer of any kind from the network stack (liveness). */
  lastProgress = 0;
  /** Clock time of the last verified answer. */
  lastSuccess = 0;
  /** Requests that hit the deadline in a row. */
  timeoutsInRow = 0;
  /** How long the last request call itself took (ms): long means the network stack blocks. */
  lastCallMs = 0;
  /** A list download waiting to be the next request. */
  private job: ListDownloadJob | null = null;
  /** List downloads that failed in a row, and when the next may start (back-off). */
  private listFailures = 0;
  private downloadNotBefore = 0;
  /** A 429 asked for quiet: no request before this clock time (0 = none). */
  private notBefore = 0;
  /** A 429 refused events: requests carry none before this clock time. */
  private eventsNotBefore = 0;

  constructor(opts: SyncClientOptions) {
    this.options = opts;
    this.lastProgress = opts.clock.now();
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.inflight = 0;
    this.job = null;
    this.clearTimers();
  }

  /**
   * Makes a list download the next request. Refused (false) while a failed download backs off:
   * the next sync after the back-off announces the list again.
   */
  download(job: ListDownloadJob): boolean {
    if (this.stopped) return false;
    if (this.listFailures > 0 && this.options.clock.now() < this.downloadNotBefore) return false;
    this.job = job;
    if (!this.inflight) this.schedule(0);
    return true;
  }

  busy(): boolean {
    return this.inflight !== 0;
  }

  /** The server refused events for a while (429): requests go without them until then. */
  eventsHeld(): boolean {
    return this.eventsNotBefore > 0 && this.options.clock.now() < this.eventsNotBefore;
  }

  failing(): number {
    return this.failures;
  }

  setInterval(ms: number): void {
    if (ms >= 1000) this.options.intervalMs = ms;
  }

  /**
   * Sync at once (an event happened), also while backing off: the attempt does not reset the
   * back-off, so a failing server sees one extra request per event, not a stream.
   */
  trigger(): void {
    if (this.stopped) return;
    if (this.inflight) {
      this.wanted = true;
      return;
    }
    this.schedule(0);
  }

  private clearTimers(): void {
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    if (this.deadline !== null) this.options.timers.clearTimeout(this.deadline);
    this.timer = null;
    this.deadline = null;
  }

  /** The next request in `ms`, never before a 429's wait is over. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    const quiet = this.notBefore - this.options.clock.now();
    if (quiet > ms) ms = quiet;
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null;
      this.send();
    }, ms);
  }

  private send(): void {
    if (this.stopped || this.inflight) return;
    const o = this.options;
    if ((this.failures > 0 && this.lastCallMs >= BLOCKING_MS && o.hold && o.hold()) || (o.defer && o.defer())) {
      this.schedule(HOLD_RECHECK_MS);
      return;
    }
    const counter = o.counter.next();
    const job = this.job;
    this.job = null;
    if (counter < 0) {
      const e = syncError('SYNC_NO_COUNTER', counter === COUNTER_EXHAUSTED ? 'the server holds the highest request counter there is: register the unit again' : 'could not persist the request counter');
      if (job) this.endDownload(0, job, e, false);
      else this.finish(0, e, null);
      return;
    }
    if (job) {
      this.sendDownload(job, counter);
      return;
    }
    let text: string;
    let maxBody = ANSWER_BASE_BYTES;
    try {
      const body = o.build() as SyncRequest;
      body.counter = counter;
      const inline = body.list_inline_max;
      if (typeof inline === 'number' && inline > 0) maxBody += Math.ceil(inline / 3) * 4;
      text = asciiJson(body);
    } catch (e) {
      // a bug while building must not end syncing for good: back off and try again
      this.finish(0, syncError('SYNC_MALFORMED', 'could not build the request'), null);
      return;
    }
    this.post(SYNC_PATH, text, o.deadlineMs, maxBody, null, (id, e, res, sentSig) => {
      if (e || !res) {
        this.finish(id, e, null);
        return;
      }
      const v = verifyResponse(res, counter, o.key, o.hmac, sentSig);
      if (v.error && v.error.held !== undefined) o.counter.rebase(v.error.held);
      this.finish(id, v.error, v.res);
    });
  }

  /**
   * Sends one signed POST as the request in flight: a deadline guard, late callbacks ignored, a
   * synchronous throw (refused connection) caught. `done` runs at most once for the request, with
   * the answer or the failure. Returns the request's id.
   */
  private post(
    path: string, text: string, deadlineMs: number, maxBody: number, onData: ((chunk: string, status: number) => boolean) | null,
    done: (id: number, e: SyncError | null, res: HttpResponse | null, sentSig: string) => void, stallMs?: number,
  ): number {
    const o = this.options;
    const headers: { [k: string]: string } = { 'content-type': 'application/json' };
    const stall = typeof stallMs === 'number' ? stallMs : 0;
    const sig = o.hmac(o.key, text).toLowerCase();
    headers[SIGNATURE_HEADER] = sig;
    const id = ++this.lastId;
    this.inflight = id;
    this.wanted = false;
    const called = o.clock.now();
    const arm = (ms: number, why: string): void => {
      if (this.deadline !== null) o.timers.clearTimeout(this.deadline);
      this.deadline = o.timers.setTimeout(() => {
        this.deadline = null;
        if (this.inflight !== id) return;
        this.timeoutsInRow++;
        done(id, syncError('SYNC_TIMEOUT', why), null, sig);
      }, ms);
    };
    const whole = 'no answer within ' + deadlineMs + ' ms';
    arm(stall > 0 ? Math.min(stall, deadlineMs) : deadlineMs, stall > 0 && stall < deadlineMs ? 'no data for ' + stall + ' ms' : whole);
    const opts: HttpRequestOptions = { host: o.server.host, port: o.server.port, path: o.server.base + path, method: 'POST', headers: headers, body: text, maxBody: maxBody };
    if (onData) {
      opts.onData = (chunk, status) => {
        // data keeps a stalled-download guard away, never beyond the whole deadline
        if (stall > 0 && this.inflight === id) {
          const left = deadlineMs - (o.clock.now() - called);
          if (left > stall) arm(stall, 'no data for ' + stall + ' ms');
          else if (left > 0) arm(left, whole);
        }
        return onData(chunk, status);
      };
    }
    try {
      o.http(opts, (e, res) => {
        if (this.inflight !== id) return;
        this.lastProgress = o.clock.now();
        this.timeoutsInRow = 0;
        if (e || !res) done(id, syncError('SYNC_NETWORK', e ? e.message : 'no response'), null, sig);
        else done(id, null, res, sig);
      });
      this.lastCallMs = o.clock.now() - called;
    } catch (e) {
      this.lastCallMs = o.clock.now() - called;
      this.lastProgress = o.clock.now();
      const msg = e && typeof e === 'object' && (e as { message?: unknown }).message ? String((e as { message: unknown }).message) : String(e);
      done(id, syncError('SYNC_NETWORK', 'request failed: ' + msg), null, sig);
    }
    return id;
  }

  /** The signed list download: chunks of a 200 answer go to the job, never into a string. */
  private sendDownload(job: ListDownloadJob, counter: number): void {
    const o = this.options;
    const u = job.update;
    const want = u.bytes;
    const req: ListRequest = { machine: job.machine, counter: counter, version: u.version, from: u.kind === 'delta' && typeof u.from === 'number' ? u.from : 0 };
    let id = 0;
    let received = 0;
    let broken = '';
    const onData = (chunk: string, status: number): boolean => {
      // after the deadline a late chunk is dropped, never stored
      if (this.inflight !== id || id === 0) return true;
      if (status !== 200) return false;
      if (broken) return true;
      this.lastProgress = o.clock.now();
      if (received + chunk.length > want) broken = 'list download is longer than the announced ' + want + ' bytes';
      else if (!job.data(chunk, received)) broken = 'could not store the list at byte ' + received;
      else received += chunk.length;
      return true;
    };
    const limit = o.deadlineMs + Math.ceil(want / 1024) * DOWNLOAD_MS_PER_KB;
    id = this.post(LIST_PATH, asciiJson(req), limit, ERROR_BODY_BYTES, onData, (rid, e, res, sentSig) => {
      if (e || !res) {
        this.endDownload(rid, job, e, false);
        return;
      }
      if (res.status === 409) {
        const r = refusalError(res, counter, sentSig, o.key, o.hmac, 'list download');
        if (r.held !== undefined) o.counter.rebase(r.held);
        this.endDownload(rid, job, r, false);
        return;
      }
      if (res.status === 429) this.notBefore = o.clock.now() + retryAfterOf(res).ms;
      if (res.status !== 200) {
        const s = syncError('SYNC_STATUS', 'list download answered ' + res.status + ': ' + String(res.body).substring(0, 120));
        s.status = res.status;
        this.endDownload(rid, job, s, false);
        return;
      }
      if (broken || received !== want) {
        this.endDownload(rid, job, syncError('SYNC_DOWNLOAD', broken || 'list download ended after ' + received + ' of ' + want + ' bytes'), false);
        return;
      }
      const good = job.complete();
      this.endDownload(rid, job, good ? null : syncError('SYNC_DOWNLOAD', 'downloaded list refused'), true);
    }, o.deadlineMs);
  }

  /**
   * A download is over: on failure the job is told (unless it already reported, `told`) and the
   * next download waits out a back-off; syncing goes on at its interval. Success syncs at once.
   */
  private endDownload(id: number, job: ListDownloadJob, e: SyncError | null, told: boolean): void {
    if (!this.settle(id)) return;
    if (e) {
      this.listFailures++;
      this.downloadNotBefore = this.options.clock.now() + backoffMs(this.listFailures, this.options.random);
      this.schedule(this.wanted ? 0 : this.options.intervalMs);
      if (!told) job.failed(e);
      return;
    }
    this.listFailures = 0;
    this.schedule(0);
  }

  /**
   * Request `id` is over (0: ended before it was sent): frees the slot and its deadline. False
   * when the answer is late (another request owns the slot) or the client has stopped.
   */
  private settle(id: number): boolean {
    if (id !== 0 && this.inflight !== id) return false;
    this.inflight = 0;
    if (this.deadline !== null) {
      this.options.timers.clearTimeout(this.deadline);
      this.deadline = null;
    }
    return !this.stopped;
  }

  private finish(id: number, e: SyncError | null, res: SyncResponse | null): void {
    if (!this.settle(id)) return;
    if (e && e.status === 429) {
      // The server is up and answered: not a failure to back off from, a wait to keep. Events
      // stay in the ring either way; only what the server asked for waits.
      const wait = e.retryAfterMs || BACKOFF_FIRST_MS;
      if (e.eventsOnly) {
        this.eventsNotBefore = this.options.clock.now() + wait;
        this.schedule(0);
      } else {
        this.notBefore = this.options.clock.now() + wait;
        this.schedule(wait);
      }
      this.options.onFailure(e);
      return;
    }
    if (e || !res) {
      this.failures++;
      this.schedule(backoffMs(this.failures, this.options.random));
      this.options.onFailure(e || syncError('SYNC_NETWORK', 'no response'));
      return;
    }
    this.failures = 0;
    this.lastSuccess = this.options.clock.now();
    this.schedule(this.wanted ? 0 : this.options.intervalMs);
    this.options.onResponse(res);
  }
}
