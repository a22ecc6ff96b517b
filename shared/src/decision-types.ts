// Shapes of the decision state machine (decision.ts): one pure function
// (machine config, machine state, event, subject for a fob or none, context) -> (state, outputs, log).

/** A named look of the unit (dm_mac's table, plus fobgate's `stale`). */
export type Look =
  | 'idle'
  | 'welcome'
  | 'unauthorized'
  | 'unknown'
  | 'oops'
  | 'locked_out'
  | 'always_on'
  | 'override'
  | 'stale' // ours: list too old (offline past the freshness deadline) and fob is not an override fob
  | 'expired'; // ours: membership expired beyond the machine's grace (difference 7)

/**
 * What the decision needs to know of a machine. `MachineConfig` (server) satisfies it, and so
 * does the machine header of an authorization list (unit).
 */
export interface DecisionMachine {
  name: string;
  display_name: string;
  unauthorized_warn_only: boolean;
  always_enabled: boolean;
  second_relay: { unauthorized_warn_only: boolean; always_enabled: boolean; display_name: string } | null;
  offline_grace_hours: number;
}

/**
 * What `subjectFor` needs of a machine: `MachineConfig` (config-types.ts) satisfies it.
 * expiry_grace_days null/absent = never expired (dm_mac's behaviour, difference 7).
 */
export interface SubjectMachine {
  authorizations_or: string[];
  second_relay: { authorizations_or: string[] } | null;
  expiry_grace_days?: number | null;
}

/** The second relay's verdict for the running session. */
export type SecondRelayMode = 'off' | 'always' | 'granted' | 'warn' | 'denied';

/**
 * The holder of a fob as one machine sees it: derived once from a UserRecord (server) or from an
 * authorization-list entry (unit) by `subjectFor` / `subjectFromEntry`. The decision never looks
 * at authorization strings, only at these flags, so both places decide identically.
 */
export interface Subject {
  /** Canonical 10-digit fob code. */
  fob: string;
  /** account_id when known (server); '' on a unit. */
  account_id: string;
  /** preferred_name, for the LCD (ASCII, cut to 16). */
  name: string;
  /** full_name for audit/Slack (on a unit: same as name). */
  full_name: string;
  /** Holds one of the main relay's authorizations_or. */
  main: boolean;
  /** Holds one of the second relay's authorizations_or. */
  second: boolean;
  /** oops_override: may run an oopsed or locked-out machine. */
  override: boolean;
  /** Membership expired beyond the machine's grace (only when expiry checking is on). */
  expired: boolean;
}

export interface MachineState {
  oopsed: boolean;
  locked_out: boolean;
  /** A lockout that waits for the running session to end (fobgate units, cut=false). */
  lockout_pending: boolean;
  /** Who asked for the pending lockout ('' when none); logged when it takes effect. */
  lockout_by?: string;
  /** Canonical fob currently in the reader, or null. */
  rfid: string | null;
  rfid_since: number | null;
  /** The running session's holder, or null. */
  user: Subject | null;
  /**
   * The known member whose card is in the reader of an always-enabled machine running always-on
   * (no session there; dm_mac still tracks them as its current user): the known-user metric and
   * the second relay's verdict follow them. null otherwise.
   */
  holder: Subject | null;
  /** Running session is an override session. */
  override: boolean;
  session_start: number | null;
  relay: boolean;
  second_relay: boolean;
  second_mode: SecondRelayMode;
  look: Look;
  /** Name shown by welcome/override looks (kept so a restart restores the exact text). */
  look_name: string;
}

export interface Outputs {
  relay: boolean;
  second_relay: boolean;
  /** Two lines joined by "\n" (dm_mac's exact strings). */
  display: string;
  oops_led: boolean;
  status_led_rgb: [number, number, number];
  status_led_brightness: number;
}

export type OopsSource = 'button' | 'admin' | 'api';

export type MachineEvent =
  | { type: 'card_inserted'; fob: string }
  | { type: 'card_removed' }
  /**
   * fresh: the button went down since the last report (a legacy unit reports its button state
   * with every update); a fresh press is logged even on an oopsed machine, a held one is not.
   */
  | { type: 'oops_pressed'; fresh?: boolean }
  /** rfid: the card in the reader as seen at boot (kept, not treated as an insertion); absent = keep state.rfid. */
  | { type: 'reboot'; rfid?: string | null }
  | { type: 'admin_oops'; by: string; source: OopsSource }
  | { type: 'admin_clear_oops'; by: string }
  /** cut: end a running session now (dm_mac's legacy route does); otherwise at the next insertion. */
  | { type: 'admin_lockout'; by: string; cut: boolean }
  | { type: 'admin_unlock'; by: string }
  | { type: 'config_changed' };

export type DenyReason = 'unknown' | 'unauthorized' | 'oopsed' | 'locked_out' | 'expired' | 'stale_list';
/**
 * error: a malformed event or state made the decision fail closed. cleared: an admin cleared the
 * oops or lockout an override session was running under.
 */
export type SessionEndReason = 'removed' | 'oops' | 'reboot' | 'swap' | 'lockout' | 'config' | 'cleared' | 'error';

export type LogEvent =
  /** authorized=false: a warn-only machine let a member without the authorization run it. */
  | { type: 'session_start'; at: number; fob: string; account_id: string; full_name: string; override: boolean; authorized: boolean }
  | { type: 'session_end'; at: number; fob: string; account_id: string; full_name: string; duration_ms: number; reason: SessionEndReason; override: boolean }
  /** blocked: the machine was oopsed or locked out at the time (nothing changed on it). */
  | { type: 'denied'; at: number; fob: string; account_id: string | null; full_name: string | null; reason: DenyReason; blocked?: boolean }
  /**
   * A card left the reader with no session running on it (an unknown or refused card, or one whose
   * session an oops, lockout, reboot or clear already ended); held_ms: since it was inserted.
   */
  | { type: 'card_removed'; at: number; fob: string; held_ms: number }
  /**
   * by: full_name of the member at the machine, 'unknown user' when none, or the admin.
   * fob: the card in the reader at the press ('' or absent: none).
   */
  | { type: 'oops'; at: number; source: OopsSource; by: string; fob?: string }
  | { type: 'oops_cleared'; at: number; by: string }
  | { type: 'locked_out'; at: number; by: string; pending: boolean }
  | { type: 'unlocked'; at: number; by: string }
  | { type: 'reboot'; at: number }
  | { type: 'second_relay'; at: number; mode: SecondRelayMode; fob: string }
  /** An always-enabled machine only records card changes (dm_mac rule 4); inserted=false is a removal. */
  | { type: 'card_audit'; at: number; fob: string; account_id: string | null; full_name: string | null; inserted: boolean }
  /** A malformed event/state was refused; the machine failed closed (relays off). */
  | { type: 'error'; at: number; message: string };

export interface DecideContext {
  /** Epoch ms (or the unit's monotonic ms before its clock is set). */
  now: number;
  /** Unit only: the cached list is past the machine's freshness deadline. */
  list_stale?: boolean;
}

export interface Decision {
  state: MachineState;
  outputs: Outputs;
  log: LogEvent[];
}
