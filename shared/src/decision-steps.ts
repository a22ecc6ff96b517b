// The steps every rule of the decision (decision.ts) is made of: the working copy of one decision
// (Step), whether the machine is blocked or always on, its look at rest, a session's start and
// end, a refusal, the card in the reader.
// Espruino- and Lua-safe like the decision: no bitwise operators, no destructuring/spread/default
// params/Map/Set.
import type { DecisionMachine, DenyReason, LogEvent, Look, MachineState, SessionEndReason, Subject } from './decision-types.js';
import { restLookOf } from './machine-state.js';

/** The working copy of one decision, passed as `st` to each of its steps. */
export interface Step {
  /** The machine's config. */
  machine: DecisionMachine;
  /** The machine's state being decided (a clean copy: the caller's is never mutated). */
  state: MachineState;
  /** What the decision logged, in order. */
  log: LogEvent[];
  /** Epoch ms of the event. */
  now: number;
}

export function blocked(st: Step): boolean {
  return st.state.oopsed || st.state.locked_out;
}

export function alwaysOn(st: Step): boolean {
  return st.machine.always_enabled === true;
}

/** Relays and look of a machine with no session: oops, lockout, always-on or idle. */
export function rest(st: Step): void {
  const s = st.state;
  s.look = restLookOf(s.oopsed, s.locked_out, alwaysOn(st));
  s.relay = s.look === 'always_on';
  s.look_name = '';
  if (!s.relay) s.holder = null;
}

export function endSession(st: Step, reason: SessionEndReason): void {
  const s = st.state;
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

export function startSession(st: Step, u: Subject, override: boolean): void {
  const s = st.state;
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
export function deny(st: Step, fob: string, u: Subject | null, reason: DenyReason, look: Look): void {
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
    st.state.look = look;
    st.state.relay = false;
    st.state.look_name = '';
  }
}

export function setRfid(st: Step, rfid: string | null): void {
  if (st.state.rfid !== rfid) {
    st.state.rfid = rfid;
    st.state.rfid_since = st.now;
  }
}
