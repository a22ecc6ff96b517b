// The decision state machine: one pure function from (machine, state, event, subject, now) to
// (new state, outputs, log events), run by the unit offline and by the server for legacy units.
// It reproduces dm_mac's looks and rules except the seven deliberate differences (docs/dm-mac-compat.md).
// Espruino- and Lua-safe: no bitwise operators, no destructuring/spread/default params/Map/Set.
import type { UserRecord } from './config-types.js';
import type {
  DecideContext,
  Decision,
  DecisionMachine,
  DenyReason,
  LogEvent,
  Look,
  MachineEvent,
  MachineState,
  Outputs,
  SecondRelayMode,
  SessionEndReason,
  Subject,
  SubjectMachine,
} from './decision-types.js';

/** LCD width in characters (16x2 HD44780). */
export const LCD_WIDTH = 16;

export const DISPLAY_IDLE = 'Please Insert\nRFID Card';
export const DISPLAY_UNAUTHORIZED = 'Unauthorized';
export const DISPLAY_UNKNOWN = 'Unknown RFID';
export const DISPLAY_OOPS = 'Oops!! Please\ncheck/post Slack';
export const DISPLAY_LOCKED_OUT = 'Down for\nmaintenance';
export const DISPLAY_ALWAYS_ON = 'Always On';
export const DISPLAY_STALE = 'List too old\nMaintainers only';
export const DISPLAY_EXPIRED = 'Membership\nexpired';
export const WELCOME_PREFIX = 'Welcome,\n';
export const OVERRIDE_PREFIX = 'OVERRIDE BY\n';
export const LOCKOUT_PENDING_PREFIX = 'Lockout pending\n';
/** `by` of a button oops when no known member is at the machine (difference 6). */
export const UNKNOWN_USER = 'unknown user';

/** Every look a machine can have (the server checks a unit's reported look against it). */
export const LOOKS: Look[] = ['idle', 'welcome', 'unauthorized', 'unknown', 'oops', 'locked_out', 'always_on', 'override', 'stale', 'expired'];
const MODES: SecondRelayMode[] = ['off', 'always', 'granted', 'warn', 'denied'];

/** A fresh machine: idle, relays off, no flags. */
export function initialState(): MachineState {
  return {
    oopsed: false,
    locked_out: false,
    lockout_pending: false,
    lockout_by: '',
    rfid: null,
    rfid_since: null,
    user: null,
    holder: null,
    override: false,
    session_start: null,
    relay: false,
    second_relay: false,
    second_mode: 'off',
    look: 'idle',
    look_name: '',
  };
}

/** A name the LCD can show: printable ASCII only (others become '?'), at most 16 characters. */
export function lcdSafeName(name: string): string {
  const s = typeof name === 'string' ? name : '';
  // the common case, a clean short name, is returned as it is (no string built char by char:
  // this runs several times per decision, on the unit's tap path)
  let clean = s.length <= LCD_WIDTH;
  for (let i = 0; clean && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) clean = false;
  }
  if (clean) return s;
  let out = '';
  for (let i = 0; i < s.length && out.length < LCD_WIDTH; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c <= 126) {
      out += s.charAt(i);
    } else {
      // a UTF-16 surrogate pair is one character: one '?'
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      out += '?';
    }
  }
  return out;
}

// ---------------------------------------------------------------- dates (pure YYYY-MM-DD)

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  if (m === 4 || m === 6 || m === 9 || m === 11) return 30;
  return 31;
}

/** The number written by s[from..to) in decimal digits only, or -1. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Days since 1970-01-01 of a strict `YYYY-MM-DD` date, or null when it is not a real date. */
export function ymdToDays(ymd: string): number | null {
  if (typeof ymd !== 'string' || ymd.length !== 10 || ymd.charAt(4) !== '-' || ymd.charAt(7) !== '-') return null;
  const y0 = digits(ymd, 0, 4);
  const m = digits(ymd, 5, 7);
  const d = digits(ymd, 8, 10);
  if (y0 < 0 || m < 0 || d < 0) return null;
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y0, m)) return null;
  // civil-from-days inverse (proleptic Gregorian), integer arithmetic with Math.floor only
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Expired when expiry checking is on (graceDays a number) and today is more than graceDays days
 * after expiration. A date that cannot be read fails closed (expired).
 */
export function isExpired(expirationYmd: string, todayYmd: string, graceDays: number | null | undefined): boolean {
  if (typeof graceDays !== 'number' || !(graceDays === graceDays)) return false;
  const exp = ymdToDays(expirationYmd);
  const today = ymdToDays(todayYmd);
  if (exp === null || today === null) return true;
  return today - exp > graceDays;
}

// ---------------------------------------------------------------- subjects

function holdsAny(held: unknown, wanted: unknown): boolean {
  if (!Array.isArray(held) || !Array.isArray(wanted)) return false;
  for (let i = 0; i < wanted.length; i++) {
    if (typeof wanted[i] === 'string' && held.indexOf(wanted[i]) >= 0) return true;
  }
  return false;
}

function str(v: unknown): string {
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
function cleanSubject(x: unknown): Subject | null {
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

// ---------------------------------------------------------------- state hygiene

export function isLook(x: unknown): x is Look {
  return typeof x === 'string' && LOOKS.indexOf(x as Look) >= 0;
}

/** Oopsed and locked out at once shows the lockout look (the oops LED says the rest). */
function restLookOf(oopsed: boolean, locked: boolean, alwaysOn: boolean): Look {
  if (locked) return 'locked_out';
  if (oopsed) return 'oops';
  return alwaysOn ? 'always_on' : 'idle';
}

/**
 * A consistent copy of a state. Anything that is not a real state, or a combination that no rule
 * can produce (a relay on under a look that does not run the machine, a normal session on an
 * oopsed machine ...), fails closed: relays off, the look of the flags that are set.
 */
export function cleanState(x: unknown): MachineState {
  const s = initialState();
  if (x === null || typeof x !== 'object') return s;
  const o: any = x;
  s.oopsed = o.oopsed === true;
  s.locked_out = o.locked_out === true;
  s.rfid = typeof o.rfid === 'string' && o.rfid !== '' ? o.rfid : null;
  s.rfid_since = typeof o.rfid_since === 'number' ? o.rfid_since : null;
  const user = cleanSubject(o.user);
  const look: Look = isLook(o.look) ? o.look : 'idle';
  const blocked = s.oopsed || s.locked_out;
  let ok = false;
  if (user !== null && o.relay === true) {
    // an override session only runs under the oops or lockout it overrides
    if (o.override === true) ok = look === 'override' && blocked;
    else ok = look === 'welcome' && !blocked;
  }
  if (ok) {
    s.user = user;
    s.override = o.override === true;
    s.session_start = typeof o.session_start === 'number' ? o.session_start : null;
    s.relay = true;
    s.look = look;
    s.look_name = lcdSafeName(str(o.look_name));
    s.lockout_pending = !s.override && o.lockout_pending === true;
    s.lockout_by = s.lockout_pending ? str(o.lockout_by) : '';
  } else {
    // no (valid) session; a lockout waiting for a session's end takes effect now
    if (o.lockout_pending === true) s.locked_out = true;
    if (s.oopsed || s.locked_out) {
      s.look = restLookOf(s.oopsed, s.locked_out, false);
    } else if (look === 'welcome' || look === 'override') {
      s.look = 'idle';
    } else {
      s.look = look;
      s.relay = look === 'always_on' && o.relay === true;
      if (look === 'always_on' && !s.relay) s.look = 'idle';
      // the card holder of an always-on machine: only the member whose card is in the reader
      const holder = cleanSubject(o.holder);
      if (s.relay && holder !== null && holder.fob === s.rfid) s.holder = holder;
    }
  }
  s.second_mode = s.relay && typeof o.second_mode === 'string' && MODES.indexOf(o.second_mode) >= 0 ? o.second_mode : 'off';
  s.second_relay = s.relay && o.second_relay === true;
  return s;
}

// ---------------------------------------------------------------- outputs

function hasSecondRelay(machine: unknown): boolean {
  if (machine === null || typeof machine !== 'object') return false;
  const sr = (machine as any).second_relay;
  return sr !== null && typeof sr === 'object';
}

/**
 * The second relay's verdict: off with the main relay; on with it when always-enabled; otherwise
 * it needs a person at the machine (the session's member, or the card holder of an always-on
 * machine): granted, warn-only or denied for them, and off for nobody.
 */
function secondModeOf(machine: DecisionMachine, s: MachineState): SecondRelayMode {
  if (!s.relay || !hasSecondRelay(machine)) return 'off';
  const sr: any = machine.second_relay;
  if (sr.always_enabled === true) return 'always';
  const person = s.user !== null ? s.user : s.holder;
  if (person === null || person === undefined) return 'off';
  if (person.second === true) return 'granted';
  if (sr.unauthorized_warn_only === true) return 'warn';
  return 'denied';
}

function secondOn(mode: SecondRelayMode): boolean {
  return mode === 'always' || mode === 'granted' || mode === 'warn';
}

/**
 * The LCD text of a clean state. Its look_name is LCD-safe already (cleanState and the subject's
 * cleaning make it so): not cleaned again here, on the unit's tap path.
 */
function displayOf(s: MachineState): string {
  const look = s.look;
  if (look === 'welcome') return (s.lockout_pending ? LOCKOUT_PENDING_PREFIX : WELCOME_PREFIX) + s.look_name;
  if (look === 'override') return OVERRIDE_PREFIX + s.look_name;
  if (look === 'unauthorized') return DISPLAY_UNAUTHORIZED;
  if (look === 'unknown') return DISPLAY_UNKNOWN;
  if (look === 'oops') return DISPLAY_OOPS;
  if (look === 'locked_out') return DISPLAY_LOCKED_OUT;
  if (look === 'always_on') return DISPLAY_ALWAYS_ON;
  if (look === 'stale') return DISPLAY_STALE;
  if (look === 'expired') return DISPLAY_EXPIRED;
  return DISPLAY_IDLE;
}

function rgbOf(look: Look): [number, number, number] {
  if (look === 'welcome' || look === 'override' || look === 'always_on') return [0, 1, 0];
  if (look === 'unknown' || look === 'oops') return [1, 0, 0];
  if (look === 'unauthorized' || look === 'locked_out' || look === 'stale' || look === 'expired') return [1, 0.5, 0];
  return [0, 0, 0];
}

/** The six dm_mac outputs of a state (relay, second_relay, display, oops_led, LED rgb+brightness). */
export function outputsOf(machine: DecisionMachine, state: MachineState): Outputs {
  let s: MachineState;
  try {
    s = cleanState(state);
  } catch (e) {
    s = initialState();
  }
  return outputsOfClean(machine, s);
}

/** outputsOf for a state that is already clean (the decision's own working copy). */
function outputsOfClean(machine: DecisionMachine, s: MachineState): Outputs {
  return {
    relay: s.relay,
    second_relay: s.relay && s.second_relay && hasSecondRelay(machine),
    display: displayOf(s),
    oops_led: s.oopsed,
    status_led_rgb: rgbOf(s.look),
    status_led_brightness: s.look === 'idle' ? 0 : 0.5,
  };
}

// ---------------------------------------------------------------- the decision

/** The working copy of one decision. */
interface Step {
  m: DecisionMachine;
  s: MachineState;
  log: LogEvent[];
  now: number;
}

function blocked(st: Step): boolean {
  return st.s.oopsed || st.s.locked_out;
}

function alwaysOn(st: Step): boolean {
  return st.m.always_enabled === true;
}

/** Relays and look of a machine with no session: oops, lockout, always-on or idle. */
function rest(st: Step): void {
  const s = st.s;
  s.look = restLookOf(s.oopsed, s.locked_out, alwaysOn(st));
  s.relay = s.look === 'always_on';
  s.look_name = '';
  if (!s.relay) s.holder = null;
}

function endSession(st: Step, reason: SessionEndReason): void {
  const s = st.s;
  const u = s.user;
  if (u === null) return;
  const start = typeof s.session_start === 'number' ? s.session_start : st.now;
  const dur = st.now - start;
  st.log.push({
    type: 'session_end',
    at: st.now,
    fob: u.fob,
    account_id: u.account_id,
    full_name: u.full_name,
    duration_ms: dur > 0 ? dur : 0,
    reason: reason,
    override: s.override,
  });
  s.user = null;
  s.override = false;
  s.session_start = null;
  s.relay = false;
  s.look_name = '';
  if (s.lockout_pending) {
    const by = s.lockout_by;
    s.lockout_pending = false;
    s.lockout_by = '';
    s.locked_out = true;
    st.log.push({ type: 'locked_out', at: st.now, by: typeof by === 'string' ? by : '', pending: false });
  }
}

function startSession(st: Step, u: Subject, override: boolean): void {
  const s = st.s;
  s.user = u;
  s.override = override;
  s.session_start = st.now;
  s.relay = true;
  s.look = override ? 'override' : 'welcome';
  s.look_name = u.name;
  st.log.push({
    type: 'session_start',
    at: st.now,
    fob: u.fob,
    account_id: u.account_id,
    full_name: u.full_name,
    override: override,
    authorized: u.main,
  });
}

/** Log a refusal; the look changes only when the machine is neither oopsed nor locked out. */
function deny(st: Step, fob: string, u: Subject | null, reason: DenyReason, look: Look): void {
  const e: LogEvent = {
    type: 'denied',
    at: st.now,
    fob: fob,
    account_id: u === null ? null : u.account_id,
    full_name: u === null ? null : u.full_name,
    reason: reason,
  };
  if (blocked(st)) e.blocked = true;
  st.log.push(e);
  if (!blocked(st)) {
    st.s.look = look;
    st.s.relay = false;
    st.s.look_name = '';
  }
}

function setRfid(st: Step, rfid: string | null): void {
  if (st.s.rfid !== rfid) {
    st.s.rfid = rfid;
    st.s.rfid_since = st.now;
  }
}

/**
 * A card arrives. In order: the same card again is no change; a different card ends a running
 * session (swap); an always-enabled machine (not oopsed/locked) only audits it; then
 * unknown -> unknown (stale list: stale) | expired -> expired | override member on an oopsed or
 * locked machine -> override session | oopsed/locked -> nothing changes | stale list and not an
 * override member -> stale | authorized or warn-only -> session | else unauthorized.
 * Every refusal is logged as `denied`; on an oopsed/locked machine a refusal never changes the look.
 */
function insert(st: Step, fob: string, given: Subject | null, stale: boolean): void {
  const s = st.s;
  if (s.rfid === fob) return; // not a change: a card left in stays as it is (after a reboot too)
  // the holder must be the one of this fob; anything else is treated as unknown (fail closed)
  const u = given !== null && given.fob === fob ? given : null;
  setRfid(st, fob);
  if (s.user !== null) {
    if (s.user.fob === fob) return;
    // a different card straight after another: the running session ends (difference 2)
    endSession(st, 'swap');
    rest(st);
  }
  if (alwaysOn(st) && !blocked(st)) {
    st.log.push({
      type: 'card_audit',
      at: st.now,
      fob: fob,
      account_id: u === null ? null : u.account_id,
      full_name: u === null ? null : u.full_name,
      inserted: true,
    });
    rest(st);
    // a known member (not expired, list not stale) becomes the card holder the metrics and the
    // second relay follow
    s.holder = s.relay && u !== null && !u.expired && !stale ? u : null;
    return;
  }
  if (u === null) {
    deny(st, fob, null, stale ? 'stale_list' : 'unknown', stale ? 'stale' : 'unknown');
    return;
  }
  if (u.expired) {
    deny(st, fob, u, 'expired', 'expired');
    return;
  }
  if (u.override && blocked(st)) {
    startSession(st, u, true);
    return;
  }
  if (blocked(st)) {
    deny(st, fob, u, s.oopsed ? 'oopsed' : 'locked_out', 'idle');
    return;
  }
  if (stale && !u.override) {
    deny(st, fob, u, 'stale_list', 'stale');
    return;
  }
  if (u.main || st.m.unauthorized_warn_only === true) {
    startSession(st, u, false);
    return;
  }
  deny(st, fob, u, 'unauthorized', 'unauthorized');
}

function remove(st: Step, given: Subject | null): void {
  const s = st.s;
  const prev = s.rfid;
  const since = s.rfid_since;
  if (prev === null && s.user === null) return;
  setRfid(st, null);
  s.holder = null;
  if (s.user !== null) {
    endSession(st, 'removed');
    rest(st);
    return;
  }
  if (prev !== null) {
    if (alwaysOn(st) && !blocked(st)) {
      const u = given !== null && given.fob === prev ? given : null;
      st.log.push({
        type: 'card_audit',
        at: st.now,
        fob: prev,
        account_id: u === null ? null : u.account_id,
        full_name: u === null ? null : u.full_name,
        inserted: false,
      });
    } else {
      const held = typeof since === 'number' ? st.now - since : 0;
      st.log.push({ type: 'card_removed', at: st.now, fob: prev, held_ms: held > 0 ? held : 0 });
    }
  }
  rest(st);
}

function oops(st: Step, source: 'button' | 'admin' | 'api', by: string, fresh: boolean): void {
  const s = st.s;
  // a button held over several updates while nothing runs changes nothing
  // (an admin oops, and a new press of the button, are always logged)
  if (source === 'button' && !fresh && s.oopsed && s.user === null && !s.relay) return;
  const e: LogEvent = { type: 'oops', at: st.now, source: source, by: by };
  if (s.rfid !== null) e.fob = s.rfid;
  st.log.push(e);
  s.oopsed = true;
  endSession(st, 'oops');
  rest(st);
}

/**
 * An admin cleared the oops or the lockout: an override session ends with it (the reason it ran
 * under is gone; the card stays in and must be re-inserted), relays off, the look of what is
 * still set. A normal session (a lockout still pending) goes on.
 */
function clearFlag(st: Step): void {
  const s = st.s;
  if (s.user !== null && s.override) {
    endSession(st, 'cleared');
    rest(st);
  } else if (s.user === null) {
    rest(st);
  }
}

function buttonOopsBy(s: MachineState, u: Subject | null): string {
  if (s.user !== null && s.user.full_name !== '') return s.user.full_name;
  if (u !== null && u.full_name !== '' && u.fob === s.rfid) return u.full_name;
  return UNKNOWN_USER;
}

function lockout(st: Step, by: string, cut: boolean): void {
  const s = st.s;
  if (s.user !== null && !cut) {
    if (s.override) {
      // an override session may run a locked-out machine: locked now, the session goes on
      s.locked_out = true;
      st.log.push({ type: 'locked_out', at: st.now, by: by, pending: false });
    } else {
      s.lockout_pending = true;
      s.lockout_by = by;
      st.log.push({ type: 'locked_out', at: st.now, by: by, pending: true });
    }
    return;
  }
  s.locked_out = true;
  s.lockout_pending = false;
  s.lockout_by = '';
  st.log.push({ type: 'locked_out', at: st.now, by: by, pending: false });
  endSession(st, 'lockout');
  rest(st);
}

function configChanged(st: Step): void {
  const s = st.s;
  if (alwaysOn(st) && !blocked(st)) {
    // now always-enabled: no sessions, relay on (rule 4)
    endSession(st, 'config');
    rest(st);
    return;
  }
  if (s.user !== null) return;
  // rule 6: relay on with no user on a machine no longer always-enabled -> idle
  if (s.relay || s.look === 'always_on') rest(st);
}

function byOf(e: any): string {
  return typeof e.by === 'string' ? e.by : '';
}

function isFob(x: unknown): boolean {
  return typeof x === 'string' && x !== '';
}

function apply(st: Step, e: any, u: Subject | null, stale: boolean): string | null {
  const s = st.s;
  const t = e.type;
  if (t === 'card_inserted') {
    if (!isFob(e.fob)) return 'card_inserted without a fob code';
    insert(st, e.fob, u, stale);
  } else if (t === 'card_removed') {
    remove(st, u);
  } else if (t === 'oops_pressed') {
    oops(st, 'button', buttonOopsBy(s, u), e.fresh === true);
  } else if (t === 'admin_oops') {
    const src = e.source === 'button' || e.source === 'api' ? e.source : 'admin';
    oops(st, src, byOf(e), false);
  } else if (t === 'admin_clear_oops') {
    st.log.push({ type: 'oops_cleared', at: st.now, by: byOf(e) });
    s.oopsed = false;
    clearFlag(st);
  } else if (t === 'admin_lockout') {
    lockout(st, byOf(e), e.cut === true);
  } else if (t === 'admin_unlock') {
    st.log.push({ type: 'unlocked', at: st.now, by: byOf(e) });
    s.locked_out = false;
    s.lockout_pending = false;
    s.lockout_by = '';
    clearFlag(st);
  } else if (t === 'reboot') {
    st.log.push({ type: 'reboot', at: st.now });
    if (e.rfid === null || isFob(e.rfid)) setRfid(st, e.rfid);
    s.holder = null;
    endSession(st, 'reboot');
    rest(st);
  } else if (t === 'config_changed') {
    configChanged(st);
  } else {
    return 'unknown event type ' + (typeof t === 'string' ? '"' + t.substring(0, 32) + '"' : typeof t);
  }
  return null;
}

function finish(st: Step): Decision {
  const s = st.s;
  let started = false;
  for (let i = 0; i < st.log.length; i++) if (st.log[i].type === 'session_start') started = true;
  let mode: SecondRelayMode;
  try {
    mode = secondModeOf(st.m, s);
  } catch (e) {
    mode = 'off';
  }
  if (mode !== 'off' && (mode !== s.second_mode || started)) {
    st.log.push({ type: 'second_relay', at: st.now, mode: mode, fob: s.user === null ? '' : s.user.fob });
  }
  s.second_mode = mode;
  s.second_relay = secondOn(mode);
  // st.s was cleaned on entry and only the rules changed it since: no second cleaning
  return { state: s, outputs: outputsOfClean(st.m, s), log: st.log };
}

/** Relays off, session ended, the look of the flags still set: the answer to anything malformed. */
export function failClosed(machine: unknown, state: unknown, now: number, message: string): Decision {
  let s: MachineState;
  try {
    s = cleanState(state);
  } catch (e) {
    s = initialState();
  }
  const m: any = machine !== null && typeof machine === 'object' ? machine : { always_enabled: false, second_relay: null };
  const st: Step = { m: m, s: s, log: [], now: now };
  endSession(st, 'error');
  s.look = restLookOf(s.oopsed, s.locked_out, false);
  s.relay = false;
  s.look_name = '';
  s.second_mode = 'off';
  s.second_relay = false;
  st.log.push({ type: 'error', at: now, message: message });
  return { state: s, outputs: outputsOf(m, s), log: st.log };
}

/**
 * Decide one event. Pure: never mutates its inputs, never throws. `subject` is the holder of the
 * fob concerned as this machine sees it (null = unknown fob): for card_inserted the new card, for
 * card_removed and oops_pressed the card in the reader (used for the audit and the oops log).
 */
export function decide(machine: DecisionMachine, state: MachineState, event: MachineEvent, subject: Subject | null, ctx: DecideContext): Decision {
  let now = 0;
  try {
    const c: any = ctx;
    now = c !== null && typeof c === 'object' && typeof c.now === 'number' && c.now === c.now ? c.now : 0;
    if (machine === null || typeof machine !== 'object') return failClosed(null, state, now, 'no machine config');
    if (event === null || typeof event !== 'object') return failClosed(machine, state, now, 'event is not an object');
    const st: Step = { m: machine, s: cleanState(state), log: [], now: now };
    const stale = c !== null && typeof c === 'object' && c.list_stale === true;
    const problem = apply(st, event, cleanSubject(subject), stale);
    if (problem !== null) return failClosed(machine, state, now, problem);
    return finish(st);
  } catch (e) {
    return failClosed(machine, state, now, 'decision failed');
  }
}
