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

/** Apply one legacy update: the resulting state and outputs, and every step's log events. */
export function applyLegacyUpdate(
  machine: DecisionMachine,
  state: MachineState,
  update: LegacyUpdate,
  lookup: (fob: string) => Subject | null,
  ctx: DecideContext,
): LegacyDecision {
  const log: LogEvent[] = [];
  let touched = false;
  let d: Decision = { state: state, outputs: outputsOf(machine, state), log: [] };
  const step = function (event: MachineEvent, subject: Subject | null): void {
    d = decide(machine, d.state, event, subject, ctx);
    for (let i = 0; i < d.log.length; i++) log.push(d.log[i]);
  };
  const u: any = update;
  if (u === null || typeof u !== 'object') {
    const c: any = ctx;
    const f = failClosed(machine, state, c !== null && typeof c === 'object' && typeof c.now === 'number' ? c.now : 0, 'update is not an object');
    return { state: f.state, outputs: f.outputs, log: f.log, touched: false };
  }
  const rfid: string | null = typeof u.rfid === 'string' && u.rfid !== '' ? u.rfid : null;
  let startRfid: string | null;
  try {
    startRfid = cleanState(state).rfid;
  } catch (e) {
    startRfid = null;
  }
  // 2. reboot: uptime went backwards. The card in the reader is kept as seen, not inserted.
  if (typeof u.uptime === 'number' && typeof u.prev_uptime === 'number' && u.uptime < u.prev_uptime) {
    step({ type: 'reboot', rfid: rfid }, null);
  }
  // 3. oops button (pressed counts as a change, held or not; a new press is always logged)
  if (u.oops === true) {
    step({ type: 'oops_pressed', fresh: u.fresh_press === true }, safeLookup(lookup, d.state.rfid));
    touched = true;
  }
  // 4/5. card change (an always-enabled machine only audits it), 6. else config drift
  const prev = d.state.rfid;
  if (rfid !== prev) {
    if (rfid === null) step({ type: 'card_removed' }, safeLookup(lookup, prev));
    else step({ type: 'card_inserted', fob: rfid }, safeLookup(lookup, rfid));
    touched = true;
  } else {
    const relay = d.state.relay;
    const look = d.state.look;
    step({ type: 'config_changed' }, null);
    if (d.state.relay !== relay || d.state.look !== look) touched = true;
  }
  // a card that arrived with the reboot is kept as seen, but the reader did change
  if (rfid !== startRfid) touched = true;
  return { state: d.state, outputs: d.outputs, log: log, touched: touched };
}
