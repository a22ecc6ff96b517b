// Shapes of the two config files (dm_mac's users.json and machines.json, plus fobgate's own
// optional additive keys), after parsing and validation by config.ts (Node side); the decision
// and the authorization list on the chip use these types too.

/**
 * Hours a unit goes on deciding from its cached list without a successful sync before it only
 * starts override sessions: machines.json's default for `offline_grace_hours`, and the unit's
 * own when it has no list yet.
 */
export const DEFAULT_OFFLINE_GRACE_HOURS = 72;

/** One relay's rules: the main relay or a machine's `second_relay` block. */
export interface RelayConfig {
  /** Holding any one of these authorizations suffices. */
  authorizations_or: string[];
  /** Let anyone run it, but warn. */
  unauthorized_warn_only: boolean;
  /** On without a card unless oopsed/locked out. */
  always_enabled: boolean;
  alias: string | null;
  /** alias, or the machine name. */
  display_name: string;
}

export interface MachineConfig extends RelayConfig {
  name: string;
  second_relay: RelayConfig | null;
  // ---- fobgate additive keys (optional in machines.json; defaults keep dm_mac behaviour) ----
  /** Hours without a successful sync after which a unit only starts override sessions. Default DEFAULT_OFFLINE_GRACE_HOURS. */
  offline_grace_hours: number;
  /** Membership expiry check: null (default, like dm_mac) = never; n = deny n days after expiration_ymd. */
  expiry_grace_days: number | null;
  /** Whether unsigned dm_mac/ESPHome updates are accepted for this machine. Default true. */
  legacy_updates: boolean;
}

/** Machines keyed by name, plus their order in the file (no Map on the chip: see docs/on-chip.md). */
export interface MachinesConfig {
  names: string[];
  byName: { [name: string]: MachineConfig };
}

export interface UserRecord {
  account_id: string;
  full_name: string;
  first_name: string;
  last_name: string;
  preferred_name: string;
  email: string;
  /** YYYY-MM-DD */
  expiration_ymd: string;
  /** Canonical 10-digit codes. */
  fob_codes: string[];
  authorizations: string[];
  oops_override: boolean;
}

/** One problem found in a config file: `users.json: /3/fob_codes/0 (line 9): must contain only digits`. */
export interface ConfigIssue {
  file: string;
  /** JSON pointer, e.g. /lathe/second_relay/authorizations_or ("" for the whole document). */
  path: string;
  message: string;
  /** 1-based line in the source text when the input was text (JSON files, CSV rows). */
  line?: number;
  /** 1-based column, for JSON syntax errors. */
  column?: number;
}

export type Parsed<T> =
  | { ok: true; value: T; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[]; warnings: ConfigIssue[] };
