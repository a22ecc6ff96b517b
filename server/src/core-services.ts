// Core: the services every route shares, composed in one object the routes are given. Each part
// lives in a file named after what it does:
//   loaded-config.ts        users (fob index) and machines in memory, who may use a machine today
//   audit-trail.ts          decision log events -> event log, metrics, Slack (audit-records.ts: their shape)
//   machine-liveness.ts     check-ins, offline and back-online alerts
//   global-list-version.ts  the list version bumped when the config changes
//   save-budget.ts          persistence within the request's save budget
//   admin-decisions.ts      an admin's oops / lockout: queued for a unit or decided here
// Core keeps the methods the routes call and hands each to its part.
import type { Registry } from 'prom-client';
import type {
  LogEvent,
  MachineConfig,
  MachineEvent,
  MachinesConfig,
  StoredEvent,
  Subject,
  UserRecord,
  CommandType,
  OopsSource,
} from '@fobgate/shared';
import type { Store, UnitRecord } from './store.js';
import { realTimer, type SetTimer } from './bounded-save.js';
import type { EventLog, NewEvent } from './event-log.js';
import type { Notifier } from './notifier.js';
import { createMetrics, type AppMetrics } from './metrics.js';
import { createTimeoutTracker, type TimeoutTrackerOptions, type TimeoutTracker } from './timeout-tracker.js';
import { errors } from './errors.js';
import { FleetFeed } from './dashboard/fleet-feed.js';
import { SaveBudget } from './save-budget.js';
import { LoadedConfig } from './loaded-config.js';
import { AuditTrail } from './audit-trail.js';
import { MachineLiveness } from './machine-liveness.js';
import { bumpListVersion, configDigestOf, syncConfigDigest } from './global-list-version.js';
import { adminAction, applyAdminEvent, type AdminOutcome } from './admin-decisions.js';
import type { EventSource } from './audit-records.js';

export interface CoreOptions {
  store: Store;
  events: EventLog;
  clock: () => number;
  notifier: Notifier;
  registry: Registry;
  users: UserRecord[];
  machines: MachinesConfig;
  /** users.json path (reload, mtime metric) or null when users live only in memory. */
  usersPath: string | null;
  budgetMs: number;
  /** Arms the save-budget deadline of persist() (default: a real timer; tests pass their own). */
  budgetTimer?: SetTimer;
  offlineAfterMs: number;
  timeouts?: TimeoutTrackerOptions;
}

export class Core {
  readonly store: Store;
  readonly events: EventLog;
  readonly clock: () => number;
  readonly notifier: Notifier;
  readonly metrics: AppMetrics;
  readonly startedAt: number;
  readonly budgetMs: number;
  readonly tracker: TimeoutTracker;
  /** Fleet change feed (dashboard streams, status board): see dashboard/fleet-feed.ts. */
  readonly feed = new FleetFeed();
  /** Users, fob index and machines in memory. */
  readonly config: LoadedConfig;
  /** Event log, metrics and Slack for every decision and server event. */
  readonly audit: AuditTrail;
  /** Check-ins, offline and back-online alerts. */
  readonly liveness: MachineLiveness;
  /** Saves within the request's budget, counting and alerting on timeouts. */
  private readonly saves: SaveBudget;
  /** Told about save timeouts and alerts (the app logs them as warnings). */
  onWarning: ((fields: { [k: string]: unknown }, message: string) => void) | null = null;

  constructor(o: CoreOptions) {
    this.store = o.store;
    this.events = o.events;
    this.clock = o.clock;
    this.notifier = o.notifier;
    this.budgetMs = o.budgetMs;
    this.startedAt = o.clock();
    this.config = new LoadedConfig({ users: o.users, machines: o.machines, usersPath: o.usersPath, clock: o.clock, loadedAt: this.startedAt });
    this.refreshConfigDigest();
    this.audit = new AuditTrail(this.events, this.notifier, () => this.metrics, this.feed);
    this.tracker = createTimeoutTracker(o.timeouts);
    this.tracker.restore(this.store.saveTimeouts());
    this.saves = new SaveBudget({
      store: this.store,
      events: this.events,
      clock: this.clock,
      notifier: this.notifier,
      tracker: this.tracker,
      budgetMs: this.budgetMs,
      budgetTimer: o.budgetTimer ?? realTimer,
      fleetWindowMs: o.timeouts?.windowMs ?? 60000,
      warn: (fields, message) => {
        if (this.onWarning) this.onWarning(fields, message);
      },
    });
    this.liveness = new MachineLiveness(
      { store: this.store, notifier: this.notifier, storeEvent: (ev) => this.storeEvent(ev), machine: (n) => this.machine(n), offlineAfterMs: o.offlineAfterMs },
      this.config.machines.names,
      this.startedAt,
    );
    this.metrics = this.createMetrics(o.registry);
  }

  private createMetrics(registry: Registry): AppMetrics {
    const config = this.config;
    return createMetrics(registry, {
      machines: () => config.machines,
      record: (n) => this.store.machine(n),
      userCount: () => config.users.length,
      fobCount: () => config.fobs,
      machineConfigLoadedAt: () => config.machinesLoadedAt,
      userConfigLoadedAt: () => config.usersLoadedAt,
      userConfigMtime: () => config.usersMtime,
      appStartedAt: this.startedAt,
      listVersionLatest: () => this.store.data.list_version,
      slack: () => this.notifier.stats(),
      saveTimeouts: () => this.tracker.counts(),
    });
  }

  get users(): UserRecord[] {
    return this.config.users;
  }

  get machines(): MachinesConfig {
    return this.config.machines;
  }

  get usersPath(): string | null {
    return this.config.usersPath;
  }

  /** Told about every stored audit event (the app logs one line each). */
  get onEvent(): ((e: StoredEvent) => void) | null {
    return this.audit.onEvent;
  }

  set onEvent(f: ((e: StoredEvent) => void) | null) {
    this.audit.onEvent = f;
  }

  /** Bumps the list version when users or machines changed since the last run. */
  syncConfigDigest(): boolean {
    return syncConfigDigest(this.store, this.users, this.machines, this.clock, this.feed);
  }

  bumpListVersion(): number {
    return bumpListVersion(this.store, this.clock, this.feed);
  }

  setUsers(users: UserRecord[]): void {
    this.config.setUsers(users);
    this.refreshConfigDigest();
  }

  /** Once a digest is stored (the first run's check is done), it follows the users in memory. */
  private refreshConfigDigest(): void {
    if (this.store.data.config_digest !== '') {
      this.store.data.config_digest = configDigestOf(this.users, this.machines);
    }
  }

  machine(name: string): MachineConfig | null {
    return this.config.machine(name);
  }

  machineOr404(name: string): MachineConfig {
    return this.config.machineOr404(name);
  }

  /**
   * The unit behind a signed request (sync or list download), once its counter is above the last
   * one accepted; the counter is taken. Like a heartbeat it is written with the next real change
   * or the housekeeping flush, not on its own.
   */
  takeUnitCounter(m: MachineConfig, counter: number): UnitRecord {
    const unit = this.store.unit(m.name);
    if (!unit) throw errors.unitNotRegistered(m.name);
    if (counter <= unit.counter) throw errors.replayed(counter, unit.counter);
    unit.counter = counter;
    this.store.markDirty(m.name);
    return unit;
  }

  today(): string {
    return this.config.today();
  }

  userForFob(fob: string): UserRecord | null {
    return this.config.userForFob(fob);
  }

  userForAccount(accountId: string): UserRecord | null {
    return this.config.userForAccount(accountId);
  }

  subject(m: MachineConfig, fob: string): Subject | null {
    return this.config.subject(m, fob);
  }

  lookupFor(m: MachineConfig): (fob: string) => Subject | null {
    return (fob) => this.config.subject(m, fob);
  }

  /** Stores one event in the audit log. */
  storeEvent(ev: NewEvent): StoredEvent {
    return this.audit.storeEvent(ev);
  }

  /** Audit + Slack + metrics for a decision's log events. */
  recordLog(m: MachineConfig, log: LogEvent[], source: EventSource, unitSeq: number | null): void {
    this.audit.recordLog(m, log, source, unitSeq);
  }

  /** Slack messages and decision metrics for the log events of one request (no audit). */
  announce(m: MachineConfig, log: LogEvent[]): void {
    this.audit.announce(m, log);
  }

  /** Applies an admin's decision event to a server-decided (legacy or never-seen) machine. */
  applyEvent(m: MachineConfig, event: MachineEvent, source: EventSource): boolean {
    return applyAdminEvent(this, m, event, source);
  }

  /** oops / clear / lockout / unlock by an admin: queued for a unit or decided here (admin-decisions.ts). */
  adminAction(m: MachineConfig, action: CommandType, by: string, source: OopsSource, cut: boolean): AdminOutcome {
    return adminAction(this, m, action, by, source, cut);
  }

  /**
   * Makes the state (and events appended so far) durable within the budget counted from
   * `receivedAt`; a timeout is counted for `m` and answered 503 (see save-budget.ts).
   */
  persist(m: MachineConfig | null, adminRoute: boolean, receivedAt?: number): Promise<void> {
    return this.saves.persist(m, adminRoute, receivedAt);
  }

  /** A request from machine `m` arrived: liveness, back-online alert. */
  checkin(m: MachineConfig, now: number): void {
    this.liveness.checkin(m, now);
  }

  /** Periodic: machines that went silent get an offline alert (once per outage); buffered events are flushed. */
  tick(): void {
    this.liveness.alertOffline(this.clock());
    if (this.events.pendingCount > 0) void this.events.flush().catch(() => undefined);
  }

  online(name: string): { online: boolean; since: number | null } {
    return this.liveness.online(name);
  }
}
