// A generated makerspace for the disk-stall test and the benchmark: N machines and M users in
// dm_mac's config format, written to a temp data folder, and a real listening fobgate server
// (buildApp + listen on 127.0.0.1:0) over it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../src/app.js';
import { Store, type StoreOptions } from '../src/store.js';
import { EventLog } from '../src/event-log.js';
import { createNotifier } from '../src/webhook-notifier.js';
import { loadMachinesFile, loadUsersFile } from '../src/config-loader.js';
import { stallTimers } from './helpers.js';

export interface FleetOptions {
  machines: number;
  users: number;
  /** Extra buildApp deps (budgetMs, timeouts, ...). */
  deps?: Partial<AppDeps>;
  slackControlUrl?: string;
  slackOopsUrl?: string;
  /** Event database to use instead of a fresh one (the benchmark's 10 M events). */
  eventsPath?: string;
  /** Extra Store options (save-duration hook, ...). */
  store?: Partial<StoreOptions>;
  /**
   * Save budgets that run only while the disk is stalled (see stallTimers in helpers.ts), so a
   * test's verdict never depends on the machine's speed. The benchmark keeps real timers.
   */
  budgetOnlyWhileStalled?: boolean;
}

export interface Fleet {
  dir: string;
  store: Store;
  stateDir: string;
  /** Holds every state-journal write from now on (a stuck disk) ... */
  stall(): void;
  /** ... and lets them through again. */
  release(): void;
  machineNames: string[];
  /** Fob of a member authorized on every machine. */
  fob: string;
  adminToken: string;
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export const machineName = (i: number) => `machine-${String(i).padStart(3, '0')}`;
export const fobOf = (i: number) => String(1_000_000 + i).padStart(10, '0');

export function writeFleetConfig(dir: string, machines: number, users: number): void {
  const m: Record<string, unknown> = {};
  for (let i = 0; i < machines; i++) {
    m[machineName(i)] = { authorizations_or: [`Tool ${i % 10}`], alias: `Machine ${i}` };
  }
  const u = [];
  for (let i = 0; i < users; i++) {
    u.push({
      account_id: String(5000 + i),
      full_name: `Member ${i}`,
      first_name: 'Member',
      last_name: String(i),
      preferred_name: `Member ${i}`,
      email: `member${i}@example.org`,
      expiration_ymd: '2099-12-31',
      fob_codes: [fobOf(i)],
      authorizations: i === 0 ? Array.from({ length: 10 }, (_, k) => `Tool ${k}`) : [`Tool ${i % 10}`],
    });
  }
  writeFileSync(join(dir, 'machines.json'), JSON.stringify(m, null, 2));
  writeFileSync(join(dir, 'users.json'), JSON.stringify(u, null, 2));
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-fleet-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFleetConfig(dir, o.machines, o.users);
  const machines = loadMachinesFile(join(dir, 'machines.json'), 'machines.json');
  const users = loadUsersFile(join(dir, 'users.json'), 'users.json');
  if (!machines.ok) throw new Error(machines.message);
  if (!users.ok) throw new Error(users.message);
  const budgetMs = o.deps?.budgetMs ?? 2000;
  let stalled = false;
  let held: Array<() => void> = [];
  const beforeWrite = () => (stalled ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
  const timers = o.budgetOnlyWhileStalled ? stallTimers() : null;
  const budgetTimer = timers ? { setTimer: timers.setTimer } : {};
  const store = await Store.open({ stateDir, budgetMs, idleFlushMs: 0, beforeWrite, ...budgetTimer, ...o.store });
  const events = EventLog.open(o.eventsPath ?? join(stateDir, 'events.db'));
  const notifier = createNotifier({ controlUrl: o.slackControlUrl, oopsUrl: o.slackOopsUrl });
  const adminToken = 'fleet-admin-token-0123456789abcdef';
  const app = await buildApp({
    store,
    events,
    notifier,
    config: { users: users.value, machines: machines.value, usersPath: join(dir, 'users.json') },
    adminToken,
    budgetMs,
    ...(timers ? { budgetTimer: timers.setTimer } : {}),
    ...o.deps,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
  return {
    dir,
    store,
    stateDir,
    stall() {
      stalled = true;
      if (timers) timers.onStall();
    },
    release() {
      stalled = false;
      if (timers) timers.onRelease();
      const h = held;
      held = [];
      for (const r of h) r();
    },
    machineNames: machines.value.names.slice(),
    fob: fobOf(0),
    adminToken,
    app,
    url,
    async close() {
      stalled = false;
      for (const r of held.splice(0)) r();
      try {
        await app.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
