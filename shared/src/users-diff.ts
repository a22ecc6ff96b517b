// Difference between two validated users lists: who was added, removed, or changed and how
// (fobs and authorizations gained and lost, other fields). Used by the server when an admin
// replaces the list and by `npm run users -- import --dry-run` to preview it.
import type { UserRecord } from './config-types.js';
import type { MemberChange } from './protocol.js';

export interface UsersDiff {
  added: string[];
  removed: string[];
  changed: MemberChange[];
}

const FIELDS = ['full_name', 'first_name', 'last_name', 'preferred_name', 'email', 'expiration_ymd', 'oops_override'];

function index(users: UserRecord[]): { [id: string]: UserRecord } {
  const out: { [id: string]: UserRecord } = {};
  for (let i = 0; i < users.length; i++) out[users[i].account_id] = users[i];
  return out;
}

function minus(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < a.length; i++) if (b.indexOf(a[i]) < 0 && out.indexOf(a[i]) < 0) out.push(a[i]);
  return out;
}

function has(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Compare by account_id; lists are in the order of `after` (added, changed) and `before` (removed). */
export function diffUsers(before: UserRecord[], after: UserRecord[]): UsersDiff {
  const old = index(before);
  const neu = index(after);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: MemberChange[] = [];
  for (let i = 0; i < after.length; i++) {
    const u = after[i];
    if (!has(old, u.account_id)) {
      added.push(u.account_id);
      continue;
    }
    const o = old[u.account_id];
    const fields: string[] = [];
    for (let f = 0; f < FIELDS.length; f++) {
      const k = FIELDS[f] as keyof UserRecord;
      if (o[k] !== u[k]) fields.push(FIELDS[f]);
    }
    const change: MemberChange = {
      account_id: u.account_id,
      full_name: u.full_name,
      fobs_added: minus(u.fob_codes, o.fob_codes),
      fobs_removed: minus(o.fob_codes, u.fob_codes),
      authorizations_added: minus(u.authorizations, o.authorizations),
      authorizations_removed: minus(o.authorizations, u.authorizations),
      fields: fields,
    };
    if (
      fields.length ||
      change.fobs_added.length ||
      change.fobs_removed.length ||
      change.authorizations_added.length ||
      change.authorizations_removed.length
    ) {
      changed.push(change);
    }
  }
  for (let i = 0; i < before.length; i++) {
    if (!has(neu, before[i].account_id)) removed.push(before[i].account_id);
  }
  return { added: added, removed: removed, changed: changed };
}
