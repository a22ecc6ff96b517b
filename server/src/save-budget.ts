// The per-request save budget: a request's change (machine state and the audit events appended
// so far) is made durable within the budget counted from when the request arrived, or the request
// gets 503 with the change kept in memory. Timeouts are counted per machine (persisted, so the
// metric survives a restart), logged as warnings and alerted in Slack (a machine's repeated
// timeouts, several machines' at once). Core delegates persist() here.
import type { MachineConfig } from '@fobgate/shared';
import type { Store, SaveResult } from './store.js';
import type { SetTimer } from './bounded-save.js';
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
  async persist(m: MachineConfig | null, adminRoute: boolean, receivedAt?: number): Promise<void> {
    const elapsed = receivedAt === undefined ? 0 : Math.max(0, performance.now() - receivedAt);
    const wait = Math.max(0, this.options.budgetMs - ANSWER_MARGIN_MS - elapsed);
    let cancel: () => void = () => undefined;
    const deadline = new Promise<['timeout', 'timeout']>((resolve) => {
      cancel = this.options.budgetTimer(() => resolve(['timeout', 'timeout']), wait);
    });
    const events: Promise<SaveResult> =
      this.options.events.pendingCount > 0
        ? this.options.events.flush().then(
            () => 'saved' as const,
            () => 'error' as const,
          )
        : Promise.resolve('saved' as const);
    let state: SaveResult;
    let log: SaveResult;
    try {
      [state, log] = await Promise.race([Promise.all([this.options.store.save(m ? m.name : null), events]), deadline]);
    } finally {
      cancel();
    }
    if (state === 'saved' && log === 'saved') return;
    if (state === 'timeout' || log === 'timeout') {
      if (m) this.saveTimedOut(m);
      throw errors.saveTimeout(adminRoute);
    }
    throw errors.saveFailed(adminRoute);
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
