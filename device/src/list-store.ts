// The cached authorization list in flash. A new list is written to the inactive slot's files,
// read back and verified (signature + digest), then switched to by a two-slot pointer record;
// a power cut at any point leaves the previous list in force. In RAM only the fob numbers and
// flag bytes stay (5 bytes per member); names are read from the names file in flash.
import { applyDelta, checkMachine, checkNewer, decodeList, encodeList, encodeListHead, sha256HexWith, signText, verifyText } from '@fobgate/shared';
import type { AuthList, HmacHex, ListFetch, ListUpdate, NamesSink, RawSha256, SharedError } from '@fobgate/shared';
import type { FlashStore } from './hal.js';
import { DurableRecord } from './durable-record.js';

export const LIST_POINTER_FILE = 'fglp';
/** Slot files: `fgl` + slot (text), + `s` (signature), + `n` (names only, read in place). */
export const LIST_FILE_PREFIX = 'fgl';

/**
 * Writes `data` at `offset` of a file of `size` bytes, created by the write at offset 0
 * (Espruino's `Storage.write(name, data, offset, size)`); false when flash refused it.
 */
export type FlashWriteAt = (name: string, data: string, offset: number, size: number) => boolean;

/** Characters copied from flash into RAM per piece when a file is written from another. */
const COPY_PIECE = 1024;

interface Pointer {
  slot: string;
  version: number;
}

/** A list that travels inside the sync answer (a `fetch` is downloaded: see downloadChunk). */
type InlineUpdate = Exclude<ListUpdate, { kind: 'fetch' }>;

/** A full list being downloaded into the inactive slot's text file. */
interface Download {
  slot: string;
  version: number;
  bytes: number;
  /** Bytes stored so far (the next piece must start here). */
  at: number;
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

export class ListStore {
  private store: FlashStore;
  private key: string;
  private hmac: HmacHex;
  private sha256Hex: (s: string) => string;
  private machine: string;
  private pointer: DurableRecord<Pointer>;
  private slot = '';
  private list: AuthList | null = null;
  private writeAt: FlashWriteAt | null;
  private dl: Download | null = null;

  /** writeAt: when given, a delta's result is streamed into flash instead of built in RAM. */
  constructor(store: FlashStore, key: string, hmac: HmacHex, sha256: RawSha256, machine: string, writeAt?: FlashWriteAt | null) {
    this.store = store;
    this.writeAt = writeAt || null;
    this.key = key;
    this.hmac = hmac;
    this.sha256Hex = sha256HexWith(sha256);
    this.machine = machine;
    this.pointer = new DurableRecord<Pointer>(store, LIST_POINTER_FILE);
  }

  /** The list in force, or null. Its names are re-read in place (flash can move on compaction). */
  current(): AuthList | null {
    const list = this.list;
    if (list && this.slot) {
      const names = this.store.read(LIST_FILE_PREFIX + this.slot + 'n');
      if (typeof names === 'string' && names.length === list.names.length) list.names = names;
    }
    return list;
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

  /**
   * Boot: the slot the pointer names, verified; the other slot only if that one is damaged.
   * Returns null when all is well (or there is no list yet), else what was wrong.
   */
  load(): SharedError | null {
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

  /** Verifies and stores a list update from the server (a `fetch` goes through downloadChunk instead). */
  accept(update: ListUpdate): AcceptResult {
    if (update && update.kind === 'fetch') return { applied: false, version: this.version(), error: storeError('a list to download cannot be applied from the sync answer') };
    if (update && update.kind === 'delta' && this.writeAt && this.list) return this.acceptDeltaInFlash(update);
    if (update && update.kind === 'full' && this.writeAt) return this.acceptFullInFlash(update);
    const v = this.prepare(update);
    if (!v.list) return { applied: false, version: this.version(), error: v.error };
    const same = checkNewer(this.list ? this.list.version : null, v.list, this.list ? this.list.digest : null);
    if (!same.ok) return { applied: false, version: this.version(), error: same.error };
    if (same.value === 'same') return { applied: false, version: this.version(), error: null };
    const err = this.commit(v.list, v.text, v.sig);
    if (err) return { applied: false, version: this.version(), error: err };
    return { applied: true, version: v.list.version, error: null };
  }

  /**
   * A delta applied straight into the inactive slot's files: the new names go to the names file
   * piece by piece and the list text is written from the head plus those names, so neither the
   * names nor the whole text is ever built in RAM.
   */
  private acceptDeltaInFlash(u: InlineUpdate): AcceptResult {
    const held = this.version();
    const fail = (e: SharedError): AcceptResult => ({ applied: false, version: held, error: e });
    const writeAt = this.writeAt as FlashWriteAt;
    // names re-read in place: a compaction may have moved the file since the last lookup
    const base = this.current() as AuthList;
    if (typeof u.text !== 'string' || typeof u.sig !== 'string') return fail(storeError('list update lacks text or signature'));
    const sig = verifyText(u.text, u.sig, this.key, this.hmac);
    if (!sig.ok) return fail(sig.error);
    const slot = this.slot === 'a' ? 'b' : 'a';
    const file = LIST_FILE_PREFIX + slot;
    this.store.erase(file + 's');
    const store = this.store;
    let total = 0;
    let at = 0;
    // Small pieces (one name per added member) are gathered into ~1 KB flash writes.
    let pending = '';
    const flush = (): boolean => {
      if (pending.length === 0) return true;
      const ok = writeAt(file + 'n', pending, at, total);
      at += pending.length;
      pending = '';
      return ok;
    };
    const sink: NamesSink = {
      begin: (n) => {
        total = n;
        at = 0;
        pending = '';
        store.erase(file + 'n');
        return true;
      },
      write: (chunk) => {
        pending += chunk;
        return pending.length < COPY_PIECE ? true : flush();
      },
      end: () => {
        if (!flush()) return null;
        if (total === 0) return '';
        const stored = store.read(file + 'n');
        return typeof stored === 'string' ? stored : null;
      },
    };
    const r = applyDelta(base, u.text, this.sha256Hex, { names: sink });
    if (!r.ok) return fail(r.error);
    const list = r.value;
    if (list.version !== u.version) return fail(storeError('list update says version ' + u.version + ' but the list is version ' + list.version));
    const m = checkMachine(list, this.machine);
    if (!m.ok) return fail(m.error);
    const newer = checkNewer(held, list, this.digest());
    if (!newer.ok) return fail(newer.error);
    if (newer.value === 'same') return { applied: false, version: held, error: null };
    const head = encodeListHead(list);
    const size = head.length + list.names.length;
    let ok = writeAt(file, head, 0, size);
    for (let p = 0; ok && p < list.names.length; p += COPY_PIECE) {
      ok = writeAt(file, list.names.substring(p, Math.min(list.names.length, p + COPY_PIECE)), head.length + p, size);
    }
    if (!ok || !this.store.write(file + 's', signText(head, this.key, this.hmac))) return fail(storeError('flash refused the new list (full?)'));
    return this.switchTo(slot, list);
  }

  /**
   * A full list whose names go from the received text straight into the names file (in pieces),
   * then decoded against that file: no second copy of the names in RAM.
   */
  private acceptFullInFlash(u: InlineUpdate): AcceptResult {
    if (typeof u.text !== 'string' || typeof u.sig !== 'string') {
      return { applied: false, version: this.version(), error: storeError('list update lacks text or signature') };
    }
    return this.installFull(this.slot === 'a' ? 'b' : 'a', u.text, u.sig, u.version, null, false);
  }

  /**
   * The common end of a full list, received inline or downloaded into the slot's text file
   * (`inFlash`): signature, names copied into the slot's names file (the fifth and last line, in
   * pieces), decoded against that file, checked (version, the announced digest when given,
   * machine, rollback); then the text (unless already there) and the signature are written and
   * the pointer switched.
   */
  private installFull(slot: string, text: string, sig: string, version: number, digest: string | null, inFlash: boolean): AcceptResult {
    const held = this.version();
    const fail = (e: SharedError): AcceptResult => ({ applied: false, version: held, error: e });
    const file = LIST_FILE_PREFIX + slot;
    const v = verifyText(text, sig, this.key, this.hmac);
    if (!v.ok) return fail(v.error);
    this.store.erase(file + 's');
    const names = this.copyNames(text, file + 'n');
    if (names === null) return fail(storeError('flash refused the new list (full?) or it lacks its five lines'));
    const r = decodeList(text, this.sha256Hex, { names: names });
    if (!r.ok) return fail(r.error);
    const list = r.value;
    if (digest !== null && list.digest !== digest) {
      return fail({ code: 'LIST_DIGEST', message: 'downloaded list v' + list.version + ' is not the announced one (digest differs)' });
    }
    if (list.version !== version) return fail(storeError('list update says version ' + version + ' but the list is version ' + list.version));
    const m = checkMachine(list, this.machine);
    if (!m.ok) return fail(m.error);
    const newer = checkNewer(this.list ? held : null, list, this.list ? this.digest() : null);
    if (!newer.ok) return fail(newer.error);
    if (newer.value === 'same') return { applied: false, version: held, error: null };
    if ((!inFlash && !this.store.write(file, text)) || !this.store.write(file + 's', sig)) return fail(storeError('flash refused the new list (full?)'));
    return this.switchTo(slot, list);
  }

  /**
   * Stores one piece of a downloaded full list at `offset` of the inactive slot's text file,
   * straight from the network chunk (the list is never whole in RAM). Offset 0 starts afresh:
   * the slot's signature is erased first (the slot is invalid until verified) and the file is
   * created pre-sized to `u.bytes`. False when the piece is out of order, overruns the announced
   * size, or flash refused it: the download has failed and the held list stays in force.
   */
  downloadChunk(u: ListFetch, chunk: string, offset: number): boolean {
    const writeAt = this.writeAt;
    if (!writeAt || typeof chunk !== 'string') return false;
    if (offset === 0) {
      const slot = this.slot === 'a' ? 'b' : 'a';
      this.store.erase(LIST_FILE_PREFIX + slot + 's');
      this.dl = { slot: slot, version: u.version, bytes: u.bytes, at: 0 };
    }
    const d = this.dl;
    if (!d || d.version !== u.version || d.bytes !== u.bytes || offset !== d.at || offset + chunk.length > d.bytes) {
      this.dl = null;
      return false;
    }
    if (chunk.length === 0) return true;
    if (!writeAt(LIST_FILE_PREFIX + d.slot, chunk, offset, d.bytes)) {
      this.dl = null;
      return false;
    }
    d.at += chunk.length;
    return true;
  }

  /** Whether a list can be downloaded here (flash written at offsets). */
  canDownload(): boolean {
    return this.writeAt !== null;
  }

  /** A download that failed or was cut off: forget it (its slot stays unsigned, never used). */
  abandonDownload(): void {
    this.dl = null;
  }

  /**
   * The download of `u` ended with `sig` (its x-fobgate-list-signature): check that every byte
   * arrived, then verify the text in flash as at boot (signature over the digest line, digest
   * over the rest with the names read in place), that it is the announced version and digest,
   * for this machine and not a rollback; only then sign the slot and switch the pointer.
   */
  finishDownload(u: ListFetch, sig: string): AcceptResult {
    const held = this.version();
    const fail = (e: SharedError): AcceptResult => ({ applied: false, version: held, error: e });
    const d = this.dl;
    this.dl = null;
    if (!d || d.version !== u.version) return fail(storeError('no download of list v' + u.version + ' in progress'));
    if (d.at !== d.bytes) return fail(storeError('list download ended after ' + d.at + ' of ' + d.bytes + ' bytes'));
    // flash-mapped on the unit: reading it costs no RAM per byte
    const text = this.store.read(LIST_FILE_PREFIX + d.slot);
    if (typeof text !== 'string' || text.length !== d.bytes) return fail(storeError('the downloaded list is not in flash as written'));
    if (typeof sig !== 'string' || sig.length === 0) return fail({ code: 'LIST_SIGNATURE', message: 'list download carried no signature' });
    return this.installFull(d.slot, text, sig, u.version, u.digest, true);
  }

  /**
   * Copies the names section (the fifth and last line) of a list text lying in flash into its own
   * names file in COPY_PIECE pieces, and returns that file as read back (null on failure).
   */
  private copyNames(text: string, file: string): string | null {
    const writeAt = this.writeAt as FlashWriteAt;
    let start = -1;
    for (let k = 0; k < 4; k++) {
      start = text.indexOf('\n', start + 1);
      if (start < 0) return null;
    }
    start++;
    const total = text.length - start;
    this.store.erase(file);
    if (total === 0) return '';
    for (let p = 0; p < total; p += COPY_PIECE) {
      if (!writeAt(file, text.substring(start + p, Math.min(text.length, start + p + COPY_PIECE)), p, total)) return null;
    }
    const names = this.store.read(file);
    return typeof names === 'string' ? names : null;
  }

  /** Signature, decoding (digest) and machine checks of a full list or a delta. */
  private prepare(u: InlineUpdate): { list: AuthList | null; text: string; sig: string; error: SharedError | null } {
    if (!u || typeof u.text !== 'string' || typeof u.sig !== 'string') {
      return { list: null, text: '', sig: '', error: storeError('list update lacks text or signature') };
    }
    const sig = verifyText(u.text, u.sig, this.key, this.hmac);
    if (!sig.ok) return { list: null, text: '', sig: '', error: sig.error };
    let list: AuthList;
    let text: string;
    let listSig: string;
    if (u.kind === 'delta') {
      if (!this.list) return { list: null, text: '', sig: '', error: { code: 'DELTA_WRONG_BASE', message: 'a delta arrived but no list is held' } };
      const r = applyDelta(this.current() as AuthList, u.text, this.sha256Hex);
      if (!r.ok) return { list: null, text: '', sig: '', error: r.error };
      list = r.value;
      text = encodeList(list);
      listSig = signText(text, this.key, this.hmac);
    } else {
      const r = decodeList(u.text, this.sha256Hex);
      if (!r.ok) return { list: null, text: '', sig: '', error: r.error };
      list = r.value;
      text = u.text;
      listSig = u.sig;
    }
    if (list.version !== u.version) {
      return { list: null, text: '', sig: '', error: storeError('list update says version ' + u.version + ' but the list is version ' + list.version) };
    }
    const m = checkMachine(list, this.machine);
    if (!m.ok) return { list: null, text: '', sig: '', error: m.error };
    return { list: list, text: text, sig: listSig, error: null };
  }

  /** Writes the inactive slot, verifies it from flash, then switches the pointer. */
  private commit(list: AuthList, text: string, sig: string): SharedError | null {
    const slot = this.slot === 'a' ? 'b' : 'a';
    const base = LIST_FILE_PREFIX + slot;
    this.store.erase(base + 's');
    if (!this.store.write(base, text) || !this.store.write(base + 'n', list.names) || !this.store.write(base + 's', sig)) {
      return storeError('flash refused the new list (full?)');
    }
    const r = this.switchTo(slot, list);
    return r.error;
  }

  /** Reads the written slot back, verifies it, then switches the pointer to it. */
  private switchTo(slot: string, list: AuthList): AcceptResult {
    const held = this.version();
    const back = this.readSlot(slot);
    if (!back.list) return { applied: false, version: held, error: back.error || storeError('the list read back from flash is damaged') };
    if (back.list.digest !== list.digest) return { applied: false, version: held, error: storeError('the list read back from flash differs') };
    if (!this.pointer.save({ slot: slot, version: back.list.version })) return { applied: false, version: held, error: storeError('flash refused the list pointer') };
    this.use(slot, back.list);
    return { applied: true, version: back.list.version, error: null };
  }

  /** Puts a verified list in force; its names file must match the verified names (else rewritten). */
  private use(slot: string, list: AuthList): void {
    const file = LIST_FILE_PREFIX + slot + 'n';
    if (this.store.read(file) !== list.names) this.store.write(file, list.names);
    this.slot = slot;
    this.list = list;
    this.current();
  }

  /**
   * Reads and fully verifies one slot. The names are taken from the slot's names file (in place,
   * flash-mapped on the unit) and checked against the digest; a damaged names file is rebuilt
   * from the list text when that verifies.
   */
  private readSlot(slot: string): { list: AuthList | null; error: SharedError | null } {
    const base = LIST_FILE_PREFIX + slot;
    const text = this.store.read(base);
    const sig = this.store.read(base + 's');
    if (typeof text !== 'string' || typeof sig !== 'string') return { list: null, error: storeError('list slot ' + slot + ' is incomplete') };
    const v = verifyText(text, sig, this.key, this.hmac);
    if (!v.ok) return { list: null, error: v.error };
    const names = this.store.read(base + 'n');
    let r = decodeList(text, this.sha256Hex, typeof names === 'string' ? { names: names } : undefined);
    if (!r.ok && typeof names === 'string') r = decodeList(text, this.sha256Hex);
    if (!r.ok) return { list: null, error: r.error };
    const m = checkMachine(r.value, this.machine);
    if (!m.ok) return { list: null, error: m.error };
    return { list: r.value, error: null };
  }
}
