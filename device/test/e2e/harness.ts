// End-to-end fixtures: the built firmware (rebuilt when stale), a real fobgate server (buildApp
// over a temp data folder, listening on 127.0.0.1), a real local HTTP receiver standing in for the
// Slack webhooks, and simulated units registered through the admin API and flashed with their key.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { parseMachines, parseUsers, type FleetResponse, type FleetRow, type StoredEvent, type UserRecord } from '@fobgate/shared';
import { buildApp, createNotifier, EventLog, Store, type AppDeps } from '@fobgate/server';
import { UnitSim } from '../../sim/unit-sim.js';
import { ensureFirmware, REPO_ROOT as ROOT } from '../../build/ensure-firmware.js';

export { ensureFirmware, ROOT };

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';

// ---------------------------------------------------------------- the members and machines

export function member(id: string, name: string, fob: string, auths: string[], override = false): Record<string, unknown> {
  return {
    account_id: id,
    full_name: name + ' Maker',
    first_name: name,
    last_name: 'Maker',
    preferred_name: name,
    email: name.toLowerCase() + '@example.org',
    expiration_ymd: '2099-12-31',
    fob_codes: [fob],
    authorizations: auths,
    oops_override: override,
  };
}

export const FOBS = {
  ada: '0012345678',
  bob: '0000424242',
  cy: '0000777001',
  dee: '3000000001',
  unknown: '0000999999',
};

export const MEMBERS = [
  member('1', 'Ada', FOBS.ada, ['Lathe', 'Saw', 'Dust', 'Laser', 'Mill']),
  member('2', 'Bob', FOBS.bob, ['Saw', 'Laser']),
  member('3', 'Cy', FOBS.cy, ['Mill'], true),
  member('4', 'Dee', FOBS.dee, ['Lathe', 'Mill']),
];

export const MACHINES = {
  lathe: { authorizations_or: ['Lathe'], alias: 'Metal Lathe' },
  saw: { authorizations_or: ['Saw'], second_relay: { authorizations_or: ['Dust'], alias: 'Dust collector' } },
  laser: { authorizations_or: ['Laser'], second_relay: { authorizations_or: ['Rotary'], unauthorized_warn_only: true, alias: 'Rotary' } },
  mill: { authorizations_or: ['Mill'], offline_grace_hours: 1 },
};

// ---------------------------------------------------------------- Slack stand-in

export interface SlackReceiver {
  url(path: string): string;
  messages: Array<{ path: string; text: string }>;
  close(): Promise<void>;
}

export async function startSlack(): Promise<SlackReceiver> {
  const messages: Array<{ path: string; text: string }> = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      let text = '';
      try {
        text = String((JSON.parse(Buffer.concat(parts).toString('utf8')) as { text?: unknown }).text);
      } catch {
        text = '<unparsable>';
      }
      messages.push({ path: req.url || '/', text });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => 'http://127.0.0.1:' + port + p,
    messages,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ---------------------------------------------------------------- the server

export interface ServerOptions {
  members?: unknown[];
  machines?: unknown;
  /** More buildApp deps (a clock, unit limits, ...). */
  deps?: Partial<AppDeps>;
}

/** A real server in a temp data folder; stop() and start() keep its folder and port. */
export class E2EServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'fobgate-e2e-'));
  port = 0;
  app: Awaited<ReturnType<typeof buildApp>> | null = null;
  slack: SlackReceiver | null = null;
  private users: UserRecord[];
  private machinesRaw: unknown;
  private deps: Partial<AppDeps>;

  constructor(opts: ServerOptions = {}) {
    const u = parseUsers(opts.members ?? MEMBERS, 'users.json');
    if (!u.ok) throw new Error('e2e users: ' + u.errors.map((e) => e.path + ': ' + e.message).join('; '));
    this.users = u.value;
    this.machinesRaw = opts.machines ?? MACHINES;
    this.deps = opts.deps ?? {};
    writeFileSync(join(this.dir, 'users.json'), JSON.stringify(opts.members ?? MEMBERS, null, 2));
  }

  get url(): string {
    return 'http://127.0.0.1:' + this.port;
  }

  async start(): Promise<void> {
    if (!this.slack) this.slack = await startSlack();
    const m = parseMachines(this.machinesRaw, 'machines.json');
    if (!m.ok) throw new Error('e2e machines: ' + m.errors.map((e) => e.path + ': ' + e.message).join('; '));
    const stateDir = join(this.dir, 'state');
    mkdirSync(stateDir, { recursive: true });
    const store = await Store.open({ stateDir, budgetMs: 2000 });
    const events = EventLog.open(join(stateDir, 'events.db'));
    const notifier = createNotifier({ controlUrl: this.slack.url('/control'), oopsUrl: this.slack.url('/oops') });
    this.app = await buildApp({
      store,
      events,
      notifier,
      config: { users: this.users, machines: m.value, usersPath: join(this.dir, 'users.json') },
      adminToken: ADMIN_TOKEN,
      logger: false,
      ...this.deps,
    });
    await this.app.listen({ host: '127.0.0.1', port: this.port });
    this.port = (this.app.server.address() as AddressInfo).port;
  }

  /** Stops the server (the unit's connections are then refused). */
  async stop(): Promise<void> {
    if (!this.app) return;
    const app = this.app;
    this.app = null;
    app.server.closeAllConnections();
    await app.close();
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.slack) await this.slack.close();
    this.slack = null;
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** An admin API call with the bearer token; returns status and parsed JSON. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: 'Bearer ' + ADMIN_TOKEN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  async events(machine: string): Promise<StoredEvent[]> {
    const r = await this.admin('GET', '/api/admin/events?machine=' + encodeURIComponent(machine) + '&limit=1000');
    if (r.status !== 200) throw new Error('GET events: ' + r.status + ' ' + JSON.stringify(r.json));
    return (r.json as { events: StoredEvent[] }).events;
  }
}

// ---------------------------------------------------------------- units

export interface UnitHandle {
  unit: UnitSim;
  key: string;
  config: Record<string, unknown>;
}

/** Registers the machine's unit, flashes firmware + config into a fresh simulator and boots it. */
export async function startUnit(server: E2EServer, machine: string, opts: { settleCapMs?: number; storagePath?: string; lcdMissing?: boolean } = {}): Promise<UnitHandle> {
  const r = await server.admin('POST', '/api/admin/units', { machine });
  if (r.status !== 200) throw new Error('register ' + machine + ': ' + r.status + ' ' + JSON.stringify(r.json));
  const key = (r.json as { key: string }).key;
  const config = {
    machine,
    server_url: server.url,
    key,
    wifi: { ssid: 'makerspace', password: 'not-a-real-password' },
    profile: 'esp32',
    pins: {},
    i2c_address: 0x27,
    sync_interval_s: 5,
  };
  const unit = new UnitSim({ storagePath: opts.storagePath ?? join(server.dir, machine + '-flash.json'), settleCapMs: opts.settleCapMs ?? 15_000, lcdMissing: opts.lcdMissing });
  unit.flash({ config });
  unit.boot();
  return { unit, key, config };
}

/** Runs the unit until it holds a list (its first successful sync applied one). */
export async function untilListed(unit: UnitSim, maxMs = 30_000): Promise<void> {
  const listed = () => unit.http.log.some((x) => x.outcome === 'ok' && (x.responseBody || '').indexOf('"list":{') >= 0);
  const ok = await unit.until(() => listed() && (unit.lcdText === 'Please Insert\nRFID Card' || !unit.lcdDevice.present), maxMs, 100);
  if (!ok) throw new Error('unit did not get a list within ' + maxMs + ' ms; LCD: ' + JSON.stringify(unit.lcdText) + '; console: ' + unit.consoleLines.slice(-5).join(' | '));
}

/** Lets the unit run until all queued events went out (no successful sync pending). */
export async function untilSynced(unit: UnitSim, maxMs = 30_000): Promise<boolean> {
  const start = unit.http.log.length;
  return unit.until(() => unit.http.log.slice(start).some((x) => x.outcome === 'ok' && /"events":\[\]/.test(x.body)), maxMs, 100);
}

/** Hex HMAC-SHA256 of an 8-bit body with a unit key (a man in the middle who knows the key). */
export function sign(key: string, body: string): string {
  return createHmac('sha256', Buffer.from(key, 'latin1')).update(Buffer.from(body, 'latin1')).digest('hex');
}

/** The fleet row of one machine (GET /api/admin/machines). */
export async function fleetRow(server: E2EServer, machine: string): Promise<FleetRow> {
  const r = await server.admin('GET', '/api/admin/machines');
  const rows = (r.json as FleetResponse).machines;
  const row = rows.find((m) => m.name === machine);
  if (!row) throw new Error('no fleet row for ' + machine);
  return row;
}

/** What every end-to-end test expects of a unit: no uncaught exception, the wire contract kept
 * (integers, ASCII, Content-Length), and no write over already-written flash. */
export function healthy(unit: UnitSim): void {
  assert.equal(unit.uncaught, [], 'no uncaught exceptions in the firmware');
  assert.equal(unit.http.violations, [], 'requests keep the wire contract');
  assert.equal(unit.storage.violations, [], 'no flash overwrites');
  assert.equal(unit.ram.errors, [], 'no OUT OF MEMORY: every string the firmware handed to a native fits the variable store');
  // One request in flight: nothing new starts while an answered request was still open.
  for (let i = 1; i < unit.http.log.length; i++) {
    const a = unit.http.log[i - 1];
    const b = unit.http.log[i];
    if (a.answeredSeq !== undefined) assert.ok(b.seq > a.answeredSeq, 'request ' + b.seq + ' started before request ' + a.seq + ' was answered');
  }
}
