// A dm_mac-style fleet for the compatibility tests: one machine of each kind (aliased, second
// relay with and without an alias, warn-only, always-on), its members, and helpers to post
// ESPHome updates, call dm_mac's admin routes, read the Slack messages and scrape /metrics.
import * as assert from 'uvu/assert';
import { AUTH, machinesConfig, makeApp, postUpdate, update, user, usersConfig, type TestApp, type TestAppOptions } from './helpers.js';
import { parseExposition, type Exposition } from './prom-text.js';

export const COMPAT_MACHINES = {
  lathe: { authorizations_or: ['Lathe'], alias: 'Metal Lathe' },
  saw: { authorizations_or: ['Saw'], alias: 'Table Saw', second_relay: { authorizations_or: ['Dust'], alias: 'Dust Collector' } },
  drill: { authorizations_or: ['Drill'], unauthorized_warn_only: true },
  lights: { authorizations_or: [], always_enabled: true },
  booth: { authorizations_or: ['Booth'], always_enabled: true, second_relay: { authorizations_or: ['Fan'], unauthorized_warn_only: true } },
};

/** [machine_name, display_name] in machines.json order. */
export const COMPAT_NAMES: Array<[string, string]> = [
  ['lathe', 'Metal Lathe'],
  ['saw', 'Table Saw'],
  ['drill', 'drill'],
  ['lights', 'lights'],
  ['booth', 'booth'],
];

export const COMPAT_USERS = [
  user('1', 'Ada', '0000000001', ['Lathe', 'Saw', 'Dust', 'Fan']),
  user('2', 'Bob', '0000000002', ['Saw']),
  user('3', 'Cy', '0000000003', [], true),
];

export const ADA = '1';
export const BOB = '2';
export const CY = '3';
export const STRANGER = '99';

/** The labels dm_mac gives a machine's series. */
export function labels(name: string): { machine_name: string; display_name: string } {
  const row = COMPAT_NAMES.find((r) => r[0] === name);
  if (!row) throw new Error(`no machine ${name} in the compat fleet`);
  return { machine_name: name, display_name: row[1] };
}

export interface CompatApp extends TestApp {
  /** Posts an ESPHome update; asserts 200 and answers the body. */
  up(machine: string, over?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Calls a dm_mac admin route (with the admin token); asserts 200 {"success": true}. */
  admin(method: 'POST' | 'DELETE', what: 'oops' | 'locked_out', machine: string): Promise<void>;
  scrape(): Promise<Exposition>;
  /** Slack messages since the last call, as `channel: text`. */
  slack(): string[];
  /** Sets the server clock to start + s seconds. */
  at(s: number): void;
  start: number;
}

export async function compatApp(o: TestAppOptions = {}): Promise<CompatApp> {
  const t = await makeApp({ machines: machinesConfig(COMPAT_MACHINES), users: usersConfig(COMPAT_USERS), ...o });
  const start = t.now.value;
  let seen = 0;
  return Object.assign(t, {
    start,
    async up(machine: string, over: Record<string, unknown> = {}) {
      const r = await postUpdate(t.app, update(machine, over));
      assert.is(r.statusCode, 200, r.body);
      return r.json() as Record<string, unknown>;
    },
    async admin(method: 'POST' | 'DELETE', what: 'oops' | 'locked_out', machine: string) {
      const r = await t.app.inject({ method, url: `/api/machine/${what}/${machine}`, headers: AUTH });
      assert.is(r.statusCode, 200, r.body);
      assert.equal(r.json(), { success: true });
    },
    async scrape() {
      const r = await t.app.inject({ method: 'GET', url: '/metrics' });
      assert.is(r.statusCode, 200);
      return parseExposition(r.body);
    },
    slack() {
      const out = t.notifier.sent.slice(seen).map((s) => `${s.channel}: ${s.text}`);
      seen = t.notifier.sent.length;
      return out;
    },
    at(s: number) {
      t.now.value = start + s * 1000;
    },
  });
}

/** The six-key answer of a look (dm_mac's table). */
export function look(relay: boolean, display: string, oopsLed: boolean, rgb: number[], brightness: number, secondRelay = false) {
  return { relay, display, oops_led: oopsLed, status_led_rgb: rgb, status_led_brightness: brightness, second_relay: secondRelay };
}

export const IDLE = look(false, 'Please Insert\nRFID Card', false, [0, 0, 0], 0);
