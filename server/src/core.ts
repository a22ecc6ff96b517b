// The server's services behind the routes: config in memory (users, fob index, machines), the
// audit path (decision log events -> event log, Slack, metrics), persistence within the save
// budget (delegated to save-budget.ts), machine liveness, and the global list version.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Registry } from 'prom-client';
import {
  subjectFor,
  decide,
  type LogEvent,
  type MachineConfig,
  type MachineEvent,
  type MachinesConfig,
  type StoredEvent,
  type Subject,
  type UserRecord,
  type CommandType,
  type OopsSource,
  type UnitCommand,
} from '@fobgate/shared';
import type { Store, UnitRecord } from './store.js';
import { realTimer, type SetTimer } from './bounded-save.js';
import type { EventLog, NewEvent } from './event-log.js';
import type { Notifier } from './notifier.js';
import { createMetrics, type AppMetrics } from './metrics.js';
import { createTimeoutTracker, type TimeoutTrackerOptions, type TimeoutTracker } from './timeout-tracker.js';
import { createOfflineMonitor, type OfflineMonitor } from './offline-monitor.js';
import {
  messagesFor,
  offlineText,
  backOnlineText,
} from './slack-messages.js';
import { errors } from './errors.js';
import { FleetFeed } from './dashboard/fleet-feed.js';
import { sameJson } from './same-json.js';
import { SaveBudget } from './save-budget.js';

export type EventSource = StoredEvent['source'];

export { ANSWER_MARGIN_MS } from './save-budget.js';

export interface AdminOutcome {
  /** True for a fobgate unit: the action waits as a command for its next sync. */
  queued: boolean;
  command_id: number | null;
}

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

/** YYYY-MM-DD of an epoch ms in the server's local time zone. */
export function ymdOf(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => (n < 10 ? '0' + n : String(n));
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function digestOf(users: UserRecord[], machines: MachinesConfig): string {
  return createHash('sha256').update(JSON.stringify([users, machines])).digest('hex');
}

/** Log events whose Slack messages go ahead of control chatter (logins, logouts, denials). */
const URGENT_EVENTS: LogEvent['type'][] = ['oops', 'oops_cleared', 'locked_out', 'unlocked'];

/** Outcome label of the decisions counter for one log event, or null when it is no decision. */
function outcomeOf(e: LogEvent): string | null {
  if (e.type === 'session_start') return e.override ? 'override' : e.authorized ? 'granted' : 'warn_only';
  if (e.type === 'denied') return `denied_${e.reason}`;
  return null;
}

export class Core {
  readonly store: Store;
  readonly events: EventLog;
  readonly clock: () => number;
  readonly notifier: Notifier;
  readonly metrics: AppMetrics;
  readonly startedAt: number;
  readonly budgetMs: number;
  readonly usersPath: string | null;
  readonly tracker: TimeoutTracker;
  readonly monitor: OfflineMonitor;
  /** Fleet change feed (dashboard streams, status board): see dashboard/fleet-feed.ts. */
  readonly feed = new FleetFeed();
  /** Saves within the request's budget, counting and alerting on timeouts. */
  private readonly saves: SaveBudget;
  users: UserRecord[] = [];
  machines: MachinesConfig;
  private fobIndex: { [fob: string]: UserRecord } = {};
  private fobs = 0;
  private usersLoadedAt = 0;
  private usersMtime: number | null = null;
  private machinesLoadedAt: number;
  /** Told about every stored audit event (the app logs one line each). */
  onEvent: ((e: StoredEvent) => void) | null = null;
  /** Told about save timeouts and alerts (the app logs them as warnings). */
  onWarning: ((fields: { [k: string]: unknown }, message: string) => void) | null = null;

  constructor(o: CoreOptions) {
    this.store = o.store;
    this.events = o.events;
    this.clock = o.clock;
    this.notifier = o.notifier;
    this.budgetMs = o.budgetMs;
    this.usersPath = o.usersPath;
    this.startedAt = o.clock();
    this.machines = o.machines;
    this.machinesLoadedAt = this.startedAt;
    this.setUsers(o.users);
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
    this.monitor = createOfflineMonitor({ offlineAfterMs: o.offlineAfterMs });
    for (const name of this.machines.names) {
      const r = this.store.machine(name);
      if (r && r.last_checkin !== null) this.monitor.seed(name, r.last_checkin, this.startedAt);
    }
    const self = this;
    this.metrics = createMetrics(o.registry, {
      machines: () => self.machines,
      record: (n) => self.store.machine(n),
      userCount: () => self.users.length,
      fobCount: () => self.fobs,
      machineConfigLoadedAt: () => self.machinesLoadedAt,
      userConfigLoadedAt: () => self.usersLoadedAt,
      userConfigMtime: () => self.usersMtime,
      appStartedAt: this.startedAt,
      listVersionLatest: () => self.store.data.list_version,
      slack: () => self.notifier.stats(),
      saveTimeouts: () => self.tracker.counts(),
    });
  }

  /** Bumps the list version when users or machines changed since the last run. */
  syncConfigDigest(): boolean {
    const digest = digestOf(this.users, this.machines);
    const data = this.store.data;
    if (data.config_digest === digest) return false;
    const first = data.config_digest === '';
    data.config_digest = digest;
    if (!first) this.bumpListVersion();
    else if (data.list_issued_at === 0) data.list_issued_at = this.clock();
    return true;
  }

  bumpListVersion(): number {
    const data = this.store.data;
    data.list_version++;
    data.list_issued_at = this.clock();
    this.feed.touchAll();
    return data.list_version;
  }

  setUsers(users: UserRecord[]): void {
    this.users = users;
    const index: { [fob: string]: UserRecord } = {};
    let n = 0;
    for (const u of users) {
      for (const f of u.fob_codes) {
        index[f] = u;
        n++;
      }
    }
    this.fobIndex = index;
    this.fobs = n;
    this.usersLoadedAt = this.clock();
    this.usersMtime = null;
    if (this.usersPath) {
      try {
        this.usersMtime = statSync(this.usersPath).mtimeMs;
      } catch {
        this.usersMtime = null;
      }
    }
    if (this.store.data.config_digest !== '') {
      this.store.data.config_digest = digestOf(this.users, this.machines);
    }
  }

  machine(name: string): MachineConfig | null {
    return Object.prototype.hasOwnProperty.call(this.machines.byName, name) ? this.machines.byName[name] : null;
  }

  machineOr404(name: string): MachineConfig {
    const m = this.machine(name);
    if (!m) throw errors.noSuchMachine(name);
    return m;
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
    return ymdOf(this.clock());
  }

  userForFob(fob: string): UserRecord | null {
    return Object.prototype.hasOwnProperty.call(this.fobIndex, fob) ? this.fobIndex[fob] : null;
  }

  subject(m: MachineConfig, fob: string): Subject | null {
    const u = this.userForFob(fob);
    return u ? subjectFor(u, m, fob, this.today()) : null;
  }

  lookupFor(m: MachineConfig): (fob: string) => Subject | null {
    return (fob) => this.subject(m, fob);
  }

  /** Stores one event in the audit log. */
  storeEvent(ev: NewEvent): StoredEvent {
    const stored = this.events.append(ev);
    this.metrics.eventsStored(1);
    this.feed.touch(ev.machine);
    if (this.onEvent) this.onEvent(stored);
    return stored;
  }

  /** Audit + Slack + metrics for a decision's log events. */
  recordLog(m: MachineConfig, log: LogEvent[], source: EventSource, unitSeq: number | null): void {
    for (const e of log) this.storeEvent(storedFromLog(m.name, e, source, unitSeq));
    this.announce(m, log);
  }

  /**
   * Slack messages and decision metrics for the log events of one request (no audit), together:
   * a login line carries the second relay's verdict logged after it.
   */
  announce(m: MachineConfig, log: LogEvent[]): void {
    for (const e of log) {
      const outcome = outcomeOf(e);
      if (outcome) this.metrics.decision(outcome);
    }
    // oops, lockout and their clearing go ahead of waiting chatter (logins, denials)
    const priority = log.some((e) => URGENT_EVENTS.indexOf(e.type) >= 0) ? 'urgent' : 'normal';
    for (const msg of messagesFor(m, log)) this.notifier.notify(msg.channel, msg.text, priority);
  }

  /**
   * Applies an admin's decision event to a server-decided (legacy or never-seen) machine. Like
   * dm_mac, an admin action is no update from the machine: `last_update` stays as it is.
   */
  applyEvent(m: MachineConfig, event: MachineEvent, source: EventSource): boolean {
    const rec = this.store.ensureMachine(m.name);
    const now = this.clock();
    const before = rec.state;
    const d = decide(m, rec.state, event, null, { now });
    rec.state = d.state;
    rec.outputs = d.outputs;
    this.recordLog(m, d.log, source, null);
    return !sameJson(d.state, before) || d.log.length > 0;
  }

  /**
   * oops / clear / lockout / unlock by an admin: queued as a command for a registered fobgate unit
   * (active or pending; it decides locally and reports back), decided here for a legacy or
   * never-seen machine.
   */
  adminAction(m: MachineConfig, action: CommandType, by: string, source: OopsSource, cut: boolean): AdminOutcome {
    // A unit registered but not yet heard from (pending key) takes the commands at its first sync.
    const unit = this.store.unit(m.name) ?? this.store.pendingUnit(m.name);
    const now = this.clock();
    this.feed.touch(m.name);
    if (unit) {
      const cmd: UnitCommand = { id: this.store.data.next_command_id++, type: action, cut, by };
      unit.commands.push(cmd);
      const ev = serverEvent(m.name, now, 'command_queued', `${action} queued as command ${cmd.id} by ${by}`);
      ev.source = 'admin';
      ev.reason = action;
      this.storeEvent(ev);
      return { queued: true, command_id: cmd.id };
    }
    let event: MachineEvent;
    if (action === 'oops') event = { type: 'admin_oops', by, source };
    else if (action === 'clear_oops') event = { type: 'admin_clear_oops', by };
    else if (action === 'lockout') event = { type: 'admin_lockout', by, cut };
    else event = { type: 'admin_unlock', by };
    this.applyEvent(m, event, source === 'button' ? 'legacy' : 'admin');
    return { queued: false, command_id: null };
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
    const rec = this.store.ensureMachine(m.name);
    rec.last_checkin = now;
    if (this.monitor.checkin(m.name, now) === 'back_online') {
      const outage = this.monitor.status(m.name).lastOutageMs ?? 0;
      this.notifier.notify('control', backOnlineText(m.display_name, outage), 'urgent');
      this.storeEvent(serverEvent(m.name, now, 'online', `back online after ${Math.round(outage / 1000)} s`));
    }
  }

  /** Periodic: machines that went silent get an offline alert (once per outage). */
  tick(): void {
    const now = this.clock();
    for (const name of this.monitor.tick(now)) {
      const m = this.machine(name);
      if (!m) continue;
      const last = this.monitor.status(name).lastSeen ?? now;
      this.notifier.notify('control', offlineText(m.display_name, now - last), 'urgent');
      this.storeEvent(serverEvent(name, now, 'offline', `no check-in since ${new Date(last).toISOString()}`));
    }
    if (this.events.pendingCount > 0) void this.events.flush().catch(() => undefined);
  }

  online(name: string): { online: boolean; since: number | null } {
    const s = this.monitor.status(name);
    if (s.state === 'unknown') return { online: false, since: null };
    if (s.state === 'offline') return { online: false, since: s.offlineSince };
    return { online: true, since: s.lastSeen };
  }
}

export function serverEvent(machine: string, at: number, type: string, detail: string): NewEvent {
  return {
    machine,
    at,
    type,
    source: 'server',
    account_id: null,
    full_name: null,
    fob: null,
    reason: null,
    duration_ms: null,
    detail,
    unit_seq: null,
  };
}

/** A decision log event as an audit-log record. */
export function storedFromLog(machine: string, e: LogEvent, source: EventSource, unitSeq: number | null): NewEvent {
  const ev: NewEvent = {
    machine,
    at: e.at,
    type: e.type,
    source,
    account_id: null,
    full_name: null,
    fob: null,
    reason: null,
    duration_ms: null,
    detail: null,
    unit_seq: unitSeq,
  };
  switch (e.type) {
    case 'session_start':
      ev.account_id = e.account_id || null;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.override ? 'override' : e.authorized ? 'authorized' : 'warn_only';
      ev.detail = e.override ? 'override' : null;
      break;
    case 'session_end':
      ev.account_id = e.account_id || null;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.reason;
      ev.duration_ms = e.duration_ms;
      ev.detail = e.override ? 'override' : null;
      break;
    case 'denied':
      ev.account_id = e.account_id;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.reason;
      if (e.blocked) ev.detail = 'machine oopsed or locked out';
      break;
    case 'card_removed':
      ev.fob = e.fob;
      ev.duration_ms = e.held_ms;
      break;
    case 'oops':
      ev.reason = e.source;
      ev.fob = e.fob || null;
      ev.detail = `by ${e.by}`;
      break;
    case 'oops_cleared':
    case 'unlocked':
      ev.detail = `by ${e.by}`;
      break;
    case 'locked_out':
      ev.reason = e.pending ? 'pending' : null;
      ev.detail = `by ${e.by}`;
      break;
    case 'second_relay':
      ev.fob = e.fob;
      ev.reason = e.mode;
      break;
    case 'card_audit':
      ev.account_id = e.account_id;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.inserted ? 'inserted' : 'removed';
      break;
    case 'error':
      ev.detail = e.message;
      break;
    default:
      break;
  }
  return ev;
}
