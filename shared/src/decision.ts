// The decision state machine: one pure function from (machine, state, event, subject, now) to
// (new state, outputs, log events), run by the unit offline and by the server for legacy units.
// It reproduces dm_mac's looks and rules except the seven deliberate differences (docs/dm-mac-compat.md).
// Espruino- and Lua-safe: no bitwise operators, no destructuring/spread/default params/Map/Set.
// Its parts: lcd-text.ts (what the LCD shows), member-dates.ts (expiry), decision-subjects.ts (who
// holds a fob), machine-state.ts (fresh and clean states), machine-outputs.ts (outputs, second
// relay); they are re-exported here, so the decision's API stays one module.
import type {
  DecideContext,
  Decision,
  DecisionMachine,
  LogEvent,
  MachineEvent,
  MachineState,
  SecondRelayMode,
  Subject,
} from './decision-types.js';
import { cleanSubject } from './decision-subjects.js';
import { alwaysOn, blocked, deny, endSession, rest, setRfid, startSession, type Step } from './decision-steps.js';
import { cleanState, initialState, restLookOf } from './machine-state.js';
import { outputsOf, outputsOfClean, secondModeOf, secondOn } from './machine-outputs.js';

export {
  LCD_WIDTH,
  DISPLAY_IDLE,
  DISPLAY_UNAUTHORIZED,
  DISPLAY_UNKNOWN,
  DISPLAY_OOPS,
  DISPLAY_LOCKED_OUT,
  DISPLAY_ALWAYS_ON,
  DISPLAY_STALE,
  DISPLAY_EXPIRED,
  WELCOME_PREFIX,
  OVERRIDE_PREFIX,
  LOCKOUT_PENDING_PREFIX,
  lcdSafeName,
} from './lcd-text.js';
export { ymdToDays, isExpired } from './member-dates.js';
export { subjectFor } from './decision-subjects.js';
export { LOOKS, initialState, isLook, cleanState } from './machine-state.js';
export { outputsOf } from './machine-outputs.js';

/** `by` of a button oops when no known member is at the machine (difference 6). */
export const UNKNOWN_USER = 'unknown user';

// ---------------------------------------------------------------- the decision

/**
 * A card arrives. In order: the same card again is no change; a different card ends a running
 * session (swap); an always-enabled machine (not oopsed/locked) only audits it; then
 * unknown -> unknown (stale list: stale) | expired -> expired | override member on an oopsed or
 * locked machine -> override session | oopsed/locked -> nothing changes | stale list and not an
 * override member -> stale | authorized or warn-only -> session | else unauthorized.
 * Every refusal is logged as `denied`; on an oopsed/locked machine a refusal never changes the look.
 */
function insert(st: Step, fob: string, given: Subject | null, stale: boolean): void {
  const s = st.state;
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
  if (u.main || st.machine.unauthorized_warn_only === true) {
    startSession(st, u, false);
    return;
  }
  deny(st, fob, u, 'unauthorized', 'unauthorized');
}

function remove(st: Step, given: Subject | null): void {
  const s = st.state;
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
  const s = st.state;
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
  const s = st.state;
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
  const s = st.state;
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
  const s = st.state;
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
  const s = st.state;
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
  const s = st.state;
  let started = false;
  for (let i = 0; i < st.log.length; i++) if (st.log[i].type === 'session_start') started = true;
  let mode: SecondRelayMode;
  try {
    mode = secondModeOf(st.machine, s);
  } catch (e) {
    mode = 'off';
  }
  if (mode !== 'off' && (mode !== s.second_mode || started)) {
    st.log.push({ type: 'second_relay', at: st.now, mode: mode, fob: s.user === null ? '' : s.user.fob });
  }
  s.second_mode = mode;
  s.second_relay = secondOn(mode);
  // st.state was cleaned on entry and only the rules changed it since: no second cleaning
  return { state: s, outputs: outputsOfClean(st.machine, s), log: st.log };
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
  const st: Step = { machine: m, state: s, log: [], now: now };
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
    const st: Step = { machine: machine, state: cleanState(state), log: [], now: now };
    const stale = c !== null && typeof c === 'object' && c.list_stale === true;
    const problem = apply(st, event, cleanSubject(subject), stale);
    if (problem !== null) return failClosed(machine, state, now, problem);
    return finish(st);
  } catch (e) {
    return failClosed(machine, state, now, 'decision failed');
  }
}
