// Reads a members file for import: dm_mac's users.json, or a CSV export of the member database
// (columns below), and validates it with the shared parser. Problems carry the CSV line or the
// JSON path, so the admin knows exactly what to fix.
import { parseUsers, parseUsersJson, formatIssue, type ConfigIssue, type UserRecord } from '@fobgate/shared';
import { basename } from 'node:path';
import { parseCsv } from './csv.js';

export const CSV_COLUMNS = [
  'account_id',
  'full_name',
  'first_name',
  'last_name',
  'preferred_name',
  'email',
  'expiration_ymd',
  'fob_codes',
  'authorizations',
  'oops_override',
] as const;

export const CSV_HELP = `CSV format: a header row naming these columns (any order, case-insensitive):
  account_id      member's id in the member database (unique)
  full_name       shown in Slack and the audit log
  first_name, last_name
  preferred_name  shown on the unit's LCD after "Welcome,"
  email
  expiration_ymd  membership expiry, YYYY-MM-DD
  fob_codes       decimal fob codes separated by ";" (leading zeros optional)
  authorizations  authorization names separated by ";" (must match machines.json)
  oops_override   true/false (yes/no, 1/0, empty = false): may run an oopsed or locked-out machine
Other columns are ignored with a warning.`;

export interface MembersFile {
  /** The validated members (what is sent to the server), or null when there are errors. */
  users: UserRecord[] | null;
  errors: string[];
  warnings: string[];
}

const TRUE = ['true', 'yes', 'y', '1'];
const FALSE = ['false', 'no', 'n', '0', ''];

function splitList(s: string): string[] {
  return s
    .split(';')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** CSV text -> users.json-shaped records plus the line of each record; structural errors listed. */
export function csvToRecords(text: string, file: string): { raw: unknown[]; lines: number[]; errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  const parsed = parseCsv(text);
  if (parsed.error) {
    errors.push(`${file}: line ${parsed.error.line}: ${parsed.error.message}`);
    return { raw: [], lines: [], errors, warnings };
  }
  if (parsed.records.length === 0) {
    errors.push(`${file}: no header row (expected columns: ${CSV_COLUMNS.join(', ')})`);
    return { raw: [], lines: [], errors, warnings };
  }
  const header = parsed.records[0].fields.map((h) => h.trim().toLowerCase());
  const col: { [k: string]: number } = {};
  header.forEach((h, i) => {
    if ((CSV_COLUMNS as readonly string[]).includes(h)) {
      if (col[h] !== undefined) errors.push(`${file}: line 1: column "${h}" appears twice`);
      col[h] = i;
    } else {
      warnings.push(`${file}: line 1: column "${h}" is not used and will be ignored`);
    }
  });
  for (const c of CSV_COLUMNS) {
    if (col[c] === undefined && c !== 'oops_override') errors.push(`${file}: line 1: missing column "${c}"`);
  }
  const raw: unknown[] = [];
  const lines: number[] = [];
  if (errors.length) return { raw, lines, errors, warnings };
  for (const rec of parsed.records.slice(1)) {
    if (rec.fields.length !== header.length) {
      errors.push(`${file}: line ${rec.line}: has ${rec.fields.length} fields, the header has ${header.length}`);
      continue;
    }
    const get = (c: string) => (col[c] === undefined ? '' : rec.fields[col[c]].trim());
    const override = get('oops_override').toLowerCase();
    let oops: unknown = false;
    if (TRUE.includes(override)) oops = true;
    else if (!FALSE.includes(override)) oops = override; // left for the validator to name
    raw.push({
      account_id: get('account_id'),
      full_name: get('full_name'),
      first_name: get('first_name'),
      last_name: get('last_name'),
      preferred_name: get('preferred_name'),
      email: get('email'),
      expiration_ymd: get('expiration_ymd'),
      fob_codes: splitList(get('fob_codes')),
      authorizations: splitList(get('authorizations')),
      oops_override: oops,
    });
    lines.push(rec.line);
  }
  return { raw, lines, errors, warnings };
}

/** "/3/fob_codes/0" on record 3 -> "members.csv: line 5: fob_codes: ..." */
function csvIssue(issue: ConfigIssue, file: string, lines: number[]): string {
  const m = /^\/(\d+)(?:\/([^/]+))?/.exec(issue.path);
  if (!m) return `${file}: ${issue.message}`;
  const line = lines[Number(m[1])];
  return `${file}: line ${line ?? '?'}: ${m[2] ? m[2] + ': ' : ''}${issue.message}`;
}

export function readMembers(text: string, path: string): MembersFile {
  const file = basename(path);
  const isCsv = /\.csv$/i.test(path) || (!/^\s*[[{]/.test(text) && text.includes(','));
  if (!isCsv) {
    const r = parseUsersJson(text, file);
    if (!r.ok) return { users: null, errors: r.errors.map(formatIssue), warnings: r.warnings.map(formatIssue) };
    return { users: r.value, errors: [], warnings: r.warnings.map(formatIssue) };
  }
  const c = csvToRecords(text, file);
  if (c.errors.length) return { users: null, errors: c.errors, warnings: c.warnings };
  const r = parseUsers(c.raw, file);
  const warnings = c.warnings.concat(r.warnings.map((w) => csvIssue(w, file, c.lines)));
  if (!r.ok) return { users: null, errors: r.errors.map((e) => csvIssue(e, file, c.lines)), warnings };
  return { users: r.value, errors: [], warnings };
}
