// Fixtures for the authorization-list tests: node:crypto SHA-256/HMAC over 8-bit strings, a
// seeded random source, machines and random lists. Test-only (imported by *.test.ts files).
import { createHash, createHmac } from 'node:crypto';
import type { MachineConfig, UserRecord } from '../src/config-types.js';
import type { DecisionMachine } from '../src/decision-types.js';
import { type AuthList, type ListEntry, entryAt } from '../src/authlist-list.js';
import { buildList } from '../src/authlist-build.js';

export const sha256Hex = (msg: string): string => createHash('sha256').update(Buffer.from(msg, 'latin1')).digest('hex');
export const hmac = (key: string, msg: string): string =>
  createHmac('sha256', Buffer.from(key, 'latin1')).update(Buffer.from(msg, 'latin1')).digest('hex');

/** A unit key: 32 bytes as 64 hex characters (docs/protocol.md). */
export const KEY = 'a3'.repeat(32);

/** Deterministic PRNG (mulberry32) returning [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function machineConfig(over: Partial<MachineConfig>): MachineConfig {
  const base: MachineConfig = {
    name: 'lathe',
    authorizations_or: ['Lathe'],
    unauthorized_warn_only: false,
    always_enabled: false,
    alias: null,
    display_name: 'lathe',
    second_relay: null,
    offline_grace_hours: 72,
    expiry_grace_days: null,
    legacy_updates: true,
  };
  return Object.assign(base, over);
}

export function header(over: Partial<DecisionMachine>): DecisionMachine {
  return Object.assign(
    {
      name: 'lathe',
      display_name: 'Big Lathe',
      unauthorized_warn_only: false,
      always_enabled: false,
      second_relay: null,
      offline_grace_hours: 72,
    },
    over,
  );
}

export function user(over: Partial<UserRecord>): UserRecord {
  return Object.assign(
    {
      account_id: '1',
      full_name: 'Ada Lovelace',
      first_name: 'Ada',
      last_name: 'Lovelace',
      preferred_name: 'Ada',
      email: 'ada@example.org',
      expiration_ymd: '2030-01-01',
      fob_codes: ['0000000001'],
      authorizations: [],
      oops_override: false,
    },
    over,
  );
}

const NAME_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .-\'';

export function randomName(r: () => number): string {
  const n = 1 + Math.floor(r() * 20);
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(r() * NAME_CHARS.length)];
  return s;
}

/** A random fob, with the extremes 0 and 2^32-1 now and then. */
export function randomFob(r: () => number): number {
  const x = r();
  if (x < 0.01) return 0;
  if (x < 0.02) return 4294967295;
  if (x < 0.3) return Math.floor(r() * 2000);
  return Math.floor(r() * 4294967296);
}

export function randomEntries(r: () => number, count: number): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < count; i++) out.push({ fob: randomFob(r), flags: Math.floor(r() * 16), name: randomName(r) });
  return out;
}

export function listOf(entries: ListEntry[], version: number, machine?: DecisionMachine): AuthList {
  return buildList(machine || header({}), entries, version, 1763850000000 + version, sha256Hex);
}

/** The list's entries as plain objects (for deep equality). */
export function plain(list: AuthList): { fob: number; flags: number; name: string }[] {
  const out = [];
  for (let i = 0; i < list.count; i++) out.push(entryAt(list, i));
  return out;
}

/** The digest as the format defines it, written independently of the module. */
export function specDigest(body: string): string {
  let h = '';
  for (let p = 0; p < body.length; p += 2048) h = sha256Hex(h + body.substring(p, p + 2048));
  return h;
}
