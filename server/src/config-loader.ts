// Where the server's files live and how they are loaded: data folder, first-run example config,
// users.json / machines.json through the shared validator, the persisted admin token, and the
// numeric settings. Only server.ts passes the real environment in.
import { chmodSync, existsSync, mkdirSync, readFileSync, copyFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseUsersJson,
  parseMachinesJson,
  formatIssue,
  SYNC_INTERVAL_S,
  type UserRecord,
  type MachinesConfig,
  type ConfigIssue,
} from '@fobgate/shared';
import {
  ensurePrivateDir,
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  tighten,
  tightenTree,
  writePrivateFileSync,
  type TightenReport,
} from './private-files.js';

export type Env = { [key: string]: string | undefined };

const DEFAULTS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'defaults');

export interface ServerPaths {
  /** Root data folder (FOBGATE_DATA_DIR, default ./data). */
  dataDir: string;
  /** MACHINE_STATE_DIR (default <data>/state): state.journal and events.db. */
  stateDir: string;
  usersPath: string;
  machinesPath: string;
  /** Where a generated admin token is kept. */
  tokenPath: string;
  /** Every earlier users.json, numbered (users-history/ beside users.json). */
  usersHistoryDir: string;
  /** Whether the config paths are the embedded defaults (first run may create them). */
  usersIsDefault: boolean;
  machinesIsDefault: boolean;
}

export function resolvePaths(env: Env, cwd: string): ServerPaths {
  const dataDir = resolve(cwd, env.FOBGATE_DATA_DIR || 'data');
  const usersPath = env.USERS_CONFIG ? resolve(cwd, env.USERS_CONFIG) : join(dataDir, 'users.json');
  return {
    dataDir,
    stateDir: env.MACHINE_STATE_DIR ? resolve(cwd, env.MACHINE_STATE_DIR) : join(dataDir, 'state'),
    usersPath,
    usersHistoryDir: join(dirname(usersPath), 'users-history'),
    machinesPath: env.MACHINES_CONFIG ? resolve(cwd, env.MACHINES_CONFIG) : join(dataDir, 'machines.json'),
    tokenPath: join(dataDir, 'admin-token'),
    usersIsDefault: !env.USERS_CONFIG,
    machinesIsDefault: !env.MACHINES_CONFIG,
  };
}

/**
 * Creates the data folders (0700) and, on first run, the example config (0600). Returns the
 * files created.
 */
export function prepareDataDir(paths: ServerPaths): string[] {
  if (isOwnFolder(paths.dataDir)) ensurePrivateDir(paths.dataDir);
  else mkdirSync(paths.dataDir, { recursive: true });
  if (isOwnFolder(paths.stateDir)) ensurePrivateDir(paths.stateDir);
  else mkdirSync(paths.stateDir, { recursive: true });
  const created: string[] = [];
  if (paths.machinesIsDefault && !existsSync(paths.machinesPath)) {
    copyFileSync(join(DEFAULTS_DIR, 'machines.json'), paths.machinesPath);
    chmodSync(paths.machinesPath, PRIVATE_FILE_MODE);
    created.push(paths.machinesPath);
  }
  if (paths.usersIsDefault && !existsSync(paths.usersPath)) {
    copyFileSync(join(DEFAULTS_DIR, 'users.json'), paths.usersPath);
    chmodSync(paths.usersPath, PRIVATE_FILE_MODE);
    created.push(paths.usersPath);
  }
  return created;
}

/**
 * Makes what an earlier version (or a loose umask) left readable by others private: the data and
 * state folders, the state folder's files, users.json, machines.json, the admin token and the
 * users history, wherever they live. Nothing else in a folder the admin pointed us at is touched.
 */
export function secureDataFiles(paths: ServerPaths): TightenReport {
  const report: TightenReport = { tightened: [], failed: [] };
  const note = (p: string, r: 'tightened' | 'private' | 'failed') => {
    if (r === 'tightened') report.tightened.push(p);
    else if (r === 'failed') report.failed.push(p);
  };
  if (isOwnFolder(paths.dataDir)) note(paths.dataDir, tighten(paths.dataDir, PRIVATE_DIR_MODE));
  if (isOwnFolder(paths.stateDir)) tightenTree(paths.stateDir, report);
  else for (const f of ['state.journal', 'events.db', 'events.db-wal', 'events.db-shm', 'state.json', 'events.jsonl']) note(join(paths.stateDir, f), tighten(join(paths.stateDir, f)));
  if (existsSync(paths.usersHistoryDir)) tightenTree(paths.usersHistoryDir, report);
  for (const f of [paths.usersPath, paths.machinesPath, paths.tokenPath]) note(f, tighten(f));
  return report;
}

/** A folder the server may chmod: not the file system root, the home folder or the working folder. */
function isOwnFolder(dir: string): boolean {
  const d = resolve(dir);
  return d !== resolve('/') && d !== resolve(homedir()) && d !== resolve(process.cwd());
}


export type Loaded<T> = { ok: true; value: T; warnings: string[] } | { ok: false; message: string };

/** A path as the operator should read it in messages (relative to cwd when inside it). */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function readText(path: string, label: string): Loaded<string> {
  try {
    if (!statSync(path).isFile()) return { ok: false, message: `${label}: not a regular file` };
    return { ok: true, value: readFileSync(path, 'utf8'), warnings: [] };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, message: `${label}: file not found` };
    if (code === 'EACCES') return { ok: false, message: `${label}: permission denied` };
    return { ok: false, message: `${label}: cannot be read (${code ?? 'error'})` };
  }
}

function issues(list: ConfigIssue[]): string {
  return list.map(formatIssue).join('\n');
}

export function loadUsersFile(path: string, label: string): Loaded<UserRecord[]> {
  const text = readText(path, label);
  if (!text.ok) return text;
  const parsed = parseUsersJson(text.value, label);
  if (!parsed.ok) return { ok: false, message: issues(parsed.errors) };
  return { ok: true, value: parsed.value, warnings: parsed.warnings.map(formatIssue) };
}

export function loadMachinesFile(path: string, label: string): Loaded<MachinesConfig> {
  const text = readText(path, label);
  if (!text.ok) return text;
  const parsed = parseMachinesJson(text.value, label);
  if (!parsed.ok) return { ok: false, message: issues(parsed.errors) };
  return { ok: true, value: parsed.value, warnings: parsed.warnings.map(formatIssue) };
}

export interface AdminToken {
  token: string;
  /** 'env' (ADMIN_TOKEN), 'file' (kept from an earlier run) or 'generated' (new this run). */
  source: 'env' | 'file' | 'generated';
}

const TOKEN_RE = /^[\x21-\x7e]{16,256}$/;

/** ADMIN_TOKEN, else the token kept in the data folder, else a new one (written there, mode 0600). */
export function loadAdminToken(env: Env, tokenPath: string): Loaded<AdminToken> {
  if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN !== '') {
    if (!TOKEN_RE.test(env.ADMIN_TOKEN)) {
      return { ok: false, message: 'ADMIN_TOKEN: must be 16 to 256 printable ASCII characters without spaces' };
    }
    return { ok: true, value: { token: env.ADMIN_TOKEN, source: 'env' }, warnings: [] };
  }
  if (existsSync(tokenPath)) {
    const kept = readFileSync(tokenPath, 'utf8').trim();
    if (TOKEN_RE.test(kept)) return { ok: true, value: { token: kept, source: 'file' }, warnings: [] };
  }
  const token = randomBytes(24).toString('hex');
  writePrivateFileSync(tokenPath, token + '\n');
  return { ok: true, value: { token, source: 'generated' }, warnings: [] };
}

export interface ServerSettings {
  host: string;
  port: number;
  offlineAfterS: number;
  saveBudgetMs: number;
  /** Days of audit events and sessions kept (0: all). */
  eventsRetentionDays: number;
  slackControlUrl: string | null;
  slackOopsUrl: string | null;
  /** Earlier users.json files kept (USERS_HISTORY_KEEP, default 50). */
  usersHistoryKeep: number;
  /** Seconds between a unit's syncs, told to every unit in its sync answers (SYNC_INTERVAL_S). */
  syncIntervalS: number;
}

function intSetting(env: Env, name: string, dflt: number, min: number, max: number): number | string {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^[0-9]+$/.test(raw)) return `${name}: must be a whole number, got "${raw}"`;
  const n = Number(raw);
  if (n < min || n > max) return `${name}: must be between ${min} and ${max}, got ${n}`;
  return n;
}

function urlSetting(env: Env, name: string): string | null | { error: string } {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return { error: `${name}: must be an http(s) URL` };
    return raw;
  } catch {
    return { error: `${name}: not a valid URL` };
  }
}

export function readSettings(env: Env): Loaded<ServerSettings> {
  const port = intSetting(env, 'PORT', 3000, 0, 65535);
  const offline = intSetting(env, 'OFFLINE_AFTER_S', 120, 5, 31 * 86400);
  const budget = intSetting(env, 'SAVE_BUDGET_MS', 2000, 100, 60000);
  const retention = intSetting(env, 'EVENTS_RETENTION_DAYS', 0, 0, 100 * 366);
  const keep = intSetting(env, 'USERS_HISTORY_KEEP', 50, 1, 100000);
  const syncInterval = intSetting(env, 'SYNC_INTERVAL_S', SYNC_INTERVAL_S, 1, 3600);
  for (const v of [port, offline, budget, retention, keep, syncInterval]) if (typeof v === 'string') return { ok: false, message: v };
  const control = urlSetting(env, 'SLACK_CONTROL_WEBHOOK_URL');
  const oops = urlSetting(env, 'SLACK_OOPS_WEBHOOK_URL');
  for (const v of [control, oops]) if (v !== null && typeof v === 'object') return { ok: false, message: v.error };
  return {
    ok: true,
    value: {
      host: env.HOST || '127.0.0.1',
      port: port as number,
      offlineAfterS: offline as number,
      saveBudgetMs: budget as number,
      eventsRetentionDays: retention as number,
      slackControlUrl: control as string | null,
      slackOopsUrl: oops as string | null,
      usersHistoryKeep: keep as number,
      syncIntervalS: syncInterval as number,
    },
    warnings: [],
  };
}
