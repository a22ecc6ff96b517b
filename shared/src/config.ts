// users.json and machines.json (dm_mac's files plus fobgate's optional additive machine keys):
// JSON text read by config-json.ts, each entry checked against its schema (config-schemas.ts,
// ajv), then what a schema cannot say: canonical fob codes, a fob or account held twice,
// machine names and aliases that collide ignoring case. Every problem is collected as a
// ConfigIssue naming the file, the JSON pointer, the line when the input was text, and what is
// wrong; nothing here throws, whatever the input. Node-side only: never bundled into the firmware.
import { canonicalFob } from './fob.js';
import { DEFAULT_OFFLINE_GRACE_HOURS, type ConfigIssue, type MachineConfig, type MachinesConfig, type Parsed, type RelayConfig, type UserRecord } from './config-types.js';
import { readJsonDocument, quoteValue } from './config-json.js';
import { MACHINE_SCHEMA, USER_SCHEMA, validators, isValidYmd } from './config-schemas.js';
import {
  IssueList, MAX_CONFIG_ISSUES, PHASE_ACROSS, PHASE_JSON, addSchemaErrors, childPath, formatIssue, formatIssues, schemaRank, typeName,
} from './config-issues.js';

export { MAX_CONFIG_ISSUES, formatIssue, formatIssues, isValidYmd };
export const MACHINE_NAME_PATTERN = /^[a-z0-9_-]+$/;
/** Names that match the pattern but would misbehave as keys of a plain object. */
const RESERVED_NAMES = ['__proto__', 'constructor'];

type Obj = { [k: string]: unknown };

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function isPlainObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fileName(file: unknown, fallback: string): string {
  return typeof file === 'string' && file.length > 0 ? file : fallback;
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}

/** Position of `key` among the keys of the object at `instancePath` inside `root`. */
function keyOrderIn(root: unknown): (instancePath: string, key: string) => number {
  return (instancePath, key) => {
    let node: unknown = root;
    for (const s of instancePath === '' ? [] : instancePath.slice(1).split('/')) {
      const seg = s.replace(/~1/g, '/').replace(/~0/g, '~');
      node = isPlainObject(node) || Array.isArray(node) ? (node as Obj)[seg] : undefined;
    }
    return isPlainObject(node) ? Object.keys(node).indexOf(key) : 0;
  };
}

/** Reads a config file's text, then validates its value; every failure becomes an issue. */
function fromText<T>(text: unknown, issues: IssueList, validate: (data: unknown, issues: IssueList) => T | null): Parsed<T> {
  try {
    if (typeof text !== 'string') {
      issues.error('', 'must be JSON text, got ' + typeName(text), [PHASE_JSON]);
      return issues.result<T>(null);
    }
    const doc = readJsonDocument(text);
    for (const p of doc.problems) issues.error(p.path, p.message, [PHASE_JSON, p.line, p.column], { line: p.line, column: p.fatal ? p.column : undefined });
    if (!doc.ok) return issues.result<T>(null);
    issues.lineOf = doc.lineOf;
    return issues.result(validate(doc.value, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e), [PHASE_ACROSS, Infinity]);
    return issues.result<T>(null);
  }
}

function fromData<T>(data: unknown, issues: IssueList, validate: (data: unknown, issues: IssueList) => T | null): Parsed<T> {
  try {
    return issues.result(validate(data, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e), [PHASE_ACROSS, Infinity]);
    return issues.result<T>(null);
  }
}

// ---------------------------------------------------------------------------------------------
// users.json

interface UserDraft {
  record: UserRecord;
  index: number;
  path: string;
  /** Canonical fob codes and where each is written. */
  fobs: { code: string; path: string; rank: number[] }[];
}

function describeUser(d: UserDraft): string {
  const id = d.record.account_id !== '' ? 'account_id ' + quoteValue(d.record.account_id) : 'user ' + d.path;
  return d.record.full_name !== '' ? id + ' (' + d.record.full_name + ')' : id;
}

function stringField(u: Obj, key: string): string {
  return typeof u[key] === 'string' ? (u[key] as string) : '';
}

/** One schema-valid-or-not member: its record (bad fields left empty) and its canonical fobs. */
function readUser(u: Obj, index: number, issues: IssueList): UserDraft {
  const path = '/' + index;
  const fobs: UserDraft['fobs'] = [];
  const codes: string[] = [];
  const seen = new Map<string, string>();
  const list = Array.isArray(u.fob_codes) ? (u.fob_codes as unknown[]) : [];
  for (let j = 0; j < list.length; j++) {
    const raw = list[j];
    if (typeof raw !== 'string') continue; // the schema reports it
    const p = path + '/fob_codes/' + j;
    const rank = [1, index].concat(schemaRank(USER_SCHEMA, ['fob_codes', String(j)], [-1]));
    const c = canonicalFob(raw);
    if (!c.ok) {
      issues.error(p, c.error.message, rank);
      continue;
    }
    const first = seen.get(c.value);
    if (first !== undefined) {
      issues.warn(p, 'fob code ' + quoteValue(c.value) + ' is listed twice for this user (also ' + first + '); kept once', rank);
      continue;
    }
    seen.set(c.value, p);
    codes.push(c.value);
    fobs.push({ code: c.value, path: p, rank });
  }
  const auths = Array.isArray(u.authorizations) ? (u.authorizations as unknown[]) : [];
  // A member with any schema error makes the whole file fail, so fields are taken as they are.
  const record: UserRecord = {
    account_id: stringField(u, 'account_id').trim() === '' ? '' : stringField(u, 'account_id'),
    full_name: stringField(u, 'full_name'),
    first_name: stringField(u, 'first_name'),
    last_name: stringField(u, 'last_name'),
    preferred_name: stringField(u, 'preferred_name'),
    email: stringField(u, 'email'),
    expiration_ymd: stringField(u, 'expiration_ymd'),
    fob_codes: codes,
    authorizations: auths.every((a) => typeof a === 'string') ? (auths as string[]).slice() : [],
    oops_override: u.oops_override === true,
  };
  return { record, index, path, fobs };
}

/** A fob or an account_id held by two members: reported at the later one, naming both. */
function checkUsersAcross(drafts: UserDraft[], issues: IssueList): void {
  const fobOwner = new Map<string, { draft: UserDraft; path: string }>();
  const accountOwner = new Map<string, UserDraft>();
  for (const d of drafts) {
    const id = d.record.account_id;
    if (id !== '') {
      const first = accountOwner.get(id);
      if (first !== undefined) {
        issues.error(
          childPath(d.path, 'account_id'),
          'duplicate account_id ' + quoteValue(id) + ': used by both ' + first.path + ' (' + first.record.full_name + ') and ' + d.path + ' (' + d.record.full_name + ')',
          [PHASE_ACROSS, d.index, 0],
        );
      } else {
        accountOwner.set(id, d);
      }
    }
    for (const f of d.fobs) {
      const first = fobOwner.get(f.code);
      if (first !== undefined) {
        issues.error(
          f.path,
          'duplicate fob code ' + quoteValue(f.code) + ': held by both ' + describeUser(first.draft) + ' at ' + first.path + ' and ' + describeUser(d),
          [PHASE_ACROSS, d.index, 1].concat(f.rank),
        );
      } else {
        fobOwner.set(f.code, { draft: d, path: f.path });
      }
    }
  }
}

function validateUsers(data: unknown, issues: IssueList): UserRecord[] | null {
  if (!Array.isArray(data)) {
    issues.error('', 'must be a JSON array of users, got ' + typeName(data), [PHASE_JSON]);
    return null;
  }
  const validate = validators().user;
  const list: unknown[] = data;
  const drafts: UserDraft[] = [];
  for (let i = 0; i < list.length; i++) {
    const u = list[i];
    if (!validate(u)) addSchemaErrors(issues, validate.errors, USER_SCHEMA, '/' + i, [i], keyOrderIn(u));
    if (isPlainObject(u)) drafts.push(readUser(u, i, issues));
  }
  checkUsersAcross(drafts, issues);
  return drafts.map((d) => d.record);
}

/** Validate already-parsed users.json data. */
export function parseUsers(data: unknown, file?: string): Parsed<UserRecord[]> {
  return fromData(data, new IssueList(fileName(file, 'users.json')), validateUsers);
}

/** Parse and validate the text of users.json. */
export function parseUsersJson(text: string, file?: string): Parsed<UserRecord[]> {
  return fromText(text, new IssueList(fileName(file, 'users.json')), validateUsers);
}

// ---------------------------------------------------------------------------------------------
// machines.json

/** A display label taking part in the uniqueness check. */
interface Label {
  text: string;
  kind: string;
  path: string;
  /** Which relay it names ("lathe" or "lathe/second_relay"): a relay may repeat its own label. */
  owner: string;
}

function relayOf(r: Obj, fallbackName: string): RelayConfig {
  const auths = Array.isArray(r.authorizations_or) && r.authorizations_or.every((a) => typeof a === 'string') ? (r.authorizations_or as string[]).slice() : [];
  const alias = typeof r.alias === 'string' && r.alias.trim() !== '' ? r.alias : null;
  return {
    authorizations_or: auths,
    unauthorized_warn_only: r.unauthorized_warn_only === true,
    always_enabled: r.always_enabled === true,
    alias,
    display_name: alias !== null ? alias : fallbackName,
  };
}

function readMachine(name: string, m: Obj, index: number, issues: IssueList): MachineConfig {
  const main = relayOf(m, name);
  const auths = m.authorizations_or;
  if (Array.isArray(auths) && auths.length === 0 && m.unauthorized_warn_only !== true && m.always_enabled !== true) {
    issues.warn(
      childPath(childPath('', name), 'authorizations_or'),
      'is empty and the machine is neither unauthorized_warn_only nor always_enabled: nobody is authorized to use it',
      [1, index, 0],
    );
  }
  const second = isPlainObject(m.second_relay) ? relayOf(m.second_relay, main.display_name + ' second relay') : null;
  const grace = m.offline_grace_hours;
  const expiry = m.expiry_grace_days;
  return {
    name,
    authorizations_or: main.authorizations_or,
    unauthorized_warn_only: main.unauthorized_warn_only,
    always_enabled: main.always_enabled,
    alias: main.alias,
    display_name: main.display_name,
    second_relay: second,
    offline_grace_hours: typeof grace === 'number' && isFinite(grace) && grace > 0 ? grace : DEFAULT_OFFLINE_GRACE_HOURS,
    expiry_grace_days: typeof expiry === 'number' && isFinite(expiry) && expiry >= 0 && expiry % 1 === 0 ? expiry : null,
    legacy_updates: m.legacy_updates !== false,
  };
}

function checkUniqueLabels(labels: Label[], issues: IssueList): void {
  const seen: { [slot: string]: Label } = {};
  labels.forEach((l, i) => {
    const slot = '$' + l.text.toLowerCase();
    if (!hasOwn(seen, slot)) {
      seen[slot] = l;
      return;
    }
    const first = seen[slot];
    if (first.owner === l.owner) return;
    issues.error(
      l.path,
      l.kind + ' ' + quoteValue(l.text) + ' collides with ' + first.kind + ' ' + quoteValue(first.text) + ' at ' + first.path +
        ' (machine names and aliases must be unique, ignoring case)',
      [PHASE_ACROSS, i],
    );
  });
}

function validateMachines(data: unknown, issues: IssueList): MachinesConfig | null {
  if (!isPlainObject(data)) {
    issues.error('', 'must be a JSON object keyed by machine name, got ' + typeName(data), [PHASE_JSON]);
    return null;
  }
  const validate = validators().machine;
  const names: string[] = [];
  const byName: { [name: string]: MachineConfig } = {};
  const labels: Label[] = [];
  const keys = Object.keys(data);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    const path = childPath('', name);
    if (!MACHINE_NAME_PATTERN.test(name)) {
      issues.error(path, 'machine name ' + quoteValue(name) + ' must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")', [1, i, -4]);
      continue;
    }
    if (RESERVED_NAMES.indexOf(name) >= 0) {
      issues.error(path, 'machine name ' + quoteValue(name) + ' is reserved', [1, i, -4]);
      continue;
    }
    const m = data[name];
    if (!validate(m)) addSchemaErrors(issues, validate.errors, MACHINE_SCHEMA, path, [i], keyOrderIn(m));
    if (!isPlainObject(m)) continue;
    const machine = readMachine(name, m, i, issues);
    labels.push({ text: name, kind: 'machine name', path, owner: name });
    if (machine.alias !== null) labels.push({ text: machine.alias, kind: 'alias', path: childPath(path, 'alias'), owner: name });
    if (machine.second_relay !== null && machine.second_relay.alias !== null) {
      labels.push({ text: machine.second_relay.alias, kind: 'second relay alias', path: childPath(childPath(path, 'second_relay'), 'alias'), owner: name + '/second_relay' });
    }
    names.push(name);
    byName[name] = machine;
  }
  checkUniqueLabels(labels, issues);
  return { names, byName };
}

/** Validate already-parsed machines.json data. */
export function parseMachines(data: unknown, file?: string): Parsed<MachinesConfig> {
  return fromData(data, new IssueList(fileName(file, 'machines.json')), validateMachines);
}

/** Parse and validate the text of machines.json. */
export function parseMachinesJson(text: string, file?: string): Parsed<MachinesConfig> {
  return fromText(text, new IssueList(fileName(file, 'machines.json')), validateMachines);
}

/** The machine of that exact name, or null (safe for any string, e.g. "constructor" from a URL). */
export function machineByName(machines: MachinesConfig, name: string): MachineConfig | null {
  if (!machines || !machines.byName || typeof name !== 'string') return null;
  return hasOwn(machines.byName, name) ? machines.byName[name] : null;
}

// ---------------------------------------------------------------------------------------------
// Across the two files

/**
 * Warnings for users' authorizations that no machine's main or second relay lists (usually a
 * typo): `users.json: /3/authorizations/1: authorization "lather" is not used by any machine`.
 */
export function unusedAuthorizationWarnings(users: UserRecord[], machines: MachinesConfig, file?: string): ConfigIssue[] {
  const f = fileName(file, 'users.json');
  const out: ConfigIssue[] = [];
  if (!Array.isArray(users) || !machines || !Array.isArray(machines.names)) return out;
  const used: { [slot: string]: boolean } = {};
  for (const name of machines.names) {
    const m = machineByName(machines, name);
    if (m === null) continue;
    const lists: string[][] = [m.authorizations_or];
    if (m.second_relay) lists.push(m.second_relay.authorizations_or);
    for (const list of lists) if (Array.isArray(list)) for (const a of list) used['$' + a] = true;
  }
  users.forEach((u, i) => {
    if (!u || !Array.isArray(u.authorizations)) return;
    u.authorizations.forEach((a, j) => {
      if (!hasOwn(used, '$' + a)) {
        out.push({ file: f, path: '/' + i + '/authorizations/' + j, message: 'authorization ' + quoteValue(String(a)) + ' is not used by any machine' });
      }
    });
  });
  return out;
}
