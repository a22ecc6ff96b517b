// Test fixtures for the HTTP tests: a config, an app over a temp data folder, a recording
// notifier, an adapter that counts (or stalls) state writes, and a signed-sync client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  parseMachines,
  parseUsers,
  SIGNATURE_HEADER,
  SYNC_PATH,
  type MachinesConfig,
  type SyncRequest,
  type SyncResponse,
  type UserRecord,
} from '@fobgate/shared';
import { buildApp, type AppDeps } from '../src/app.js';
import { Store, type MachineDoc } from '../src/store.js';
import type { PersistedState, ServerDoc } from '../src/state-documents.js';
import type { SetTimer } from '../src/bounded-save.js';
import { readJournalFile } from '../src/state-journal.js';
import { EventLog } from '../src/event-log.js';
import type { Notifier, NotifierStats, NotifyChannel, NotifyPriority } from '../src/notifier.js';
import { hmacHex } from '../src/auth.js';

export const TOKEN = 'test-admin-token-0123456789abcdef';
export const AUTH = { authorization: `Bearer ${TOKEN}` };

export const MACHINES_RAW = {
  lathe: { authorizations_or: ['Lathe'], alias: 'Metal Lathe' },
  saw: {
    authorizations_or: ['Saw'],
    second_relay: { authorizations_or: ['Dust'], alias: 'Saw dust collector' },
  },
  drill: { authorizations_or: ['Drill'], unauthorized_warn_only: true },
  lights: { authorizations_or: [], always_enabled: true },
  unit1: { authorizations_or: ['Lathe'] },
};

export function user(id: string, name: string, fob: string, auths: string[], override = false): Record<string, unknown> {
  return {
    account_id: id,
    full_name: `${name} Tester`,
    first_name: name,
    last_name: 'Tester',
    preferred_name: name,
    email: `${name.toLowerCase()}@example.org`,
    expiration_ymd: '2099-12-31',
    fob_codes: [fob],
    authorizations: auths,
    oops_override: override,
  };
}

export const USERS_RAW = [
  user('1', 'Ada', '0000000001', ['Lathe', 'Saw', 'Dust']),
  user('2', 'Bob', '0000000002', ['Saw']),
  user('3', 'Cy', '0000000003', [], true),
];

/** A fob no user holds. */
export const UNKNOWN_FOB = '0000000099';

export function machinesConfig(raw: unknown = MACHINES_RAW): MachinesConfig {
  const p = parseMachines(raw, 'machines.json');
  if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('; '));
  return p.value;
}

export function usersConfig(raw: unknown = USERS_RAW): UserRecord[] {
  const p = parseUsers(raw, 'users.json');
  if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('; '));
  return p.value;
}

export interface Sent {
  channel: NotifyChannel;
  text: string;
  priority: NotifyPriority;
}

/** A notifier that records what it is asked to send. */
export function recordingNotifier(): Notifier & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    notify(channel, text, priority = 'normal') {
      sent.push({ channel, text, priority });
    },
    stats(): NotifierStats {
      const channel = (c: NotifyChannel) => ({ sent: sent.filter((s) => s.channel === c).length, retried: 0, dropped: 0, failed: 0, skipped: 0, queued: 0 });
      return { sent: sent.length, dropped: 0, failed: 0, queued: 0, retries: 0, skipped: 0, channels: { control: channel('control'), oops: channel('oops') } };
    },
    idle: () => Promise.resolve(),
    close() {},
  };
}

/**
 * The state disk as the tests see it: counts document writes and can hold every journal write
 * until released (a stuck disk), through the store's write gate. It also owns the save-budget
 * timers of the app over it (`budgetTimer`): a budget only runs out while the disk is stuck, so
 * a healthy save never times out however slow the machine is, and a stuck one always does.
 */
export interface DiskGate {
  /** Document writes asked of the journal so far. */
  readonly writes: number;
  /** Journal writes held right now. */
  readonly held: number;
  beforeWrite(): Promise<void>;
  stall(): void;
  release(): void;
  attach(store: Store): void;
  /** Budget timers for the store, the requests and users.json (see stallTimers). */
  budgetTimer: SetTimer;
}

/**
 * Save-budget timers that run only while `stalled()`: armed on a healthy disk they wait; once
 * the disk is stuck each runs out after `delay(ms)` (its own budget by default, so a stuck save
 * still takes the budget's real time); a release stops them again. The verdict of a save thus
 * never depends on how fast the machine is: a test about the budget stalls the disk.
 */
export function stallTimers(delay: (ms: number) => number = (ms) => ms): {
  setTimer: SetTimer;
  onStall(): void;
  onRelease(): void;
} {
  let stalled = false;
  interface Armed {
    fn: () => void;
    ms: number;
    handle: NodeJS.Timeout | null;
  }
  const armed = new Set<Armed>();
  const run = (a: Armed) => {
    a.handle = setTimeout(() => {
      if (!armed.delete(a)) return;
      a.fn();
    }, delay(a.ms));
  };
  return {
    setTimer(fn, ms) {
      const a: Armed = { fn, ms, handle: null };
      armed.add(a);
      if (stalled) run(a);
      return () => {
        armed.delete(a);
        if (a.handle) clearTimeout(a.handle);
      };
    },
    onStall() {
      stalled = true;
      for (const a of armed) if (!a.handle) run(a);
    },
    onRelease() {
      stalled = false;
      for (const a of armed) {
        if (a.handle) clearTimeout(a.handle);
        a.handle = null;
      }
    },
  };
}

export function diskGate(): DiskGate {
  let stalled = false;
  let held: (() => void)[] = [];
  let store: Store | null = null;
  const timers = stallTimers();
  return {
    get writes() {
      return store ? store.stats().docWrites : 0;
    },
    get held() {
      return held.length;
    },
    beforeWrite: () => (stalled ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()),
    stall() {
      stalled = true;
      timers.onStall();
    },
    release() {
      stalled = false;
      timers.onRelease();
      const h = held;
      held = [];
      for (const r of h) r();
    },
    attach(s: Store) {
      store = s;
    },
    budgetTimer: timers.setTimer,
  };
}

/**
 * What the state journal in `dir` holds, shaped as the single state.json of earlier versions
 * (the inverse of state-migration.ts's documentsOf): for assertions, and for building an old file
 * to upgrade from.
 */
export function stateOnDisk(dir: string): PersistedState {
  const docs = readJournalFile(join(dir, 'state.journal'));
  const server = (docs.get('server') as ServerDoc | undefined) ?? { list_version: 0, list_issued_at: 0, config_digest: '', list_day: '', next_command_id: 1 };
  const out: PersistedState = {
    format: 1,
    list_version: server.list_version,
    list_issued_at: server.list_issued_at,
    config_digest: server.config_digest,
    list_day: server.list_day,
    next_command_id: server.next_command_id,
    machines: {},
    units: {},
    pending_units: {},
    save_timeouts: {},
  };
  for (const [key, doc] of docs) {
    if (!key.startsWith('machine/')) continue;
    const name = key.slice('machine/'.length);
    const d = doc as MachineDoc;
    if (d.record) out.machines[name] = d.record;
    if (d.unit) out.units[name] = d.unit;
    if (d.pending_unit) out.pending_units![name] = d.pending_unit;
    if (d.save_timeouts) out.save_timeouts[name] = d.save_timeouts;
  }
  return out;
}

export interface TestApp {
  app: FastifyInstance;
  dir: string;
  /** The app's audit log. */
  eventLog: EventLog;
  notifier: ReturnType<typeof recordingNotifier>;
  disk: DiskGate;
  store: Store;
  now: { value: number };
  close(): Promise<void>;
}

export interface TestAppOptions {
  dir?: string;
  users?: UserRecord[];
  machines?: MachinesConfig;
  usersPath?: string | null;
  budgetMs?: number;
  bodyLimit?: number;
  start?: number;
  extra?: Partial<AppDeps>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fobgate-server-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** An app over `dir` (a new temp folder by default) with a fake clock and recording notifier. */
export async function makeApp(o: TestAppOptions = {}): Promise<TestApp> {
  const dir = o.dir ?? tempDir();
  const now = { value: o.start ?? Date.UTC(2026, 10, 22, 12, 0, 0) };
  const disk = diskGate();
  // the configured budget (what alerts quote); it only runs out while the test stalls the disk
  const budgetMs = o.budgetMs ?? 2000;
  const store = await Store.open({ stateDir: dir, budgetMs, beforeWrite: disk.beforeWrite, idleFlushMs: 0, setTimer: disk.budgetTimer });
  disk.attach(store);
  const events = EventLog.open(join(dir, 'events.db'));
  const notifier = recordingNotifier();
  const app = await buildApp({
    store,
    events,
    notifier,
    config: { users: o.users ?? usersConfig(), machines: o.machines ?? machinesConfig(), usersPath: o.usersPath ?? null },
    adminToken: TOKEN,
    clock: () => now.value,
    budgetMs,
    budgetTimer: disk.budgetTimer,
    bodyLimit: o.bodyLimit,
    logger: false,
    ...o.extra,
  });
  // app.inject opens no socket and the server's timers are unref'd: keep the test process alive
  // while a request waits on a timer (e.g. a save budget).
  const keepAlive = setInterval(() => undefined, 60000);
  return {
    app,
    dir,
    eventLog: events,
    notifier,
    disk,
    store,
    now,
    close: async () => {
      clearInterval(keepAlive);
      disk.release();
      await app.close();
    },
  };
}

/** dm_mac heartbeat/update body. */
export function update(machine: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    machine_name: machine,
    oops: false,
    rfid_value: '',
    uptime: 100,
    wifi_signal_db: -60,
    wifi_signal_percent: 80,
    internal_temperature_c: 40.5,
    amps: 0,
    ...over,
  };
}

export async function postUpdate(app: FastifyInstance, body: Record<string, unknown>) {
  return app.inject({ method: 'POST', url: '/api/machine/update', payload: body });
}

/** The sync request of an idle unit (no card, relays off, nothing to report) with these fields. */
export function idleSyncRequest(fields: Pick<SyncRequest, 'machine' | 'counter' | 'fw' | 'up' | 'list_version' | 'list_digest' | 'command_ack'> & Partial<SyncRequest>): SyncRequest {
  return {
    boot_count: 1,
    state: {
      relay: false,
      second_relay: false,
      oopsed: false,
      locked_out: false,
      rfid: null,
      session_fob: null,
      session_start: 0,
      look: 'idle',
      display: 'Please Insert\nRFID Card',
    },
    telemetry: { wifi_signal_db: -55, free_vars: 1200, temp_c10: 412 },
    events: [],
    dropped_events: 0,
    ...fields,
  };
}

/** A fobgate unit for the tests: registers, builds and signs sync requests, verifies answers. */
export class TestUnit {
  key = '';
  counter = 0;
  seq = 0;
  listVersion = 0;
  listDigest = '';
  /** The list bytes this test unit takes inline (what the firmware declares with plenty of memory, and more). */
  listInlineMax = 4096;
  commandAck = 0;
  constructor(readonly app: FastifyInstance, readonly machine: string) {}

  async register(): Promise<void> {
    const r = await this.app.inject({ method: 'POST', url: '/api/admin/units', headers: AUTH, payload: { machine: this.machine } });
    if (r.statusCode !== 200) throw new Error(`register failed: ${r.statusCode} ${r.body}`);
    this.key = r.json().key;
  }

  request(over: Partial<SyncRequest> = {}): SyncRequest {
    this.counter++;
    return idleSyncRequest({
      machine: this.machine,
      counter: this.counter,
      fw: 'test-1.0',
      up: 60000,
      list_version: this.listVersion,
      list_digest: this.listDigest,
      list_inline_max: this.listInlineMax,
      command_ack: this.commandAck,
      ...over,
    });
  }

  /** Sends a raw body signed with `key` (default: the unit's). */
  async sendRaw(text: string, key: string = this.key) {
    return this.app.inject({
      method: 'POST',
      url: SYNC_PATH,
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: hmacHex(key, text) },
      payload: text,
    });
  }

  async sync(over: Partial<SyncRequest> = {}) {
    const req = this.request(over);
    const res = await this.sendRaw(JSON.stringify(req));
    let body: SyncResponse | null = null;
    if (res.statusCode === 200) {
      const sig = res.headers[SIGNATURE_HEADER];
      if (sig !== hmacHex(this.key, res.body)) throw new Error('response signature does not verify');
      body = JSON.parse(res.body) as SyncResponse;
    }
    return { res, body, req };
  }
}
