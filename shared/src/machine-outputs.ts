// What a state shows and drives: the six dm_mac outputs (relay, second relay, LCD text, oops LED,
// status LED colour and brightness) and the second relay's verdict.
// Espruino- and Lua-safe like the decision (decision.ts): no bitwise operators, no
// destructuring/spread/default params/Map/Set.
import type { DecisionMachine, Look, MachineState, Outputs, SecondRelayMode } from './decision-types.js';
import { cleanState, initialState } from './machine-state.js';
import {
  DISPLAY_ALWAYS_ON,
  DISPLAY_EXPIRED,
  DISPLAY_IDLE,
  DISPLAY_LOCKED_OUT,
  DISPLAY_OOPS,
  DISPLAY_STALE,
  DISPLAY_UNAUTHORIZED,
  DISPLAY_UNKNOWN,
  LOCKOUT_PENDING_PREFIX,
  OVERRIDE_PREFIX,
  WELCOME_PREFIX,
} from './lcd-text.js';

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
export function secondModeOf(machine: DecisionMachine, s: MachineState): SecondRelayMode {
  if (!s.relay || !hasSecondRelay(machine)) return 'off';
  const sr: any = machine.second_relay;
  if (sr.always_enabled === true) return 'always';
  const person = s.user !== null ? s.user : s.holder;
  if (person === null || person === undefined) return 'off';
  if (person.second === true) return 'granted';
  if (sr.unauthorized_warn_only === true) return 'warn';
  return 'denied';
}

export function secondOn(mode: SecondRelayMode): boolean {
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
export function outputsOfClean(machine: DecisionMachine, s: MachineState): Outputs {
  return {
    relay: s.relay,
    second_relay: s.relay && s.second_relay && hasSecondRelay(machine),
    display: displayOf(s),
    oops_led: s.oopsed,
    status_led_rgb: rgbOf(s.look),
    status_led_brightness: s.look === 'idle' ? 0 : 0.5,
  };
}
