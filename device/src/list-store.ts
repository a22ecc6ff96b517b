// The cached authorization list in flash. A new list is written to the inactive slot's files,
// read back and verified (signature + digest), then switched to by a two-slot pointer record;
// a power cut at any point leaves the previous list in force. In RAM only the fob numbers and
// flag bytes stay (5 bytes per member); names are read from the names file in flash.
import { applyDelta, checkMachine, checkNewer, decodeList, encodeList, sha256HexWith, signText, verifyText } from '@fobgate/shared';
import type { AuthList, HmacHex, ListUpdate, RawSha256, SharedError } from '@fobgate/shared';
import type { FlashStore } from './hal.js';
import { DurableRecord } from './durable-record.js';

export const LIST_POINTER_FILE = 'fglp';
/** Slot files: `fgl` + slot (text), + `s` (signature), + `n` (names only, read in place). */
export const LIST_FILE_PREFIX = 'fgl';

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

export class ListStore {
  private store: FlashStore;
  private key: string;
  private hmac: HmacHex;
  private sha256Hex: (s: string) => string;
  private machine: string;
  private pointer: DurableRecord<Pointer>;
  private slot = '';
  private list: AuthList | null = null;

  constructor(store: FlashStore, key: string, hmac: HmacHex, sha256: RawSha256, machine: string) {
    this.store = store;
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

  /** Verifies and stores a list update from the server. */
  accept(update: ListUpdate): AcceptResult {
    const v = this.prepare(update);
    if (!v.list) return { applied: false, version: this.version(), error: v.error };
    const same = checkNewer(this.list ? this.list.version : null, v.list, this.list ? this.list.digest : null);
    if (!same.ok) return { applied: false, version: this.version(), error: same.error };
    if (same.value === 'same') return { applied: false, version: this.version(), error: null };
    const err = this.commit(v.list, v.text, v.sig);
    if (err) return { applied: false, version: this.version(), error: err };
    return { applied: true, version: v.list.version, error: null };
  }

  /** Signature, decoding (digest) and machine checks of a full list or a delta. */
  private prepare(u: ListUpdate): { list: AuthList | null; text: string; sig: string; error: SharedError | null } {
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
      const r = applyDelta(this.list, u.text, this.sha256Hex);
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
    const back = this.readSlot(slot);
    if (!back.list) return back.error || storeError('the list read back from flash is damaged');
    if (back.list.digest !== list.digest) return storeError('the list read back from flash differs');
    if (!this.pointer.save({ slot: slot, version: back.list.version })) return storeError('flash refused the list pointer');
    this.use(slot, back.list);
    return null;
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
