// A machine's state: the fresh one, and a consistent copy of any value that claims to be one
// (cleanState: what is not a real state, or a combination no rule can produce, fails closed).
// Espruino- and Lua-safe like the decision (decision.ts): no bitwise operators, no
// destructuring/spread/default params/Map/Set.
import type { Look, MachineState, SecondRelayMode } from './decision-types.js';
import { cleanSubject, str } from './decision-subjects.js';
import { lcdSafeName } from './lcd-text.js';

/** Every look a machine can have (the server checks a unit's reported look against it). */
export const LOOKS: Look[] = ['idle', 'welcome', 'unauthorized', 'unknown', 'oops', 'locked_out', 'always_on', 'override', 'stale', 'expired'];
export const MODES: SecondRelayMode[] = ['off', 'always', 'granted', 'warn', 'denied'];

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

export function isLook(x: unknown): x is Look {
  return typeof x === 'string' && LOOKS.indexOf(x as Look) >= 0;
}

/** Oopsed and locked out at once shows the lockout look (the oops LED says the rest). */
export function restLookOf(oopsed: boolean, locked: boolean, alwaysOn: boolean): Look {
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
