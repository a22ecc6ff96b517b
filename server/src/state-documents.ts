// The shapes of the server's persistent state: one document per machine (MachineDoc: its
// mirrored decision state and telemetry, its unit's key and counters, a pending unit, its save
// timeouts), one for the server's globals (ServerDoc), the journal keys they are stored under,
// and the single state.json of earlier versions (PersistedState) that state-migration.ts moves
// into the journal. Types and empty records only: the store (store.ts) keeps them.
import { initialState, type MachineState, type Outputs, type UnitCommand } from '@fobgate/shared';

export interface Telemetry {
  wifi_signal_db: number | null;
  wifi_signal_percent: number | null;
  internal_temperature_c: number | null;
  amps: number | null;
  free_vars: number | null;
}

export type MachineKind = 'fobgate' | 'legacy' | 'none';

export interface MachineRecord {
  state: MachineState;
  /** Outputs of the last decision or unit report (what the LCD/LEDs show). */
  outputs: Outputs | null;
  kind: MachineKind;
  /** Last reported uptime in seconds (reboot detection for legacy units). */
  uptime_s: number | null;
  /** Epoch ms of the last request that arrived from the machine. */
  last_checkin: number | null;
  /** Epoch ms of the last meaningful state change. */
  last_update: number | null;
  telemetry: Telemetry;
  /** second_relay_state as reported by a legacy unit (observability only). */
  second_relay_reported: boolean | null;
  firmware: string | null;
  boot_count: number | null;
  list_version_held: number | null;
  list_digest_held: string | null;
}

export interface UnitRecord {
  /** 64 hex chars; the HMAC key is these characters as bytes. */
  key: string;
  registered_at: number;
  /** Highest request counter accepted. */
  counter: number;
  /** Highest device event seq stored. */
  last_seq: number;
  /** Commands not yet acknowledged by the unit (command_ack). */
  commands: UnitCommand[];
  /** Events the unit lost to buffer overflow, as it last reported (its lifetime total). */
  dropped_events: number;
  /** Epoch ms that total last grew (absent: never). */
  dropped_at?: number;
}

/**
 * A unit key issued by registration but not yet used: it becomes the machine's key (and the
 * previous unit's key is retired) at the first request signed with it, so a flash that fails
 * never cuts off the unit already working on that machine (see unit-keys.ts).
 */
export interface PendingUnit {
  key: string;
  registered_at: number;
  /** Admin commands queued while the machine had no active unit (they go to this one). */
  commands: UnitCommand[];
  /**
   * False while the flash tool has not yet confirmed the upload (digests match): requests
   * signed with the key are refused until then, so a unit whose upload failed verification can
   * never take over the machine.
   */
  verified: boolean;
}

/** One machine's document. */
export interface MachineDoc {
  record: MachineRecord | null;
  unit: UnitRecord | null;
  /** A registered unit whose key has not signed a request yet. */
  pending_unit: PendingUnit | null;
  /** Lifetime state-save timeouts (mac_state_save_timeouts_total survives restarts). */
  save_timeouts: number;
}

/** The server's globals. */
export interface ServerDoc {
  format: 2;
  list_version: number;
  /** Epoch ms the current list version was issued (lists rebuilt after a restart are identical). */
  list_issued_at: number;
  /** Digest of users+machines config the list version was last bumped for. */
  config_digest: string;
  /** Day (YYYY-MM-DD) the lists were last built for (membership expiry). */
  list_day: string;
  next_command_id: number;
}

/** The single state.json of earlier versions (read once by the migration). */
export interface PersistedState {
  format: 1;
  list_version: number;
  list_issued_at: number;
  config_digest: string;
  list_day: string;
  next_command_id: number;
  machines: { [name: string]: MachineRecord };
  units: { [name: string]: UnitRecord };
  /** Registered units whose key has not signed a request yet, by machine. */
  pending_units?: { [name: string]: PendingUnit };
  save_timeouts: { [name: string]: number };
}

export function emptyServerDoc(): ServerDoc {
  return { format: 2, list_version: 1, list_issued_at: 0, config_digest: '', list_day: '', next_command_id: 1 };
}

export function emptyTelemetry(): Telemetry {
  return { wifi_signal_db: null, wifi_signal_percent: null, internal_temperature_c: null, amps: null, free_vars: null };
}

export function newMachineRecord(): MachineRecord {
  return {
    state: initialState(),
    outputs: null,
    kind: 'none',
    uptime_s: null,
    last_checkin: null,
    last_update: null,
    telemetry: emptyTelemetry(),
    second_relay_reported: null,
    firmware: null,
    boot_count: null,
    list_version_held: null,
    list_digest_held: null,
  };
}

/** Journal key of the server's globals and of each machine's document. */
export const SERVER_KEY = 'server';
export const machineKey = (name: string): string => `machine/${name}`;
