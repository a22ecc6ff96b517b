// Config problems as ConfigIssues: collected from ajv's errors and from config.ts's own checks,
// listed in a stable order (entry by entry, each entry's unknown keys first and then its fields
// in schema order, cross-entry findings last), capped, and formatted one per line as
// `users.json: /3/fob_codes/0 (line 12): fob code "12ab" must contain only digits 0-9`.
import type { ErrorObject } from 'ajv';
import type { ConfigIssue, Parsed } from './config-types.js';
import { pointerSegment, quoteValue } from './config-json.js';
import type { Messages } from './config-schemas.js';

/** At most this many errors (and as many warnings) are listed; the rest are counted. */
export const MAX_CONFIG_ISSUES = 1000;

/** Listing order: JSON-level findings, then each entry's own, then findings across entries. */
export const PHASE_JSON = 0;
export const PHASE_ENTRY = 1;
export const PHASE_ACROSS = 2;

/**
 * `machines.json: /lathe/second_relay/authorizations_or: must not be empty`; with a place in the
 * text `users.json: /0/email (line 3): must be a string, got number`; a syntax error
 * `users.json (line 1, column 2): invalid JSON: ...`; the whole document `users.json: must be ...`.
 */
export function formatIssue(issue: ConfigIssue): string {
  if (!issue || typeof issue !== 'object') return String(issue);
  let s = typeof issue.file === 'string' ? issue.file : 'config';
  if (typeof issue.path === 'string' && issue.path.length > 0) s += ': ' + issue.path;
  if (typeof issue.line === 'number') {
    s += ' (line ' + issue.line + (typeof issue.column === 'number' ? ', column ' + issue.column : '') + ')';
  }
  return s + ': ' + String(issue.message);
}

/** One formatted issue per line. */
export function formatIssues(list: ConfigIssue[]): string {
  if (!Array.isArray(list)) return '';
  return list.map(formatIssue).join('\n');
}

/** What a JSON value is, for "must be X, got Y" messages. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function childPath(path: string, key: string | number): string {
  return path + '/' + (typeof key === 'number' ? String(key) : pointerSegment(key));
}

interface Ranked {
  issue: ConfigIssue;
  rank: number[];
  seq: number;
}

function compareRanks(a: Ranked, b: Ranked): number {
  const n = Math.min(a.rank.length, b.rank.length);
  for (let i = 0; i < n; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i];
  if (a.rank.length !== b.rank.length) return a.rank.length - b.rank.length;
  return a.seq - b.seq;
}

/** Collects the issues of one file; `result` sorts, caps and packs them. */
export class IssueList {
  readonly file: string;
  private errors: Ranked[] = [];
  private warnings: Ranked[] = [];
  private seq = 0;
  /** Line of a JSON pointer in the source text, when the input was text. */
  lineOf: ((pointer: string) => number | null) | null = null;

  constructor(file: string) {
    this.file = file;
  }

  /**
   * An error at `path`; `rank` places it (see the PHASE_* constants and config.ts); `at` is the
   * pointer whose line is shown when it differs from `path` (an unknown key: its own line).
   */
  error(path: string, message: string, rank: number[], place?: { line?: number; column?: number; at?: string }): void {
    this.errors.push(this.make(path, message, rank, place));
  }

  warn(path: string, message: string, rank: number[]): void {
    this.warnings.push(this.make(path, message, rank, undefined));
  }

  private make(path: string, message: string, rank: number[], place?: { line?: number; column?: number; at?: string }): Ranked {
    const issue: ConfigIssue = { file: this.file, path, message };
    let line = place ? place.line : undefined;
    if (line === undefined && this.lineOf && (path !== '' || (place && place.at))) {
      const found = this.lineOf(place && place.at !== undefined ? place.at : path);
      if (found !== null) line = found;
    }
    if (typeof line === 'number') issue.line = line;
    if (place && typeof place.column === 'number') issue.column = place.column;
    return { issue, rank, seq: this.seq++ };
  }

  result<T>(value: T | null): Parsed<T> {
    const errors = pack(this.file, this.errors, 'errors');
    const warnings = pack(this.file, this.warnings, 'warnings');
    if (errors.length > 0 || value === null) return { ok: false, errors, warnings };
    return { ok: true, value, warnings };
  }
}

function pack(file: string, list: Ranked[], what: string): ConfigIssue[] {
  const sorted = list.slice().sort(compareRanks);
  const out: ConfigIssue[] = [];
  const seen: { [k: string]: true } = {};
  let dropped = 0;
  for (const r of sorted) {
    const key = r.issue.path + '\u0000' + r.issue.message;
    if (seen[key]) continue; // one keyword failing twice at one place (e.g. minimum and multipleOf)
    seen[key] = true;
    if (out.length >= MAX_CONFIG_ISSUES) dropped++;
    else out.push(r.issue);
  }
  if (dropped > 0) out.push({ file, path: '', message: dropped + ' more ' + what + ' not listed' });
  return out;
}

function noun(type: unknown): string {
  const t = Array.isArray(type) ? String(type[0]) : String(type);
  return (/^[aeiou]/.test(t) ? 'an ' : 'a ') + t;
}

function messagesOf(schema: unknown): Messages {
  const m = schema && typeof schema === 'object' ? (schema as { messages?: Messages }).messages : undefined;
  return m || {};
}

function shown(v: unknown): string {
  return typeof v === 'string' ? quoteValue(v) : String(v);
}

/** Pointer segments of an ajv instancePath, unescaped. */
function segmentsOf(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Rank of a place inside an entry: per level, arrays by index and objects by the key's position in
 * the schema's `properties` (unknown keys before every known one). A finding about the node itself
 * comes before its children's.
 */
export function schemaRank(schema: unknown, segments: string[], own: number[]): number[] {
  const rank: number[] = [];
  let s = schema as { properties?: { [k: string]: unknown }; items?: unknown } | undefined;
  for (const seg of segments) {
    if (s && s.properties) {
      const keys = Object.keys(s.properties);
      const i = keys.indexOf(seg);
      rank.push(i >= 0 ? i : -1);
      s = i >= 0 ? (s.properties[seg] as typeof s) : undefined;
    } else {
      rank.push(/^[0-9]+$/.test(seg) ? Number(seg) : 0);
      s = s ? (s.items as typeof s) : undefined;
    }
  }
  return rank.concat(own);
}

/**
 * ajv's errors of one entry as issues. `base` is the entry's pointer; `entryRank` places the entry
 * in its file; `keyOrder` gives an unknown key's position among its object's keys.
 */
export function addSchemaErrors(
  issues: IssueList, errors: ErrorObject[] | null | undefined, schema: unknown, base: string, entryRank: number[],
  keyOrder: (instancePath: string, key: string) => number,
): void {
  for (const e of errors || []) {
    const segs = segmentsOf(e.instancePath);
    const path = base + segs.map((s) => '/' + pointerSegment(s)).join('');
    const own = messagesOf(e.parentSchema);
    const value = e.data;
    const prefix = [PHASE_ENTRY].concat(entryRank);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String((e.params as { additionalProperty: string }).additionalProperty);
        const rank = schemaRank(schema, segs, [-2, keyOrder(e.instancePath, key)]);
        issues.error(path, 'unknown key ' + quoteValue(key), prefix.concat(rank), { at: childPath(path, key) });
        break;
      }
      case 'required': {
        const key = String((e.params as { missingProperty: string }).missingProperty);
        const props = (e.parentSchema as { properties?: { [k: string]: unknown } }).properties || {};
        const m = messagesOf(props[key]);
        const text = m.required || 'is required (' + noun((props[key] as { type?: unknown } | undefined)?.type) + ')';
        issues.error(childPath(path, key), text, prefix.concat(schemaRank(schema, segs.concat([key]), [-3])), { at: path });
        break;
      }
      case 'type': {
        const rank = prefix.concat(schemaRank(schema, segs, [-3]));
        if (typeof value === 'number' && !isFinite(value) && own.range) {
          issues.error(path, own.range + ', got ' + String(value), rank);
        } else {
          issues.error(path, (own.type || 'must be ' + noun(e.schema)) + ', got ' + typeName(value), rank);
        }
        break;
      }
      case 'minimum':
      case 'exclusiveMinimum':
      case 'maximum':
      case 'exclusiveMaximum':
      case 'multipleOf':
        issues.error(path, (own.range || 'must be ' + e.message) + ', got ' + String(value), prefix.concat(schemaRank(schema, segs, [-1])));
        break;
      case 'format':
        issues.error(path, (own.format || 'must match format ' + String(e.schema)) + ', got ' + shown(value), prefix.concat(schemaRank(schema, segs, [-1])));
        break;
      case 'pattern':
        issues.error(path, own.pattern || 'must match ' + String(e.schema) + ', got ' + shown(value), prefix.concat(schemaRank(schema, segs, [-1])));
        break;
      case 'minItems':
        issues.error(path, own.minItems || 'must have at least ' + String(e.schema) + ' items', prefix.concat(schemaRank(schema, segs, [-1])));
        break;
      default:
        issues.error(path, String(e.message), prefix.concat(schemaRank(schema, segs, [-1])));
    }
  }
}
