// The server's persistent state as small documents: one per machine (its mirrored decision state,
// telemetry and uptime, its unit's key, counter, acknowledged event seq and pending commands, its
// lifetime save-timeout count) and one for the server's globals (list version, command ids).
// Each document is a lowdb `Low` whose writes go through its bounded saver (single flight,
// coalescing, a budget: per machine, as dm_mac's per-machine state files) to the state journal
// (group commit), so a save costs one machine's document whatever the fleet's size.
// Reading never creates a record: `machine()` answers null for a machine never seen,
// `ensureMachine()` is for the paths that change it. An old single `state.json` is migrated once.
import { join } from 'node:path';
import { Low } from 'lowdb';
import { BoundedSaver, SaveOutcomeError, type CallerDeadline, type DocAdapter, type SaveOutcome, type SetTimer } from './bounded-save.js';
import { StateJournal, type WriteGate } from './state-journal.js';
import { migrateStateFile } from './state-migration.js';
import { sameJson } from './same-json.js';
import {
  SERVER_KEY,
  emptyServerDoc,
  emptyTelemetry,
  machineKey,
  newMachineRecord,
  type MachineDoc,
  type MachineRecord,
  type PendingUnit,
  type ServerDoc,
  type UnitRecord,
} from './state-documents.js';

// The documents' shapes live in state-documents.ts (the migration reads them too); they are
// re-exported here for the store's users.
export type { Telemetry, MachineKind, MachineRecord, UnitRecord, PendingUnit, MachineDoc, ServerDoc, PersistedState } from './state-documents.js';
export { emptyServerDoc, emptyTelemetry, newMachineRecord, SERVER_KEY, machineKey } from './state-documents.js';

export type SaveResult = SaveOutcome;

export interface StoreOptions {
  /** Folder of the state journal (MACHINE_STATE_DIR). */
  stateDir: string;
  /** Per-waiter save budget, ms (2000). */
  budgetMs: number;
  /** Called with the duration of every document write that became durable (seconds). */
  onSaveDuration?: (seconds: number) => void;
  /** Timer for flushing changes that did not warrant a write (counters, uptime), ms; 0 = never. */
  idleFlushMs?: number;
  /** Awaited before every journal write (tests and the benchmark stall the disk with it). */
  beforeWrite?: WriteGate;
  /** Journal size that triggers a compaction (default 8 MiB). */
  compactAtBytes?: number;
  /** Budget timers (tests pass a fake). */
  setTimer?: SetTimer;
}

export interface StoreStats {
  /** Document writes asked of the journal (a heartbeat that changes nothing asks none). */
  docWrites: number;
  /** Longest the main thread spent in one document write (serialise + queue), ms. */
  longestSyncMs: number;
  /** Document writes whose synchronous part took over 2 ms (wall clock: a busy machine preempts). */
  slowSyncSteps: number;
  journal: ReturnType<StateJournal['stats']>;
}

/** A document: its Low, its saver, and what is known about its saves. */
interface Doc<T> {
  low: Low<T>;
  saver: BoundedSaver<T>;
  /** The document's data as it is when its write starts (made once, not per save). */
  snapshot: () => T;
  dirty: boolean;
  calls: number;
  savedCall: number;
}

/**
 * Writes `doc` through its saver (straight, not through Low.write and an adapter: two promises
 * less per save). Never rejects: the outcome says what happened. With `own`, the caller
 * bounds its wait itself (see BoundedSaver.save).
 */
function writeDoc<T>(doc: Doc<T>, own?: CallerDeadline): Promise<SaveResult> {
  doc.dirty = false;
  const call = ++doc.calls;
  return doc.saver.save(doc.snapshot, own).then((outcome) => {
    if (outcome === 'saved') {
      if (call > doc.savedCall) doc.savedCall = call;
    } else doc.dirty = true;
    return outcome;
  });
}

const SAVED: Promise<SaveResult> = Promise.resolve('saved');

function worst(results: SaveResult[]): SaveResult {
  if (results.includes('error')) return 'error';
  if (results.includes('timeout')) return 'timeout';
  return 'saved';
}

/** Chunk of dirty documents serialised per event-loop turn by the housekeeping flush. */
const FLUSH_CHUNK = 64;

export class Store {
  readonly journalPath: string;
  private readonly journal: StateJournal;
  private readonly opts: StoreOptions;
  private readonly server: Doc<ServerDoc>;
  /**
   * A copy of the globals as last handed to their writer. Callers change the globals in place
   * (`data`), so a save compares them with this copy field by field; serialising them on every
   * save to compare texts was ~2 % of the main thread's instructions per state change.
   */
  private serverSaved: unknown;
  private readonly machines = new Map<string, Doc<MachineDoc>>();
  private docWrites = 0;
  private durationObserver: ((seconds: number) => void) | null;
  /** Longest synchronous part of one document write (serialise + queue), ms. */
  private longestSyncMs = 0;
  private slowSyncSteps = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(journal: StateJournal, opts: StoreOptions) {
    this.journal = journal;
    this.journalPath = journal.path;
    this.opts = opts;
    this.durationObserver = opts.onSaveDuration ?? null;
    this.server = this.makeDoc<ServerDoc>(SERVER_KEY, emptyServerDoc());
    this.serverSaved = null;
    const idle = opts.idleFlushMs ?? 60000;
    if (idle > 0) {
      this.idleTimer = setInterval(() => void this.flushDirty(), idle);
      this.idleTimer.unref();
    }
  }

  /** Opens the journal in `stateDir` (migrating an old state.json once) and reads every document. */
  static async open(opts: StoreOptions): Promise<Store> {
    const path = join(opts.stateDir, 'state.journal');
    await migrateStateFile(opts.stateDir, path);
    const journal = await StateJournal.open(path, { beforeWrite: opts.beforeWrite, compactAtBytes: opts.compactAtBytes });
    const store = new Store(journal, opts);
    await store.server.low.read();
    store.server.low.data = normalizeServer(store.server.low.data);
    store.serverSaved = structuredClone(store.server.low.data);
    for (const key of journal.keys('machine/')) {
      const doc = store.makeDoc<MachineDoc>(key, emptyMachineDoc());
      await doc.low.read();
      doc.low.data = normalizeMachine(doc.low.data);
      store.machines.set(key.slice('machine/'.length), doc);
    }
    return store;
  }

  private makeDoc<T>(key: string, initial: T): Doc<T> {
    const journal = this.journal;
    const file: DocAdapter<T> = {
      read: async () => journal.read(key) as T | null,
      write: (data: T) => {
        this.docWrites++;
        const began = performance.now();
        const done = journal.write(key, JSON.stringify(data));
        const took = performance.now() - began;
        if (took > this.longestSyncMs) this.longestSyncMs = took;
        if (took > 2) this.slowSyncSteps++;
        return done;
      },
    };
    const saver = new BoundedSaver<T>({
      adapter: file,
      budgetMs: this.opts.budgetMs,
      setTimer: this.opts.setTimer,
      onWrite: (ms, outcome) => {
        if (outcome === 'saved' && this.durationObserver) this.durationObserver(ms / 1000);
      },
    });
    // Low.write (lowdb's own API) goes through the same saver
    const adapter: DocAdapter<T> = {
      read: file.read,
      write: async (data: T) => {
        const outcome = await saver.save(() => data);
        if (outcome !== 'saved') throw new SaveOutcomeError(outcome, saver.stats().lastError);
      },
    };
    const low = new Low<T>(adapter, initial);
    return { low, saver, snapshot: () => low.data, dirty: false, calls: 0, savedCall: 0 };
  }

  /** Tells `fn` the duration (seconds) of every document write that became durable (the metrics). */
  observeSaveDuration(fn: (seconds: number) => void): void {
    this.durationObserver = fn;
  }

  /** The server's globals (list version, config digest, command ids); saved with the next save. */
  get data(): ServerDoc {
    return this.server.low.data;
  }

  /** A machine's record, or null for a machine never seen. Never creates one. */
  machine(name: string): MachineRecord | null {
    const doc = this.machines.get(name);
    return doc ? doc.low.data.record : null;
  }

  /** A machine's record, created (idle) for a machine seen for the first time. */
  ensureMachine(name: string): MachineRecord {
    const doc = this.docOf(name);
    if (!doc.low.data.record) doc.low.data.record = newMachineRecord();
    return doc.low.data.record;
  }

  /** Names of the machines that have a document. */
  machineNames(): string[] {
    return Array.from(this.machines.keys());
  }

  unit(name: string): UnitRecord | null {
    const doc = this.machines.get(name);
    return doc ? doc.low.data.unit : null;
  }

  setUnit(name: string, unit: UnitRecord): void {
    this.docOf(name).low.data.unit = unit;
  }

  /** Lifetime save timeouts of every machine that had any. */
  saveTimeouts(): { [name: string]: number } {
    const out: { [name: string]: number } = {};
    for (const [name, doc] of this.machines) if (doc.low.data.save_timeouts > 0) out[name] = doc.low.data.save_timeouts;
    return out;
  }

  setSaveTimeouts(name: string, count: number): void {
    this.docOf(name).low.data.save_timeouts = count;
  }

  private docOf(name: string): Doc<MachineDoc> {
    let doc = this.machines.get(name);
    if (!doc) {
      doc = this.makeDoc<MachineDoc>(machineKey(name), emptyMachineDoc());
      this.machines.set(name, doc);
    }
    return doc;
  }

  /** The machine's registered unit whose key has not signed a request yet, or null. */
  pendingUnit(name: string): PendingUnit | null {
    const doc = this.machines.get(name);
    return doc ? doc.low.data.pending_unit : null;
  }

  /** Sets (or with null, drops) the machine's pending unit. */
  setPendingUnit(name: string, pending: PendingUnit | null): void {
    if (pending) this.docOf(name).low.data.pending_unit = pending;
    else {
      const doc = this.machines.get(name);
      if (doc) doc.low.data.pending_unit = null;
    }
  }

  /** A change of `name` (or of the globals) worth keeping but not worth a write of its own. */
  markDirty(name?: string): void {
    if (name === undefined) {
      this.server.dirty = true;
      return;
    }
    const doc = this.machines.get(name);
    if (doc) doc.dirty = true;
  }

  /**
   * Makes machine `name`'s document (null: none) and the globals, when they changed, durable;
   * resolves 'timeout' past the budget (the write carries on) or 'error' when it failed.
   * With `own`, the caller races the result with its own deadline (the request's save budget,
   * save-budget.ts) and expires `own` when it passes, so the savers keep no budget of their own
   * for it: one timer per save.
   */
  save(name: string | null, own?: CallerDeadline): Promise<SaveResult> {
    let mine: Promise<SaveResult> | null = null;
    if (name !== null) {
      const doc = this.machines.get(name);
      if (doc) mine = writeDoc(doc, own);
    }
    let globals: Promise<SaveResult> | null = null;
    if (this.server.dirty || !sameJson(this.server.low.data, this.serverSaved)) {
      this.serverSaved = structuredClone(this.server.low.data);
      globals = writeDoc(this.server, own);
    } else if (this.server.savedCall < this.server.calls) {
      // the globals are as last written but that write is not on disk yet: wait for it (it may
      // carry what this caller changed), within this caller's budget, instead of queueing another
      // write of the same text behind it (under steady saves every machine's save waited for a
      // follow-up write of the globals: two group commits instead of one)
      globals = this.server.saver.settled(own);
    }
    if (globals === null) return mine ?? SAVED;
    if (mine === null) return globals;
    return Promise.all([mine, globals]).then(worst);
  }

  /** A save of `name` (or of the globals) was asked for that is not known to be on disk. */
  unsaved(name?: string): boolean {
    const doc = name === undefined ? this.server : this.machines.get(name);
    if (!doc) return false;
    return doc.savedCall < doc.calls;
  }

  stats(): StoreStats {
    return { docWrites: this.docWrites, longestSyncMs: this.longestSyncMs, slowSyncSteps: this.slowSyncSteps, journal: this.journal.stats() };
  }

  /** Writes every dirty document, a few per event-loop turn (no long block at 2,000 machines). */
  async flushDirty(): Promise<void> {
    const waits: Promise<SaveResult>[] = [];
    let n = 0;
    for (const doc of this.machines.values()) {
      if (!doc.dirty && doc.savedCall >= doc.calls) continue;
      waits.push(writeDoc(doc));
      if (++n % FLUSH_CHUNK === 0) await new Promise<void>((r) => setImmediate(r));
    }
    waits.push(this.save(null));
    await Promise.all(waits);
  }

  /** Writes what is pending (bounded by the budget) and closes the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    await this.flushDirty();
    for (const doc of this.machines.values()) doc.saver.close();
    this.server.saver.close();
    await this.journal.close();
  }
}

function emptyMachineDoc(): MachineDoc {
  return { record: null, unit: null, pending_unit: null, save_timeouts: 0 };
}

/** Fills in whatever an older or hand-edited document lacks. */
function normalizeServer(raw: ServerDoc | null): ServerDoc {
  const base = emptyServerDoc();
  if (!raw || typeof raw !== 'object') return base;
  return Object.assign(base, raw, { format: 2 as const });
}

function normalizeMachine(raw: MachineDoc | null): MachineDoc {
  const doc = emptyMachineDoc();
  if (!raw || typeof raw !== 'object') return doc;
  if (raw.record && typeof raw.record === 'object') {
    doc.record = Object.assign(newMachineRecord(), raw.record);
    doc.record.telemetry = Object.assign(emptyTelemetry(), raw.record.telemetry);
  }
  if (raw.unit && typeof raw.unit === 'object') {
    doc.unit = raw.unit;
    if (!Array.isArray(doc.unit.commands)) doc.unit.commands = [];
  }
  if (raw.pending_unit && typeof raw.pending_unit === 'object') {
    doc.pending_unit = raw.pending_unit;
    if (!Array.isArray(doc.pending_unit.commands)) doc.pending_unit.commands = [];
    if (typeof doc.pending_unit.verified !== 'boolean') doc.pending_unit.verified = true;
  }
  if (typeof raw.save_timeouts === 'number' && raw.save_timeouts > 0) doc.save_timeouts = raw.save_timeouts;
  return doc;
}
