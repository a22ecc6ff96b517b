// The per-request save budget: a request's change (machine state and the audit events appended
// so far) is made durable within the budget counted from when the request arrived, or the request
// gets 503 with the change kept in memory. Timeouts are counted per machine (persisted, so the
// metric survives a restart), logged as warnings and alerted in Slack (a machine's repeated
// timeouts, several machines' at once). Core delegates persist() here.
import type { MachineConfig } from '@fobgate/shared';
import type { Store, SaveResult } from './store.js';
import { CallerDeadline, type SetTimer } from './bounded-save.js';
import type { EventLog } from './event-log.js';
import type { Notifier } from './notifier.js';
import type { TimeoutTracker } from './timeout-tracker.js';
import { saveTimeoutMachineText, saveTimeoutFleetText } from './slack-messages.js';
import { errors } from './errors.js';

/** Part of the save budget kept for answering (scheduling, serialising, the network). */
export const ANSWER_MARGIN_MS = 80;

export interface SaveBudgetOptions {
  store: Store;
  events: EventLog;
  clock: () => number;
  notifier: Notifier;
  tracker: TimeoutTracker;
  /** Per-request budget, ms. */
  budgetMs: number;
  /** Arms the deadline (a real timer, or the tests' own). */
  budgetTimer: SetTimer;
  /** The window of the fleet-wide timeout alert, ms (its text quotes it). */
  fleetWindowMs: number;
  /** Told about every save timeout (the app logs a warning). */
  warn: (fields: { [k: string]: unknown }, message: string) => void;
}

export class SaveBudget {
  constructor(private readonly options: SaveBudgetOptions) {}

  /**
   * Makes the state (and events appended so far) durable within the budget, counted from when
   * the request arrived (`receivedAt`, performance.now() ms) less a margin for answering, so the
   * answer leaves within the budget. On a timeout the change stays applied in memory, the timeout
   * is counted for `m` and the request gets 503.
   */
  persist(m: MachineConfig | null, adminRoute: boolean, receivedAt?: number): Promise<void> {
    const o = this.options;
    const elapsed = receivedAt === undefined ? 0 : Math.max(0, performance.now() - receivedAt);
    const wait = Math.max(0, o.budgetMs - ANSWER_MARGIN_MS - elapsed);
    // the store keeps no budget of its own for this save: this deadline is the save's one timer
    // (it ends the store's waits when it runs out), and one promise settles the request (no race
    // of promise combinators)
    const own = new CallerDeadline();
    const state = o.store.save(m ? m.name : null, own);
    const events = o.events.pendingCount > 0 ? o.events.flush() : null;
    return new Promise<void>((resolve, reject) => {
      let left = events === null ? 1 : 2;
      let outcome: SaveResult = 'saved';
      let over = false;
      let cancel: () => void = () => undefined;
      const end = (result: SaveResult) => {
        over = true;
        cancel();
        if (result === 'saved') resolve();
        else reject(this.failed(m, adminRoute, result));
      };
      const one = (result: SaveResult) => {
        if (over) return;
        if (result === 'timeout' || (result === 'error' && outcome === 'saved')) outcome = result;
        if (--left === 0) end(outcome);
      };
      cancel = o.budgetTimer(() => {
        if (over) return;
        end('timeout');
        own.expire();
      }, wait);
      state.then(one);
      if (events !== null) events.then(() => one('saved'), () => one('error'));
    });
  }

  /** The error a request gets for its save's outcome (a timeout is counted for `m`). */
  private failed(m: MachineConfig | null, adminRoute: boolean, result: SaveResult): Error {
    if (result === 'timeout') {
      if (m) this.saveTimedOut(m);
      return errors.saveTimeout(adminRoute);
    }
    return errors.saveFailed(adminRoute);
  }

  private saveTimedOut(m: MachineConfig): void {
    const now = this.options.clock();
    const rec = this.options.tracker.record(m.name, now);
    this.options.store.setSaveTimeouts(m.name, rec.count);
    this.options.store.markDirty(m.name);
    this.options.warn({ machine: m.name, save_timeouts: rec.count }, `state save timeout on ${m.name}`);
    if (rec.machineAlert) this.options.notifier.notify('control', saveTimeoutMachineText(m.display_name, rec.count, this.options.budgetMs), 'urgent');
    if (rec.fleetAlert) {
      this.options.notifier.notify('control', saveTimeoutFleetText(rec.fleetAlert.length, this.options.fleetWindowMs / 1000), 'urgent');
    }
  }
}
