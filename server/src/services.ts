// What the routes are given: the app's configuration and dependencies (AppDeps), the services
// built from them once per app (AppServices: the core, lists, guards, admin auth, dashboard
// state) and createServices(), which builds them. Routes import their types from here, never
// from app.ts (app.ts registers the routes: importing it back would tie them in a cycle).
import type { FastifyServerOptions } from 'fastify';
import { Registry } from 'prom-client';
import type { Adapter } from 'lowdb';
import { dirname, join } from 'node:path';
import type { MachinesConfig, UserRecord } from '@fobgate/shared';
import { Core } from './core-services.js';
import { ANSWER_MARGIN_MS } from './save-budget.js';
import type { Store } from './store.js';
import type { EventLog } from './event-log.js';
import type { Notifier } from './notifier.js';
import type { TimeoutTrackerOptions } from './timeout-tracker.js';
import { ListCache } from './machine-lists.js';
import { ListVersionGuard } from './list-versions.js';
import { UnitDrops } from './unit-drops.js';
import { UnitBudget, type UnitLimits } from './unit-budget.js';
import { createAtomicFileAdapter } from './atomic-file.js';
import { BoundedSaver, type SetTimer } from './bounded-save.js';
import { AdminAuth } from './admin-auth.js';
import { AdminTokens } from './dashboard/admin-tokens.js';
import { SessionStore, openSessionsDoc } from './dashboard/sessions.js';
import { LivenessTracker } from './dashboard/liveness.js';
import { FleetView } from './dashboard/fleet-view.js';
import type { SseHub, HubOptions } from './dashboard/sse-hub.js';
import type { DashboardOptions, SlackCommandOptions } from './dashboard/settings.js';
import { clearButtonBlocks } from './slack/blocks.js';
import { UsersHistory } from './users-history.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received (signature checks). */
    rawBody?: Buffer;
    /** performance.now() when the request arrived (the save budget counts from here). */
    receivedAt?: number;
  }
  interface FastifyInstance {
    /** The app's services (tests and tools look inside: the fleet feed, stream statistics). */
    fobgate: AppServices;
  }
  interface FastifyContextConfig {
    /** dm_mac route: error bodies carry only dm_mac's keys. */
    legacy?: boolean;
  }
}

export interface AppConfig {
  users: UserRecord[];
  machines: MachinesConfig;
  /** users.json (reload-users re-reads it; PUT users writes it), or null: users only in memory. */
  usersPath: string | null;
  /** How users.json is named in error messages (default: the path). */
  usersLabel?: string;
}

export interface AppDeps {
  store: Store;
  events: EventLog;
  notifier: Notifier;
  config: AppConfig;
  adminToken: string;
  clock?: () => number;
  /** prom-client registry (default: a new one per app). */
  registry?: Registry;
  /** fastify's logger option (false in tests). */
  logger?: FastifyServerOptions['logger'];
  /** Log every request (fastify's request logging); off by default: events are logged instead. */
  accessLog?: boolean;
  /** Per-request save budget, ms (2000). */
  budgetMs?: number;
  /**
   * Arms the save-budget timers of requests and users.json writes (default: real, unref'd
   * timers). The store's own budget timers are StoreOptions.setTimer.
   */
  budgetTimer?: SetTimer;
  /** Silence after which a machine is offline, ms (120 000). */
  offlineAfterMs?: number;
  /** How often offline machines are looked for, ms (5000). */
  tickMs?: number;
  /** Largest accepted request body, bytes (1 MiB). */
  bodyLimit?: number;
  timeouts?: TimeoutTrackerOptions;
  /** Where PUT /api/admin/users writes users.json (default: atomic file at usersPath). */
  usersAdapter?: Adapter<UserRecord[]>;
  /** Folder keeping every replaced users.json (default: users-history/ beside usersPath; null: none). */
  usersHistoryDir?: string | null;
  /** Revisions the users history keeps (50). */
  usersHistoryKeep?: number;
  /** Sync period told to units, s (5). */
  syncIntervalS?: number;
  /** What one unit may send (defaults: DEFAULT_UNIT_LIMITS in unit-budget.ts). */
  unitLimits?: Partial<UnitLimits>;
  /** The most list bytes sent inside a sync answer whatever a unit declares (4096); larger updates are downloaded from /api/v1/list. */
  listInlineMaxBytes?: number;
  /** Dashboard sessions, status board, where admins.json lives (defaults: see DashboardOptions). */
  dashboard?: DashboardOptions;
  /** Event-stream buffering bounds (defaults: see HubOptions). */
  streams?: HubOptions;
  /** Slack slash commands and buttons; null or absent: /slack/* answers 404. */
  slackCommands?: SlackCommandOptions | null;
}

export interface DashboardServices {
  options: DashboardOptions;
  view: FleetView;
  liveness: LivenessTracker;
  hub: HubOptions;
  hubs: SseHub<unknown>[];
  /** Ends the event streams of one session (sign-out, admin removed). */
  endStreams: (sessionKey: string) => void;
}

export interface AppServices {
  core: Core;
  lists: ListCache;
  /** Checks the list versions units report against what this server issued. */
  listGuard: ListVersionGuard;
  /** Events units lost to buffer overflow: metrics, fleet fields, Slack. */
  drops: UnitDrops;
  /** What one unit may send per minute (429 beyond it). */
  budget: UnitBudget;
  deps: AppDeps;
  registry: Registry;
  clock: () => number;
  /** Writes users.json within the budget. */
  saveUsers: ((users: UserRecord[]) => Promise<'saved' | 'timeout' | 'error'>) | null;
  /** Who may use the admin routes: ADMIN_TOKEN, per-admin tokens, dashboard sessions. */
  auth: AdminAuth;
  dashboard: DashboardServices;
  /** Every replaced users list (null when users live only in memory). */
  usersHistory: UsersHistory | null;
}

/** The Core over the store, its config digest checked and its save durations measured. */
function createCore(deps: AppDeps, clock: () => number, registry: Registry, budgetMs: number): Core {
  const core = new Core({
    store: deps.store,
    events: deps.events,
    clock,
    notifier: deps.notifier,
    registry,
    users: deps.config.users,
    machines: deps.config.machines,
    usersPath: deps.config.usersPath,
    budgetMs,
    budgetTimer: deps.budgetTimer,
    offlineAfterMs: deps.offlineAfterMs ?? 120000,
    timeouts: deps.timeouts,
  });
  if (core.syncConfigDigest()) deps.store.markDirty();
  deps.store.observeSaveDuration((seconds) => core.metrics.saveDuration(seconds));
  return core;
}

/** Writes users.json within the budget (null: users live only in memory). */
function createUsersSaver(deps: AppDeps, budgetMs: number): BoundedSaver<UserRecord[]> | null {
  let usersSaver: BoundedSaver<UserRecord[]> | null = null;
  const usersAdapter =
    deps.usersAdapter ?? (deps.config.usersPath ? createAtomicFileAdapter<UserRecord[]>(deps.config.usersPath) : null);
  if (usersAdapter) {
    usersSaver = new BoundedSaver<UserRecord[]>({ adapter: usersAdapter, budgetMs: Math.max(1, budgetMs - ANSWER_MARGIN_MS), setTimer: deps.budgetTimer });
  }
  return usersSaver;
}

/** The dashboard's own files (admins, sessions, liveness) beside the state, opened. */
async function openDashboardState(deps: AppDeps, core: Core, clock: () => number) {
  const dashOptions = deps.dashboard ?? {};
  const ownDir = dashOptions.stateDir === undefined ? dirname(deps.store.journalPath) : dashOptions.stateDir;
  const tokens = await AdminTokens.open(ownDir ? join(ownDir, 'admins.json') : null, clock);
  const sessionsDoc = await openSessionsDoc(ownDir ? join(ownDir, 'sessions.json') : null);
  const sessions = new SessionStore(clock, {
    idleMs: dashOptions.sessionIdleMs,
    maxMs: dashOptions.sessionMaxMs,
    saved: sessionsDoc.data.sessions,
    onChange: () => {
      sessionsDoc.data = { format: 1, sessions: sessions.all() };
      void sessionsDoc.save().catch(() => undefined);
    },
  });
  const liveness = await LivenessTracker.open(core, ownDir ? join(ownDir, 'dashboard.json') : null);
  liveness.follow(core.feed);
  return { dashOptions, tokens, sessionsDoc, sessions, liveness };
}

/** The app's services, and what closes the resources they opened (called when the app closes). */
export async function createServices(deps: AppDeps): Promise<{ services: AppServices; close: () => Promise<void> }> {
  const clock = deps.clock ?? Date.now;
  const registry = deps.registry ?? new Registry();
  const budgetMs = deps.budgetMs ?? 2000;
  const core = createCore(deps, clock, registry, budgetMs);
  const lists = new ListCache(core, deps.listInlineMaxBytes);
  const usersSaver = createUsersSaver(deps, budgetMs);
  const { dashOptions, tokens, sessionsDoc, sessions, liveness } = await openDashboardState(deps, core, clock);
  const historyDir =
    deps.usersHistoryDir !== undefined
      ? deps.usersHistoryDir
      : deps.config.usersPath
        ? join(dirname(deps.config.usersPath), 'users-history')
        : null;
  const services: AppServices = {
    core,
    lists,
    listGuard: new ListVersionGuard(core, registry),
    drops: new UnitDrops(core, registry),
    budget: new UnitBudget(core, registry, deps.unitLimits),
    deps,
    registry,
    clock,
    saveUsers: usersSaver ? (users) => usersSaver!.save(() => users) : null,
    auth: new AdminAuth(deps.adminToken, tokens, sessions),
    dashboard: {
      options: dashOptions,
      view: new FleetView(core, liveness, () => services.listGuard),
      liveness,
      hub: deps.streams ?? {},
      hubs: [],
      endStreams: () => undefined,
    },
    usersHistory: historyDir ? new UsersHistory(historyDir, deps.usersHistoryKeep) : null,
  };
  if (deps.slackCommands && deps.notifier.decorate) {
    // Oops alerts in the control channel get a "Clear" button (answered by /slack/interactivity).
    deps.notifier.decorate((channel, text) => (channel === 'control' ? clearButtonBlocks(core, text) : null));
  }

  const close = async (): Promise<void> => {
    core.feed.close();
    await liveness.close();
    await tokens.close();
    await sessionsDoc.close();
    if (usersSaver) usersSaver.close();
  };
  return { services, close };
}
