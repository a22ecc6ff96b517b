// The entries of one machine's authorization list, derived from the members file: every known
// fob with its flags and LCD name. The flags come from the decision's own `subjectFor`, so the
// server and the unit apply one rule.
import type { MachineConfig, UserRecord } from './config-types.js';
import type { Subject } from './decision-types.js';
import { subjectFor } from './decision.js';
import { fobToNumber } from './fob.js';
import { FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, type ListEntry } from './authlist-list.js';

/** FLAG_* bits of a subject. */
export function flagsOf(s: Subject): number {
  return (s.main ? FLAG_MAIN : 0) + (s.second ? FLAG_SECOND : 0) + (s.override ? FLAG_OVERRIDE : 0) +
    (s.expired ? FLAG_EXPIRED : 0);
}

/**
 * One entry per fob of every member (including members with no authorization for this machine:
 * the unit then says "Unauthorized" rather than "Unknown RFID"). Codes that cannot be a 32-bit
 * card number are left out (config validation reports them).
 */
export function entriesFor(users: UserRecord[], machine: MachineConfig, todayYmd: string): ListEntry[] {
  const out: ListEntry[] = [];
  for (let u = 0; u < users.length; u++) {
    const user = users[u];
    const codes = user && Array.isArray(user.fob_codes) ? user.fob_codes : [];
    for (let c = 0; c < codes.length; c++) {
      const n = fobToNumber(codes[c]);
      if (!n.ok) continue;
      const s = subjectFor(user, machine, codes[c], todayYmd);
      out.push({ fob: n.value, flags: flagsOf(s), name: s.name });
    }
  }
  return out;
}
