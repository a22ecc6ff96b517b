// Parsing and validation of dm_mac's users.json and machines.json (plus fobgate's optional
// additive machine keys). Every problem is collected (not just the first) as a ConfigIssue naming
// the file, the JSON pointer and what is wrong; nothing here throws, whatever the input.
import { canonicalFob } from './fob.js';
import type { ConfigIssue, MachineConfig, MachinesConfig, Parsed, RelayConfig, UserRecord } from './config-types.js';

/** At most this many errors (and as many warnings) are listed; the rest are counted. */
export const MAX_CONFIG_ISSUES = 1000;
export const DEFAULT_OFFLINE_GRACE_HOURS = 72;
export const MACHINE_NAME_PATTERN = /^[a-z0-9_-]+$/;

const USER_STRING_KEYS = ['account_id', 'full_name', 'first_name', 'last_name', 'preferred_name', 'email', 'expiration_ymd'];
const USER_KEYS = USER_STRING_KEYS.concat(['fob_codes', 'authorizations', 'oops_override']);
const RELAY_KEYS = ['authorizations_or', 'unauthorized_warn_only', 'always_enabled', 'alias'];
const MACHINE_KEYS = RELAY_KEYS.concat(['second_relay', 'offline_grace_hours', 'expiry_grace_days', 'legacy_updates']);
/** Names that match the pattern but would misbehave as keys of a plain object. */
const RESERVED_NAMES = ['__proto__', 'constructor'];

// ---------------------------------------------------------------------------------------------
// Small helpers

function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function isPlainObject(v: unknown): v is { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a JSON value is, for "must be X, got Y" messages. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

/** A value from the file, shown in a message (long strings are cut). */
function quote(s: string): string {
  const cut = s.length > 60 ? s.slice(0, 60) + '...' : s;
  return JSON.stringify(cut);
}

/** One JSON pointer segment (RFC 6901: "~" -> "~0", "/" -> "~1"), cut if absurdly long. */
function segment(key: string): string {
  const k = key.length > 80 ? key.slice(0, 80) + '...' : key;
  return k.replace(/~/g, '~0').replace(/\//g, '~1');
}

function child(path: string, key: string | number): string {
  return path + '/' + (typeof key === 'number' ? String(key) : segment(key));
}

function contains(list: string[], s: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === s) return true;
  return false;
}

/** True for a real calendar date written YYYY-MM-DD. */
export function isValidYmd(s: string): boolean {
  if (typeof s !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s)) return false;
  const y = parseInt(s.slice(0, 4), 10);
  const m = parseInt(s.slice(5, 7), 10);
  const d = parseInt(s.slice(8, 10), 10);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** Collects issues for one file, capped at MAX_CONFIG_ISSUES each. */
class IssueList {
  file: string;
  errors: ConfigIssue[] = [];
  warnings: ConfigIssue[] = [];
  droppedErrors = 0;
  droppedWarnings = 0;

  constructor(file: string) {
    this.file = file;
  }

  error(path: string, message: string, line?: number): void {
    if (this.errors.length >= MAX_CONFIG_ISSUES) {
      this.droppedErrors++;
      return;
    }
    this.errors.push(makeIssue(this.file, path, message, line));
  }

  warn(path: string, message: string): void {
    if (this.warnings.length >= MAX_CONFIG_ISSUES) {
      this.droppedWarnings++;
      return;
    }
    this.warnings.push(makeIssue(this.file, path, message, undefined));
  }

  result<T>(value: T | null): Parsed<T> {
    if (this.droppedErrors > 0) this.errors.push(makeIssue(this.file, '', this.droppedErrors + ' more errors not listed', undefined));
    if (this.droppedWarnings > 0) this.warnings.push(makeIssue(this.file, '', this.droppedWarnings + ' more warnings not listed', undefined));
    if (this.errors.length > 0 || value === null) return { ok: false, errors: this.errors, warnings: this.warnings };
    return { ok: true, value: value, warnings: this.warnings };
  }
}

function makeIssue(file: string, path: string, message: string, line: number | undefined): ConfigIssue {
  const issue: ConfigIssue = { file: file, path: path, message: message };
  if (typeof line === 'number') issue.line = line;
  return issue;
}

function fileName(file: unknown, fallback: string): string {
  return typeof file === 'string' && file.length > 0 ? file : fallback;
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}

// ---------------------------------------------------------------------------------------------
// Issue formatting

/**
 * `machines.json: /lathe/second_relay/authorizations_or: must not be empty`;
 * with a line: `users.json: line 3: invalid JSON: ...`; whole document: `users.json: must be ...`.
 */
export function formatIssue(issue: ConfigIssue): string {
  if (!issue || typeof issue !== 'object') return String(issue);
  let s = typeof issue.file === 'string' ? issue.file : 'config';
  if (typeof issue.line === 'number') s += ': line ' + issue.line;
  if (typeof issue.path === 'string' && issue.path.length > 0) s += ': ' + issue.path;
  return s + ': ' + String(issue.message);
}

/** One formatted issue per line. */
export function formatIssues(list: ConfigIssue[]): string {
  if (!Array.isArray(list)) return '';
  const lines: string[] = [];
  for (let i = 0; i < list.length; i++) lines.push(formatIssue(list[i]));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// JSON text: a strict syntax check that reports the line (JSON.parse messages differ between
// engines and carry no line on some), and duplicate keys (JSON.parse silently keeps the last).

interface JsonFrame {
  array: boolean;
  path: string;
  index: number;
  key: string;
  /** "$" + key -> line of its first occurrence. */
  keys: { [slot: string]: number };
}

const M_VALUE = 0;
const M_FIRST_IN_ARRAY = 1;
const M_VALUE_AFTER_COMMA = 2;
const M_FIRST_IN_OBJECT = 3;
const M_KEY = 4;
const M_AFTER_VALUE = 5;
const M_END = 6;

/** Returns true when the text is one valid JSON value; reports syntax errors and duplicate keys. */
function checkJsonText(text: string, issues: IssueList): boolean {
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const stack: JsonFrame[] = [];
  let mode = M_VALUE;

  function describeAt(pos: number): string {
    if (pos >= n) return 'the end of the file';
    const c = text.charCodeAt(pos);
    if (c > 32 && c < 127) return "'" + text.charAt(pos) + "'";
    let hex = c.toString(16);
    while (hex.length < 4) hex = '0' + hex;
    return 'character U+' + hex.toUpperCase();
  }

  function syntax(pos: number, message: string): boolean {
    issues.error('', 'invalid JSON: ' + message + ' (column ' + (pos - lineStart + 1) + ')', line);
    return false;
  }

  function skipSpace(): void {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        line++;
        lineStart = i + 1;
      } else if (c !== 32 && c !== 9 && c !== 13) {
        return;
      }
      i++;
    }
  }

  function isDigit(pos: number): boolean {
    const c = text.charCodeAt(pos);
    return c >= 48 && c <= 57;
  }

  /** Index just past the string starting at `start` (a '"'), or -1 after reporting. */
  function scanString(start: number): number {
    let p = start + 1;
    while (p < n) {
      const c = text.charCodeAt(p);
      if (c === 34) return p + 1;
      if (c < 32) {
        syntax(p, 'unescaped ' + describeAt(p) + ' inside a string (write a line break as \\n)');
        return -1;
      }
      if (c === 92) {
        const e = text.charAt(p + 1);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) {
            syntax(p, 'invalid \\u escape inside a string (needs 4 hex digits)');
            return -1;
          }
          p += 6;
          continue;
        }
        if (e.length === 0 || '"\\/bfnrt'.indexOf(e) < 0) {
          syntax(p, 'invalid escape \\' + e + ' inside a string');
          return -1;
        }
        p += 2;
        continue;
      }
      p++;
    }
    syntax(start, 'unterminated string (missing closing ")');
    return -1;
  }

  /** Index just past the number starting at `start`, or -1 after reporting. */
  function scanNumber(start: number): number {
    let p = start;
    if (text.charAt(p) === '-') p++;
    if (text.charAt(p) === '0') {
      p++;
      if (isDigit(p)) {
        syntax(start, 'numbers must not have leading zeros');
        return -1;
      }
    } else if (isDigit(p)) {
      while (isDigit(p)) p++;
    } else {
      syntax(start, 'invalid number');
      return -1;
    }
    if (text.charAt(p) === '.') {
      p++;
      if (!isDigit(p)) {
        syntax(start, 'invalid number (digits must follow the decimal point)');
        return -1;
      }
      while (isDigit(p)) p++;
    }
    const e = text.charAt(p);
    if (e === 'e' || e === 'E') {
      p++;
      const sign = text.charAt(p);
      if (sign === '+' || sign === '-') p++;
      if (!isDigit(p)) {
        syntax(start, 'invalid number (digits must follow the exponent)');
        return -1;
      }
      while (isDigit(p)) p++;
    }
    return p;
  }

  function childPathOfTop(): string {
    if (stack.length === 0) return '';
    const top = stack[stack.length - 1];
    return top.array ? child(top.path, top.index) : child(top.path, top.key);
  }

  for (;;) {
    skipSpace();
    if (mode === M_END) {
      if (i < n) return syntax(i, 'unexpected ' + describeAt(i) + ' after the end of the JSON document');
      return true;
    }
    if (i >= n) {
      if (stack.length === 0 && mode === M_VALUE) return syntax(i, 'the file is empty');
      const top = stack.length > 0 ? stack[stack.length - 1] : null;
      return syntax(i, 'unexpected end of the file' + (top ? (top.array ? " (missing ']')" : " (missing '}')") : ''));
    }
    const c = text.charAt(i);

    if (mode === M_FIRST_IN_OBJECT || mode === M_KEY) {
      if (c !== '"') {
        if (c === '}' && mode === M_FIRST_IN_OBJECT) {
          i++;
          stack.pop();
          mode = stack.length > 0 ? M_AFTER_VALUE : M_END;
          continue;
        }
        if (c === '}') return syntax(i, "trailing comma before '}'");
        return syntax(i, 'expected a property name in double quotes, found ' + describeAt(i));
      }
      const end = scanString(i);
      if (end < 0) return false;
      const key = JSON.parse(text.slice(i, end)) as string;
      const frame = stack[stack.length - 1];
      const slot = '$' + key;
      if (hasOwn(frame.keys, slot)) {
        issues.error(child(frame.path, key), 'duplicate key ' + quote(key) + ' (first on line ' + frame.keys[slot] + '; JSON would keep only the last)', line);
      } else {
        frame.keys[slot] = line;
      }
      frame.key = key;
      i = end;
      skipSpace();
      if (text.charAt(i) !== ':') return syntax(i, "expected ':' after the property name " + quote(key) + ', found ' + describeAt(i));
      i++;
      mode = M_VALUE;
      continue;
    }

    if (mode === M_AFTER_VALUE) {
      const top = stack[stack.length - 1];
      if (c === ',') {
        i++;
        if (top.array) {
          top.index++;
          mode = M_VALUE_AFTER_COMMA;
        } else {
          mode = M_KEY;
        }
        continue;
      }
      if ((top.array && c === ']') || (!top.array && c === '}')) {
        i++;
        stack.pop();
        mode = stack.length > 0 ? M_AFTER_VALUE : M_END;
        continue;
      }
      if (top.array) return syntax(i, "expected ',' or ']' after an array element, found " + describeAt(i));
      return syntax(i, "expected ',' or '}' after the value of " + quote(top.key) + ', found ' + describeAt(i));
    }

    // A value is expected (top level, after ':', or inside an array).
    if (c === ']' && mode === M_FIRST_IN_ARRAY) {
      i++;
      stack.pop();
      mode = stack.length > 0 ? M_AFTER_VALUE : M_END;
      continue;
    }
    if (c === ']' && mode === M_VALUE_AFTER_COMMA) return syntax(i, "trailing comma before ']'");
    if (c === '{' || c === '[') {
      stack.push({ array: c === '[', path: childPathOfTop(), index: 0, key: '', keys: {} });
      i++;
      mode = c === '[' ? M_FIRST_IN_ARRAY : M_FIRST_IN_OBJECT;
      continue;
    }
    let end = -1;
    if (c === '"') {
      end = scanString(i);
      if (end < 0) return false;
    } else if (c === '-' || isDigit(i)) {
      end = scanNumber(i);
      if (end < 0) return false;
    } else if (text.slice(i, i + 4) === 'true' || text.slice(i, i + 4) === 'null') {
      end = i + 4;
    } else if (text.slice(i, i + 5) === 'false') {
      end = i + 5;
    } else {
      return syntax(i, 'expected a value, found ' + describeAt(i));
    }
    i = end;
    mode = stack.length > 0 ? M_AFTER_VALUE : M_END;
  }
}

/** JSON text -> value, or undefined after reporting (with the line) why it is not valid JSON. */
function parseJsonText(text: unknown, issues: IssueList): { value: unknown } | null {
  if (typeof text !== 'string') {
    issues.error('', 'must be JSON text, got ' + typeName(text));
    return null;
  }
  let t = text;
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  else if (t.slice(0, 3) === '\u00ef\u00bb\u00bf') t = t.slice(3); // UTF-8 BOM read as 8-bit
  if (!checkJsonText(t, issues)) return null;
  try {
    return { value: JSON.parse(t) };
  } catch (e) {
    issues.error('', 'invalid JSON: ' + errorText(e));
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Shared field checks

function checkUnknownKeys(obj: { [k: string]: unknown }, allowed: string[], path: string, issues: IssueList): void {
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    if (!contains(allowed, keys[i])) issues.error(path, 'unknown key ' + quote(keys[i]));
  }
}

/** Optional boolean: the default when absent; reports any other type. */
function optionalBoolean(obj: { [k: string]: unknown }, key: string, fallback: boolean, path: string, issues: IssueList): boolean {
  if (!hasOwn(obj, key)) return fallback;
  const v = obj[key];
  if (typeof v === 'boolean') return v;
  issues.error(child(path, key), 'must be a boolean, got ' + typeName(v));
  return fallback;
}

/** Required array of strings; null after reporting. */
function stringArray(obj: { [k: string]: unknown }, key: string, path: string, what: string, issues: IssueList): string[] | null {
  const p = child(path, key);
  if (!hasOwn(obj, key)) {
    issues.error(p, 'is required (an array of ' + what + ')');
    return null;
  }
  const v = obj[key];
  if (!Array.isArray(v)) {
    issues.error(p, 'must be an array of strings, got ' + typeName(v));
    return null;
  }
  const out: string[] = [];
  let good = true;
  for (let j = 0; j < v.length; j++) {
    const item: unknown = v[j];
    if (typeof item === 'string') {
      out.push(item);
    } else {
      issues.error(child(p, j), 'must be a string, got ' + typeName(item));
      good = false;
    }
  }
  return good ? out : null;
}

// ---------------------------------------------------------------------------------------------
// users.json

interface UserDraft {
  record: UserRecord;
  path: string;
  /** Canonical fob code -> path of the entry, in order. */
  fobs: { code: string; path: string }[];
}

function describeUser(d: UserDraft): string {
  const id = d.record.account_id !== '' ? 'account_id ' + quote(d.record.account_id) : 'user ' + d.path;
  return d.record.full_name !== '' ? id + ' (' + d.record.full_name + ')' : id;
}

function validateUser(u: unknown, path: string, issues: IssueList): UserDraft | null {
  if (!isPlainObject(u)) {
    issues.error(path, 'must be an object (one user), got ' + typeName(u));
    return null;
  }
  checkUnknownKeys(u, USER_KEYS, path, issues);
  const strings: { [k: string]: string } = {};
  for (let k = 0; k < USER_STRING_KEYS.length; k++) {
    const key = USER_STRING_KEYS[k];
    strings[key] = '';
    if (!hasOwn(u, key)) {
      issues.error(child(path, key), 'is required (a string)');
      continue;
    }
    const v = u[key];
    if (typeof v !== 'string') {
      issues.error(child(path, key), 'must be a string, got ' + typeName(v));
      continue;
    }
    if (key === 'account_id' && v.trim().length === 0) {
      issues.error(child(path, key), 'must not be empty');
      continue;
    }
    if (key === 'expiration_ymd' && !isValidYmd(v)) {
      issues.error(child(path, key), 'must be a calendar date written YYYY-MM-DD, got ' + quote(v));
      continue;
    }
    strings[key] = v;
  }

  const fobs: { code: string; path: string }[] = [];
  const codes: string[] = [];
  const fobPath = child(path, 'fob_codes');
  if (!hasOwn(u, 'fob_codes')) {
    issues.error(fobPath, 'is required (an array of fob code strings)');
  } else if (!Array.isArray(u.fob_codes)) {
    issues.error(fobPath, 'must be an array of strings, got ' + typeName(u.fob_codes));
  } else {
    const list: unknown[] = u.fob_codes;
    const seen: { [slot: string]: string } = {};
    for (let j = 0; j < list.length; j++) {
      const p = child(fobPath, j);
      const raw = list[j];
      if (typeof raw !== 'string') {
        issues.error(p, 'must be a string, got ' + typeName(raw));
        continue;
      }
      const c = canonicalFob(raw);
      if (!c.ok) {
        issues.error(p, c.error.message);
        continue;
      }
      const slot = '$' + c.value;
      if (hasOwn(seen, slot)) {
        issues.warn(p, 'fob code ' + quote(c.value) + ' is listed twice for this user (also ' + seen[slot] + '); kept once');
        continue;
      }
      seen[slot] = p;
      codes.push(c.value);
      fobs.push({ code: c.value, path: p });
    }
  }

  const auths = stringArray(u, 'authorizations', path, 'authorization names', issues);
  const override = optionalBoolean(u, 'oops_override', false, path, issues);

  const record: UserRecord = {
    account_id: strings.account_id,
    full_name: strings.full_name,
    first_name: strings.first_name,
    last_name: strings.last_name,
    preferred_name: strings.preferred_name,
    email: strings.email,
    expiration_ymd: strings.expiration_ymd,
    fob_codes: codes,
    authorizations: auths === null ? [] : auths,
    oops_override: override,
  };
  return { record: record, path: path, fobs: fobs };
}

function validateUsers(data: unknown, issues: IssueList): UserRecord[] | null {
  if (!Array.isArray(data)) {
    issues.error('', 'must be a JSON array of users, got ' + typeName(data));
    return null;
  }
  const list: unknown[] = data;
  const out: UserRecord[] = [];
  const fobOwner: { [slot: string]: { draft: UserDraft; path: string } } = {};
  const accountOwner: { [slot: string]: UserDraft } = {};
  for (let i = 0; i < list.length; i++) {
    const d = validateUser(list[i], '/' + i, issues);
    if (d === null) continue;
    const id = d.record.account_id;
    if (id !== '') {
      const slot = '$' + id;
      if (hasOwn(accountOwner, slot)) {
        const first = accountOwner[slot];
        issues.error(
          child(d.path, 'account_id'),
          'duplicate account_id ' + quote(id) + ': used by both ' + first.path + ' (' + first.record.full_name + ') and ' + d.path + ' (' + d.record.full_name + ')',
        );
      } else {
        accountOwner[slot] = d;
      }
    }
    for (let j = 0; j < d.fobs.length; j++) {
      const f = d.fobs[j];
      const slot = '$' + f.code;
      if (hasOwn(fobOwner, slot)) {
        const first = fobOwner[slot];
        issues.error(
          f.path,
          'duplicate fob code ' + quote(f.code) + ': held by both ' + describeUser(first.draft) + ' at ' + first.path + ' and ' + describeUser(d),
        );
      } else {
        fobOwner[slot] = { draft: d, path: f.path };
      }
    }
    out.push(d.record);
  }
  return out;
}

/** Validate already-parsed users.json data. */
export function parseUsers(data: unknown, file?: string): Parsed<UserRecord[]> {
  const issues = new IssueList(fileName(file, 'users.json'));
  try {
    return issues.result(validateUsers(data, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e));
    return issues.result<UserRecord[]>(null);
  }
}

/** Parse and validate the text of users.json. */
export function parseUsersJson(text: string, file?: string): Parsed<UserRecord[]> {
  const issues = new IssueList(fileName(file, 'users.json'));
  try {
    const parsed = parseJsonText(text, issues);
    if (parsed === null) return issues.result<UserRecord[]>(null);
    return issues.result(validateUsers(parsed.value, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e));
    return issues.result<UserRecord[]>(null);
  }
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

function validateAlias(obj: { [k: string]: unknown }, path: string, issues: IssueList): string | null {
  if (!hasOwn(obj, 'alias') || obj.alias === null) return null;
  const v = obj.alias;
  const p = child(path, 'alias');
  if (typeof v !== 'string') {
    issues.error(p, 'must be a string, got ' + typeName(v));
    return null;
  }
  if (v.trim().length === 0) {
    issues.error(p, 'must not be empty (leave it out to use the machine name)');
    return null;
  }
  return v;
}

function validateRelay(obj: { [k: string]: unknown }, path: string, second: boolean, issues: IssueList): RelayConfig {
  const auths = stringArray(obj, 'authorizations_or', path, 'authorization names', issues);
  const warnOnly = optionalBoolean(obj, 'unauthorized_warn_only', false, path, issues);
  const always = optionalBoolean(obj, 'always_enabled', false, path, issues);
  const alias = validateAlias(obj, path, issues);
  if (auths !== null && auths.length === 0) {
    if (second) {
      issues.error(child(path, 'authorizations_or'), 'must not be empty');
    } else if (!warnOnly && !always) {
      issues.warn(child(path, 'authorizations_or'), 'is empty and the machine is neither unauthorized_warn_only nor always_enabled: nobody is authorized to use it');
    }
  }
  return {
    authorizations_or: auths === null ? [] : auths,
    unauthorized_warn_only: warnOnly,
    always_enabled: always,
    alias: alias,
    display_name: '',
  };
}

function validateMachine(name: string, m: unknown, issues: IssueList): MachineConfig | null {
  const path = child('', name);
  if (!isPlainObject(m)) {
    issues.error(path, 'must be an object (one machine), got ' + typeName(m));
    return null;
  }
  checkUnknownKeys(m, MACHINE_KEYS, path, issues);
  const main = validateRelay(m, path, false, issues);

  let secondRelay: RelayConfig | null = null;
  if (hasOwn(m, 'second_relay') && m.second_relay !== null) {
    const s = m.second_relay;
    const sp = child(path, 'second_relay');
    if (!isPlainObject(s)) {
      issues.error(sp, 'must be an object, got ' + typeName(s));
    } else {
      checkUnknownKeys(s, RELAY_KEYS, sp, issues);
      secondRelay = validateRelay(s, sp, true, issues);
    }
  }

  let graceHours = DEFAULT_OFFLINE_GRACE_HOURS;
  if (hasOwn(m, 'offline_grace_hours')) {
    const v = m.offline_grace_hours;
    const p = child(path, 'offline_grace_hours');
    if (typeof v !== 'number') issues.error(p, 'must be a number of hours, got ' + typeName(v));
    else if (!isFinite(v) || v <= 0) issues.error(p, 'must be a positive number of hours, got ' + String(v));
    else graceHours = v;
  }

  let expiryDays: number | null = null;
  if (hasOwn(m, 'expiry_grace_days') && m.expiry_grace_days !== null) {
    const v = m.expiry_grace_days;
    const p = child(path, 'expiry_grace_days');
    if (typeof v !== 'number') issues.error(p, 'must be a whole number of days or null, got ' + typeName(v));
    else if (!isFinite(v) || v < 0 || v % 1 !== 0) issues.error(p, 'must be a whole number of days (0 or more) or null, got ' + String(v));
    else expiryDays = v;
  }

  const legacy = optionalBoolean(m, 'legacy_updates', true, path, issues);

  const displayName = main.alias !== null ? main.alias : name;
  if (secondRelay !== null) {
    secondRelay.display_name = secondRelay.alias !== null ? secondRelay.alias : displayName + ' second relay';
  }
  return {
    name: name,
    authorizations_or: main.authorizations_or,
    unauthorized_warn_only: main.unauthorized_warn_only,
    always_enabled: main.always_enabled,
    alias: main.alias,
    display_name: displayName,
    second_relay: secondRelay,
    offline_grace_hours: graceHours,
    expiry_grace_days: expiryDays,
    legacy_updates: legacy,
  };
}

function checkUniqueLabels(labels: Label[], issues: IssueList): void {
  const seen: { [slot: string]: Label } = {};
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    const slot = '$' + l.text.toLowerCase();
    if (!hasOwn(seen, slot)) {
      seen[slot] = l;
      continue;
    }
    const first = seen[slot];
    if (first.owner === l.owner) continue;
    issues.error(
      l.path,
      l.kind + ' ' + quote(l.text) + ' collides with ' + first.kind + ' ' + quote(first.text) + ' at ' + first.path +
        ' (machine names and aliases must be unique, ignoring case)',
    );
  }
}

function validateMachines(data: unknown, issues: IssueList): MachinesConfig | null {
  if (!isPlainObject(data)) {
    issues.error('', 'must be a JSON object keyed by machine name, got ' + typeName(data));
    return null;
  }
  const names: string[] = [];
  const byName: { [name: string]: MachineConfig } = {};
  const labels: Label[] = [];
  const keys = Object.keys(data);
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    const path = child('', name);
    if (!MACHINE_NAME_PATTERN.test(name)) {
      issues.error(path, 'machine name ' + quote(name) + ' must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")');
      continue;
    }
    if (contains(RESERVED_NAMES, name)) {
      issues.error(path, 'machine name ' + quote(name) + ' is reserved');
      continue;
    }
    const m = validateMachine(name, data[name], issues);
    if (m === null) continue;
    labels.push({ text: name, kind: 'machine name', path: path, owner: name });
    if (m.alias !== null) labels.push({ text: m.alias, kind: 'alias', path: child(path, 'alias'), owner: name });
    if (m.second_relay !== null && m.second_relay.alias !== null) {
      labels.push({ text: m.second_relay.alias, kind: 'second relay alias', path: child(child(path, 'second_relay'), 'alias'), owner: name + '/second_relay' });
    }
    names.push(name);
    byName[name] = m;
  }
  checkUniqueLabels(labels, issues);
  return { names: names, byName: byName };
}

/** Validate already-parsed machines.json data. */
export function parseMachines(data: unknown, file?: string): Parsed<MachinesConfig> {
  const issues = new IssueList(fileName(file, 'machines.json'));
  try {
    return issues.result(validateMachines(data, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e));
    return issues.result<MachinesConfig>(null);
  }
}

/** Parse and validate the text of machines.json. */
export function parseMachinesJson(text: string, file?: string): Parsed<MachinesConfig> {
  const issues = new IssueList(fileName(file, 'machines.json'));
  try {
    const parsed = parseJsonText(text, issues);
    if (parsed === null) return issues.result<MachinesConfig>(null);
    return issues.result(validateMachines(parsed.value, issues));
  } catch (e) {
    issues.error('', 'could not be read: ' + errorText(e));
    return issues.result<MachinesConfig>(null);
  }
}

/** The machine of that exact name, or null (safe for any string, e.g. "constructor" from a URL). */
export function machineByName(machines: MachinesConfig, name: string): MachineConfig | null {
  if (!machines || !machines.byName || typeof name !== 'string') return null;
  return hasOwn(machines.byName, name) ? machines.byName[name] : null;
}

// ---------------------------------------------------------------------------------------------
// Cross-file checks

/**
 * Warnings for users' authorizations that no machine's main or second relay lists (usually a
 * typo): `users.json: /3/authorizations/1: authorization "lather" is not used by any machine`.
 */
export function unusedAuthorizationWarnings(users: UserRecord[], machines: MachinesConfig, file?: string): ConfigIssue[] {
  const f = fileName(file, 'users.json');
  const out: ConfigIssue[] = [];
  if (!Array.isArray(users) || !machines || !Array.isArray(machines.names)) return out;
  const used: { [slot: string]: boolean } = {};
  for (let i = 0; i < machines.names.length; i++) {
    const m = machineByName(machines, machines.names[i]);
    if (m === null) continue;
    const lists: string[][] = [m.authorizations_or];
    if (m.second_relay) lists.push(m.second_relay.authorizations_or);
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l];
      if (!Array.isArray(list)) continue;
      for (let j = 0; j < list.length; j++) used['$' + list[j]] = true;
    }
  }
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    if (!u || !Array.isArray(u.authorizations)) continue;
    for (let j = 0; j < u.authorizations.length; j++) {
      const a = u.authorizations[j];
      if (!hasOwn(used, '$' + a)) {
        out.push(makeIssue(f, '/' + i + '/authorizations/' + j, 'authorization ' + quote(String(a)) + ' is not used by any machine', undefined));
      }
    }
  }
  return out;
}
