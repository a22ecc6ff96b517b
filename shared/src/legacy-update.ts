// One dm_mac `POST /api/machine/update` applied in dm_mac's processing order (reboot, oops,
// always-enabled, card change, else config drift), each step a call to decide(): the server's
// path for ESPHome units, using the same brain as fobgate units. Telemetry is stored elsewhere.
// It also says whether the update changed something in dm_mac's sense (its last_update).
import { cleanState, decide, failClosed, outputsOf } from './decision.js';
import type { DecideContext, Decision, DecisionMachine, LogEvent, MachineEvent, MachineState, Subject } from './decision-types.js';

/** The decision-relevant part of a legacy update. rfid: canonical code, or null for no card. */
export interface LegacyUpdate {
  oops: boolean;
  rfid: string | null;
  /** Seconds since the unit booted. */
  uptime: number;
  /** The uptime of the previous update, null when none is stored. */
  prev_uptime: number | null;
  /**
   * The button was up in the previous update (a new press): logged even on an oopsed machine,
   * as dm_mac does. A button still held from the previous update is not logged again.
   */
  fresh_press?: boolean;
}

/** A legacy update's decision; touched: it changed something (dm_mac's `last_update` moves). */
export interface LegacyDecision extends Decision {
  touched: boolean;
}

function safeLookup(lookup: (fob: string) => Subject | null, fob: string | null): Subject | null {
  if (fob === null) return null;
  try {
    const s = lookup(fob);
    return s !== null && typeof s === 'object' ? s : null;
  } catch (e) {
    return null; // a lookup that fails treats the fob as unknown: fail closed
  }
}

/** The steps of one legacy update so far: the latest decision and every step's log events. */
interface Steps {
  machine: DecisionMachine;
  ctx: DecideContext;
  d: Decision;
  log: LogEvent[];
}

/**
 * One step of the update (a module-level function, not a closure per update: the server applies
 * an update on every heartbeat).
 */
function step(s: Steps, event: MachineEvent, subject: Subject | null): void {
  s.d = decide(s.machine, s.d.state, event, subject, s.ctx);
  for (let i = 0; i < s.d.log.length; i++) s.log.push(s.d.log[i]);
}

/** Apply one legacy update: the resulting state and outputs, and every step's log events. */
export function applyLegacyUpdate(
  machine: DecisionMachine,
  state: MachineState,
  update: LegacyUpdate,
  lookup: (fob: string) => Subject | null,
  ctx: DecideContext,
): LegacyDecision {
  let touched = false;
  const u: any = update;
  if (u === null || typeof u !== 'object') {
    const c: any = ctx;
    const f = failClosed(machine, state, c !== null && typeof c === 'object' && typeof c.now === 'number' ? c.now : 0, 'update is not an object');
    return { state: f.state, outputs: f.outputs, log: f.log, touched: false };
  }
  const s: Steps = { machine: machine, ctx: ctx, d: { state: state, outputs: outputsOf(machine, state), log: [] }, log: [] };
  const rfid: string | null = typeof u.rfid === 'string' && u.rfid !== '' ? u.rfid : null;
  let startRfid: string | null;
  try {
    startRfid = cleanState(state).rfid;
  } catch (e) {
    startRfid = null;
  }
  // 2. reboot: uptime went backwards. The card in the reader is kept as seen, not inserted.
  if (typeof u.uptime === 'number' && typeof u.prev_uptime === 'number' && u.uptime < u.prev_uptime) {
    step(s, { type: 'reboot', rfid: rfid }, null);
  }
  // 3. oops button (pressed counts as a change, held or not; a new press is always logged)
  if (u.oops === true) {
    step(s, { type: 'oops_pressed', fresh: u.fresh_press === true }, safeLookup(lookup, s.d.state.rfid));
    touched = true;
  }
  // 4/5. card change (an always-enabled machine only audits it), 6. else config drift
  const prev = s.d.state.rfid;
  if (rfid !== prev) {
    if (rfid === null) step(s, { type: 'card_removed' }, safeLookup(lookup, prev));
    else step(s, { type: 'card_inserted', fob: rfid }, safeLookup(lookup, rfid));
    touched = true;
  } else {
    const relay = s.d.state.relay;
    const look = s.d.state.look;
    step(s, { type: 'config_changed' }, null);
    if (s.d.state.relay !== relay || s.d.state.look !== look) touched = true;
  }
  // a card that arrived with the reboot is kept as seen, but the reader did change
  if (rfid !== startRfid) touched = true;
  return { state: s.d.state, outputs: s.d.outputs, log: s.log, touched: touched };
}
