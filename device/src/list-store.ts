// The authorization list in flash, and receiving a new one into it (docs/list-transfer.md).
//
// Two slots, each one list file (`fgla`/`fglb`, the list exactly as the server built it) and its
// signature (`fglas`/`fglbs`); a two-file pointer record names the slot in force. Lookups read
// the records where they lie (Storage.read is flash-mapped on the chip), so RAM does not grow
// with the list. A new list is received into the inactive slot as it arrives, whatever route the
// bytes took (inline in a sync answer or a streamed download) and whatever they are (the full
// list, or a delta merged with the held list straight from flash), in pieces of about 1 KB.
// Then it is checked over what flash holds: its line 1 carries the announced digest and the
// announced signature signs it, the content hashes to that digest (a few pieces per tick, so
// fobs and the oops button are served meanwhile), it is for this machine and newer. Only then is
// the slot signed and the pointer switched; a power cut at any point leaves the held list.
import {
  DeltaMerge, DigestJob, FullListCheck, LINE1_BYTES, checkMachine, checkNewer, checkSignature, line1Of, openList,
  sha256HexWith,
} from '@fobgate/shared';
import type { AuthList, HmacHex, ListUpdate, RawSha256, SharedError } from '@fobgate/shared';
import type { FlashStore, Timers, TimerId } from './hal.js';
import { DurableRecord } from './durable-record.js';

export const LIST_POINTER_FILE = 'fglp';
/** Slot files: `fgl` + slot (the list file), + `s` (its signature). */
export const LIST_FILE_PREFIX = 'fgl';
/** Bytes gathered in RAM before a flash write (small pieces of a merge go out together). */
export const WRITE_PIECE = 1024;
/** Digest pieces (2 KB each) hashed per tick while a received list is checked. */
export const VERIFY_PIECES_PER_TICK = 8;

/**
 * Writes `data` at `offset` of a file of `size` bytes, created by the write at offset 0
 * (Espruino's `Storage.write(name, data, offset, size)`); false when flash refused it.
 */
export type FlashWriteAt = (name: string, data: string, offset: number, size: number) => boolean;

interface Pointer {
  slot: string;
  version: number;
}

export interface AcceptResult {
  /** A new list is in force. */
  applied: boolean;
  version: number;
  /** Why the update was refused (null when applied or when it was the list already held). */
  error: SharedError | null;
}

function storeError(message: string): SharedError {
  return { code: 'LIST_MALFORMED', message: message };
}

/** The new slot's file, written in order from offset `at`, small pieces gathered in RAM. */
class SlotWriter {
  private writeAt: FlashWriteAt;
  private file: string;
  size = 0;
  at = 0;
  private pending = '';

  constructor(writeAt: FlashWriteAt, file: string) {
    this.writeAt = writeAt;
    this.file = file;
  }

  /** Creates the file of `size` bytes with its first piece. */
  create(first: string, size: number): boolean {
    this.size = size;
    this.at = first.length;
    this.pending = '';
    return this.writeAt(this.file, first, 0, size);
  }

  put(piece: string): boolean {
    if (this.at + this.pending.length + piece.length > this.size) return false;
    if (this.pending.length + piece.length > WRITE_PIECE && !this.flush()) return false;
    if (piece.length >= WRITE_PIECE) {
      // a run copied from the held list: flash to flash, never gathered in RAM
      const ok = this.writeAt(this.file, piece, this.at, this.size);
      this.at += piece.length;
      return ok;
    }
    this.pending += piece;
    return true;
  }

  flush(): boolean {
    if (this.pending.length === 0) return true;
    const ok = this.writeAt(this.file, this.pending, this.at, this.size);
    this.at += this.pending.length;
    this.pending = '';
    return ok;
  }
}

/** A list update being received into the inactive slot. */
interface Transfer {
  u: ListUpdate;
  slot: string;
  /** Bytes of the update received so far. */
  at: number;
  full: FullListCheck | null;
  merge: DeltaMerge | null;
  out: SlotWriter;
  error: SharedError | null;
}

export class ListStore {
  private store: FlashStore;
  private key: string;
  private hmac: HmacHex;
  private sha256Hex: (s: string) => string;
  private machine: string;
  private writeAt: FlashWriteAt | null;
  private timers: Timers;
  private pointer: DurableRecord<Pointer>;
  private slot = '';
  private list: AuthList | null = null;
  private t: Transfer | null = null;
  /** The check of a received list running in ticks. */
  private verifying: { job: DigestJob; timer: TimerId | null } | null = null;

  constructor(store: FlashStore, key: string, hmac: HmacHex, sha256: RawSha256, machine: string, writeAt: FlashWriteAt | null, timers: Timers) {
    this.store = store;
    this.key = key;
    this.hmac = hmac;
    this.sha256Hex = sha256HexWith(sha256);
    this.machine = machine;
    this.writeAt = writeAt;
    this.timers = timers;
    this.pointer = new DurableRecord<Pointer>(store, LIST_POINTER_FILE);
  }

  /** The list in force (its text is the slot's file, read in place), or null. */
  current(): AuthList | null {
    return this.list;
  }

  version(): number {
    return this.list ? this.list.version : 0;
  }

  digest(): string {
    return this.list ? this.list.digest : '';
  }

  /** Slot whose files hold the list in force ('' for none). */
  activeSlot(): string {
    return this.slot;
  }

  /** A list is being received or checked: another update waits until it is over. */
  busy(): boolean {
    return this.t !== null || this.verifying !== null;
  }

  /** A received list is being checked from flash (a few pieces per tick). */
  checking(): boolean {
    return this.verifying !== null;
  }

  /** Whether lists can be received here (flash written at offsets). */
  canReceive(): boolean {
    return this.writeAt !== null;
  }

  /**
   * Boot: the slot the pointer names, fully checked (signature, digest over the whole file,
   * machine); the other slot only if that one is damaged. Returns null when all is well (or there
   * is no list yet), else what was wrong.
   */
  load(): SharedError | null {
    // names files of the previous list format: their flash is free to use
    this.store.erase(LIST_FILE_PREFIX + 'an');
    this.store.erase(LIST_FILE_PREFIX + 'bn');
    const p = this.pointer.load();
    this.list = null;
    this.slot = '';
    if (!p || (p.slot !== 'a' && p.slot !== 'b')) return null;
    const first = this.readSlot(p.slot);
    if (first.list) {
      this.use(p.slot, first.list);
      return null;
    }
    const other = p.slot === 'a' ? 'b' : 'a';
    const second = this.readSlot(other);
    if (second.list) {
      this.use(other, second.list);
      this.pointer.save({ slot: other, version: second.list.version });
    }
    return first.error;
  }

  /** Reads and fully checks one slot. */
  private readSlot(slot: string): { list: AuthList | null; error: SharedError | null } {
    const file = LIST_FILE_PREFIX + slot;
    const text = this.store.read(file);
    const sig = this.store.read(file + 's');
    if (typeof text !== 'string' || typeof sig !== 'string') return { list: null, error: storeError('list slot ' + slot + ' is incomplete') };
    const r = this.opened(text, sig);
    if (r.error) return r;
    const list = r.list as AuthList;
    const job = new DigestJob(text, LINE1_BYTES, this.sha256Hex);
    job.step(text.length);
    if (job.value() !== list.digest) return { list: null, error: { code: 'LIST_DIGEST', message: 'list slot ' + slot + ': content does not match its digest (flash damaged)' } };
    return { list: list, error: null };
  }

  /** Structure, signature and machine of a list file (its digest is checked apart). */
  private opened(text: string, sig: string): { list: AuthList | null; error: SharedError | null } {
    const r = openList(text);
    if (!r.ok) return { list: null, error: r.error };
    const s = checkSignature(r.value.digest, sig, this.key, this.hmac);
    if (!s.ok) return { list: null, error: s.error };
    const m = checkMachine(r.value, this.machine);
    if (!m.ok) return { list: null, error: m.error };
    return { list: r.value, error: null };
  }

  private use(slot: string, list: AuthList): void {
    this.slot = slot;
    this.list = list;
  }

  // ---- receiving ----

  /**
   * Starts receiving `u` (its bytes come through feed) into the inactive slot: that slot's
   * signature and file are erased first, so it is invalid until checked. Returns why it cannot
   * start, or null.
   */
  begin(u: ListUpdate): SharedError | null {
    if (this.busy()) return storeError('another list is being received');
    if (!this.writeAt) return storeError('flash cannot be written at offsets here: lists cannot be received');
    if (u.kind === 'delta' && (!this.list || u.from !== this.list.version)) {
      return { code: 'DELTA_WRONG_BASE', message: 'a delta from v' + u.from + ' arrived, the held list is v' + this.version() };
    }
    const slot = this.slot === 'a' ? 'b' : 'a';
    const file = LIST_FILE_PREFIX + slot;
    this.store.erase(file + 's');
    this.store.erase(file);
    const out = new SlotWriter(this.writeAt, file);
    const t: Transfer = { u: u, slot: slot, at: 0, full: null, merge: null, out: out, error: null };
    if (u.kind === 'full') t.full = new FullListCheck(u.digest, u.bytes);
    else {
      const line1 = line1Of(u.digest) + '\n';
      t.merge = new DeltaMerge(this.list as AuthList, {
        begin: (bodyBytes) => out.create(line1, LINE1_BYTES + bodyBytes),
        write: (piece) => out.put(piece),
      });
    }
    this.t = t;
    return null;
  }

  /** The next piece of the update at `offset`; false once the transfer failed (see failure()). */
  feed(chunk: string, offset: number): boolean {
    const t = this.t;
    if (!t) return false;
    if (t.error) return false;
    if (typeof chunk !== 'string' || offset !== t.at || t.at + chunk.length > t.u.bytes) {
      t.error = storeError('list bytes arrived out of order or beyond the announced ' + t.u.bytes);
      return false;
    }
    if (chunk.length === 0) return true;
    if (t.full) {
      if (!t.full.feed(chunk)) {
        t.error = t.full.error();
        return false;
      }
      const size = t.u.bytes;
      const ok = t.at === 0 ? t.out.create(chunk, size) : t.out.put(chunk);
      if (!ok) {
        t.error = storeError('flash refused the new list (' + size + ' bytes; full?)');
        return false;
      }
    } else if (!(t.merge as DeltaMerge).feed(chunk)) {
      t.error = (t.merge as DeltaMerge).error();
      return false;
    }
    t.at += chunk.length;
    return true;
  }

  /** Why the transfer in progress failed (null while it is fine). */
  failure(): SharedError | null {
    return this.t ? this.t.error : null;
  }

  /** A transfer that failed or was cut off: forget it (its slot stays unsigned, never used). */
  abandon(): void {
    this.drop(this.t);
    this.t = null;
  }

  /**
   * Lets go of a transfer's parts: its merge's sink closures hold the scope that holds the
   * transfer, a cycle the interpreter frees only at its next garbage collection.
   */
  private drop(t: Transfer | null): void {
    if (!t) return;
    t.merge = null;
    t.full = null;
  }

  /**
   * All bytes arrived: completes the slot, then checks it from flash (the digest in ticks) and
   * switches to it. `done` runs exactly once, possibly before end() returns.
   */
  end(done: (r: AcceptResult) => void): void {
    const t = this.t;
    this.t = null;
    const held = this.version();
    const fail = (e: SharedError): void => done({ applied: false, version: held, error: e });
    if (!t) return fail(storeError('no list transfer in progress'));
    if (t.error) {
      this.drop(t);
      return fail(t.error);
    }
    if (t.at !== t.u.bytes) {
      this.drop(t);
      return fail(storeError('list transfer ended after ' + t.at + ' of ' + t.u.bytes + ' bytes'));
    }
    const r = t.full ? t.full.finish() : (t.merge as DeltaMerge).finish();
    this.drop(t);
    if (!r.ok) return fail(r.error);
    if (!t.out.flush() || t.out.at !== t.out.size) return fail(storeError('flash refused the new list (full?)'));
    const file = LIST_FILE_PREFIX + t.slot;
    const text = this.store.read(file);
    if (typeof text !== 'string' || text.length !== t.out.size) return fail(storeError('the new list is not in flash as written'));
    const o = this.opened(text, t.u.sig);
    if (o.error) return fail(o.error);
    const list = o.list as AuthList;
    if (list.digest !== t.u.digest) return fail({ code: 'LIST_DIGEST', message: 'the new list is not the announced one (digest differs)' });
    if (list.version !== t.u.version) return fail(storeError('the update announced v' + t.u.version + ' but the list is v' + list.version));
    const newer = checkNewer(this.list ? held : null, list, this.list ? this.digest() : null);
    if (!newer.ok) return fail(newer.error);
    if (newer.value === 'same') return done({ applied: false, version: held, error: null });
    const v = { job: new DigestJob(text, LINE1_BYTES, this.sha256Hex), timer: null as TimerId | null };
    this.verifying = v;
    const step = (): void => {
      v.timer = null;
      if (this.verifying !== v) return;
      if (!v.job.step(VERIFY_PIECES_PER_TICK)) {
        v.timer = this.timers.setTimeout(step, 0);
        return;
      }
      this.verifying = null;
      if (v.job.value() !== list.digest) {
        return fail({ code: 'LIST_DIGEST', message: 'the new list v' + list.version + ' does not match its digest (damaged or altered on the way)' });
      }
      if (!this.store.write(file + 's', t.u.sig)) return fail(storeError('flash refused the list signature'));
      if (!this.pointer.save({ slot: t.slot, version: list.version })) return fail(storeError('flash refused the list pointer'));
      this.use(t.slot, list);
      done({ applied: true, version: list.version, error: null });
    };
    step();
  }

  /** Stops a check running in ticks (the unit stops). */
  stop(): void {
    const v = this.verifying;
    this.verifying = null;
    this.drop(this.t);
    this.t = null;
    if (v && v.timer !== null) this.timers.clearTimeout(v.timer);
  }
}
