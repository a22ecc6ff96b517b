// The server's persistent state (lowdb): every machine's mirrored decision state, telemetry and
// uptime, every registered unit's key, counter, acknowledged event seq and pending commands, and
// the global list version. Saved as one state.json through the bounded saver (single flight,
// coalescing, per-waiter budget) over the atomic-file adapter.
import { join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { initialState, type MachineState, type Outputs, type UnitCommand } from '@fobgate/shared';
import { BoundedSaver, type SaveOutcome } from './bounded-save.js';
import { createAtomicFileAdapter } from './atomic-file.js';

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
  dropped_events: number;
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

export interface PersistedState {
  format: 1;
  list_version: number;
  /** Epoch ms the current list version was issued (lists rebuilt after a restart are identical). */
  list_issued_at: number;
  /** Digest of users+machines config the list version was last bumped for. */
  config_digest: string;
  /** Day (YYYY-MM-DD) the lists were last built for (membership expiry). */
  list_day: string;
  next_command_id: number;
  machines: { [name: string]: MachineRecord };
  units: { [name: string]: UnitRecord };
  /** Registered units whose key has not signed a request yet, by machine. */
  pending_units: { [name: string]: PendingUnit };
  /** Lifetime state-save timeouts per machine (the timeout tracker's counts). */
  save_timeouts: { [name: string]: number };
}

export function emptyState(): PersistedState {
  return { format: 1, list_version: 1, list_issued_at: 0, config_digest: '', list_day: '', next_command_id: 1, machines: {}, units: {}, pending_units: {}, save_timeouts: {} };
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

export type SaveResult = SaveOutcome;

interface SaveObservers {
  duration: ((seconds: number) => void) | null;
}

export interface StoreOptions {
  /** Folder of state.json (MACHINE_STATE_DIR). */
  stateDir: string;
  /** Per-waiter save budget, ms (2000). */
  budgetMs: number;
  /** Replace the file adapter (tests count or stall writes through it). */
  adapter?: Adapter<PersistedState>;
  /** Called with the duration of every state-file write that finished (seconds). */
  onSaveDuration?: (seconds: number) => void;
  /** Timer for flushing changes that did not warrant a write (counters, uptime), ms; 0 = never. */
  idleFlushMs?: number;
}

export class Store {
  readonly path: string;
  data: PersistedState;
  private saver: BoundedSaver<PersistedState>;
  private dirty = false;
  /** save() calls so far, and the latest of them known to have reached the disk. */
  private saveCalls = 0;
  private savedCall = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly observers: SaveObservers;

  private constructor(path: string, data: PersistedState, saver: BoundedSaver<PersistedState>, opts: StoreOptions, observers: SaveObservers) {
    this.path = path;
    this.data = data;
    this.saver = saver;
    this.observers = observers;
    const idle = opts.idleFlushMs ?? 60000;
    if (idle > 0) {
      this.idleTimer = setInterval(() => {
        if (this.dirty) void this.save();
      }, idle);
      this.idleTimer.unref();
    }
  }

  /** Reads state.json (or starts empty) and returns a store saving back to it. */
  static async open(opts: StoreOptions): Promise<Store> {
    const path = join(opts.stateDir, 'state.json');
    const adapter = opts.adapter ?? createAtomicFileAdapter<PersistedState>(path);
    const low = new Low<PersistedState>(adapter, emptyState());
    await low.read();
    const data = normalize(low.data);
    const observers: SaveObservers = { duration: opts.onSaveDuration ?? null };
    const saver = new BoundedSaver<PersistedState>({
      adapter,
      budgetMs: opts.budgetMs,
      onWrite: (ms, outcome) => {
        if (outcome === 'saved' && observers.duration) observers.duration(ms / 1000);
      },
    });
    return new Store(path, data, saver, opts, observers);
  }

  /** Tells `fn` the duration (seconds) of every state-file write that finished (the metrics). */
  observeSaveDuration(fn: (seconds: number) => void): void {
    this.observers.duration = fn;
  }

  machine(name: string): MachineRecord {
    let m = this.data.machines[name];
    if (!m) {
      m = newMachineRecord();
      this.data.machines[name] = m;
    }
    return m;
  }

  peekMachine(name: string): MachineRecord | null {
    return this.data.machines[name] ?? null;
  }

  unit(name: string): UnitRecord | null {
    return this.data.units[name] ?? null;
  }

  setUnit(name: string, unit: UnitRecord): void {
    this.data.units[name] = unit;
  }

  pendingUnit(name: string): PendingUnit | null {
    return this.data.pending_units[name] ?? null;
  }

  /** Sets (or with null, drops) the machine's pending unit. */
  setPendingUnit(name: string, pending: PendingUnit | null): void {
    if (pending) this.data.pending_units[name] = pending;
    else delete this.data.pending_units[name];
  }

  /** A change worth keeping but not worth a write of its own (flushed with the next save). */
  markDirty(): void {
    this.dirty = true;
  }

  /**
   * Writes the current state; resolves 'timeout' past the budget (the write carries on) or
   * 'error' when the write failed. The adapter serialises the snapshot when its write starts.
   */
  async save(): Promise<SaveResult> {
    this.dirty = false;
    const call = ++this.saveCalls;
    const result = await this.saver.save(() => this.data);
    if (result !== 'saved') this.dirty = true;
    else if (call > this.savedCall) this.savedCall = call;
    return result;
  }

  /** A save was asked for that is not known to be on disk (it timed out or failed). */
  get unsaved(): boolean {
    return this.savedCall < this.saveCalls;
  }

  /** Writes what is pending (waiting behind a write in flight, bounded) and stops the saver. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    await this.save();
    this.saver.close();
  }
}

/** Fills in whatever an older or hand-edited state file lacks. */
function normalize(raw: PersistedState | null): PersistedState {
  const base = emptyState();
  if (!raw || typeof raw !== 'object') return base;
  const data: PersistedState = Object.assign(base, raw);
  if (!data.machines || typeof data.machines !== 'object') data.machines = {};
  if (!data.units || typeof data.units !== 'object') data.units = {};
  if (!data.pending_units || typeof data.pending_units !== 'object') data.pending_units = {};
  for (const name of Object.keys(data.pending_units)) {
    const p = data.pending_units[name];
    if (!Array.isArray(p.commands)) p.commands = [];
    if (typeof p.verified !== 'boolean') p.verified = true;
  }
  if (!data.save_timeouts || typeof data.save_timeouts !== 'object') data.save_timeouts = {};
  for (const name of Object.keys(data.machines)) {
    data.machines[name] = Object.assign(newMachineRecord(), data.machines[name]);
    data.machines[name].telemetry = Object.assign(emptyTelemetry(), data.machines[name].telemetry);
  }
  for (const name of Object.keys(data.units)) {
    const u = data.units[name];
    if (!Array.isArray(u.commands)) u.commands = [];
  }
  return data;
}
