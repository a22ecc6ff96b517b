// Who holds a fob as one machine sees it (the decision's Subject): built from a member's record
// on the server (subjectFor), and checked field by field when it arrives from elsewhere
// (cleanSubject).
// Espruino- and Lua-safe like the decision (decision.ts): no bitwise operators, no
// destructuring/spread/default params/Map/Set.
import type { UserRecord } from './config-types.js';
import type { Subject, SubjectMachine } from './decision-types.js';
import { lcdSafeName } from './lcd-text.js';
import { isExpired } from './member-dates.js';

function holdsAny(held: unknown, wanted: unknown): boolean {
  if (!Array.isArray(held) || !Array.isArray(wanted)) return false;
  for (let i = 0; i < wanted.length; i++) {
    if (typeof wanted[i] === 'string' && held.indexOf(wanted[i]) >= 0) return true;
  }
  return false;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The holder of `fob` as `machine` sees it, from the member's record (server side). */
export function subjectFor(user: UserRecord, machine: SubjectMachine, fob: string, todayYmd: string): Subject {
  const u: any = user !== null && typeof user === 'object' ? user : {};
  const m: any = machine !== null && typeof machine === 'object' ? machine : {};
  const sr = m.second_relay !== null && typeof m.second_relay === 'object' ? m.second_relay : null;
  // the preferred name as dm_mac shows it; first/full name only when it is blank
  let name = lcdSafeName(str(u.preferred_name));
  if (name.trim() === '') name = lcdSafeName(str(u.first_name));
  if (name.trim() === '') name = lcdSafeName(str(u.full_name));
  return {
    fob: str(fob),
    account_id: str(u.account_id),
    name: name,
    full_name: str(u.full_name),
    main: holdsAny(u.authorizations, m.authorizations_or),
    second: sr !== null && holdsAny(u.authorizations, sr.authorizations_or),
    override: u.oops_override === true,
    expired: isExpired(str(u.expiration_ymd), todayYmd, m.expiry_grace_days),
  };
}

/** A valid copy of a subject, or null (unknown fob, or garbage). */
export function cleanSubject(x: unknown): Subject | null {
  if (x === null || typeof x !== 'object') return null;
  const o: any = x;
  if (typeof o.fob !== 'string' || o.fob === '') return null;
  return {
    fob: o.fob,
    account_id: str(o.account_id),
    name: lcdSafeName(str(o.name)),
    full_name: str(o.full_name),
    main: o.main === true,
    second: o.second === true,
    override: o.override === true,
    expired: o.expired === true,
  };
}
