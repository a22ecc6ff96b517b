// Espruino's `require("Storage")` flash file system for the simulator, persisted to one JSON
// file on the host so a power cycle (or a restart of the CLI) keeps the unit's flash. Models the
// traits firmware must respect: 28-character names, pre-sized files written at offsets whose
// unwritten bytes read 0xFF and whose written bytes can only be cleared (flash ANDs), trash that
// only compact() reclaims, a fixed capacity, and StorageFile chunks for open().
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export const STORAGE_CAPACITY = 896 * 1024;
export const NAME_MAX = 28;
/** Header bytes per file in flash (size + name). */
export const FILE_HEADER = 32;
/** Bytes per StorageFile chunk. */
export const STORAGEFILE_CHUNK = 4096 - FILE_HEADER;

/** What the sandbox needs to hand values to the firmware in its own realm. */
export interface RealmBridge {
  error(message: string): Error;
  parseJSON(text: string): unknown;
  stringify(v: unknown): string | undefined;
  arrayBuffer(bytes: Uint8Array): ArrayBuffer;
  array<T>(items: T[]): T[];
}

const hostRealm: RealmBridge = {
  error: (m) => new Error(m),
  parseJSON: (t) => JSON.parse(t),
  stringify: (v) => JSON.stringify(v),
  arrayBuffer: (b) => b.slice().buffer,
  array: (a) => a.slice(),
};

/** A write that tried to turn cleared flash bits back on (the data read back is not what was written). */
export interface FlashViolation {
  name: string;
  offset: number;
  message: string;
}

interface Persisted {
  format: 'fobgate-sim-storage-1';
  files: Array<[string, string]>;
  trash: number;
}

/** Bytes of any data argument the interpreter accepts (8-bit strings, buffers, arrays). */
export function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data.charCodeAt(i) & 0xff;
    return out;
  }
  if (data instanceof ArrayBuffer || Object.prototype.toString.call(data) === '[object ArrayBuffer]') return new Uint8Array((data as ArrayBuffer).slice(0));
  if (ArrayBuffer.isView(data)) {
    const v = data as ArrayBufferView;
    return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  }
  if (Array.isArray(data)) return Uint8Array.from(data.map((x) => Number(x) & 0xff));
  if (data === undefined || data === null) return new Uint8Array(0);
  return toBytes(String(data));
}

export function bytesToString(b: Uint8Array): string {
  let s = '';
  const CHUNK = 8192;
  for (let i = 0; i < b.length; i += CHUNK) s += String.fromCharCode.apply(null, Array.prototype.slice.call(b, i, i + CHUNK) as number[]);
  return s;
}

function footprint(size: number): number {
  return FILE_HEADER + ((size + 3) & ~3);
}

export class SimStorage {
  private files = new Map<string, Uint8Array>();
  private trash = 0;
  readonly violations: FlashViolation[] = [];
  /** Virtual times compact() ran at (it blocks the interpreter on the chip). */
  readonly compactions: number[] = [];
  /** Every mutation, for tests: [op, name]. */
  readonly ops: Array<[string, string]> = [];
  realm: RealmBridge = hostRealm;
  now: () => number = () => 0;
  /** Set by a simulated power cut: nothing reaches the flash any more until power comes back. */
  powerLost = false;
  /** When set, the next write that would store more than this many bytes stops part-way (power cut). */
  private cutAfter: { match: RegExp; bytes: number; onCut: () => void } | null = null;

  constructor(readonly path: string | null = null) {
    if (path && existsSync(path)) this.load();
  }

  private load(): void {
    const raw = JSON.parse(readFileSync(this.path!, 'utf8')) as Persisted;
    if (raw.format !== 'fobgate-sim-storage-1') throw new Error(this.path + ': not a simulator flash file');
    this.files = new Map(raw.files.map(([n, b64]) => [n, new Uint8Array(Buffer.from(b64, 'base64'))]));
    this.trash = raw.trash || 0;
  }

  /**
   * Writes the flash image to its host file (temp file + rename, so it is never half written),
   * readable by its owner only whatever the umask: the unit's config in it holds the unit key.
   */
  persist(): void {
    if (!this.path) return;
    const data: Persisted = { format: 'fobgate-sim-storage-1', files: [...this.files].map(([n, b]) => [n, Buffer.from(b).toString('base64')]), trash: this.trash };
    const tmp = this.path + '.tmp';
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }

  /** Arranges a power cut during the next write to a file matching `match`, after `bytes` bytes. */
  cutPowerDuringWrite(match: RegExp, bytes: number, onCut: () => void): void {
    this.cutAfter = { match, bytes, onCut };
  }

  // ---- host-side helpers (tests, CLI, flashing) ----

  has(name: string): boolean {
    return this.files.has(name);
  }

  names(): string[] {
    return [...this.files.keys()];
  }

  text(name: string): string | undefined {
    const b = this.files.get(name);
    return b ? bytesToString(b) : undefined;
  }

  // ---- the interpreter's API ----

  private checkName(name: unknown): string {
    if (typeof name !== 'string' || name.length === 0) throw this.realm.error('Storage: file name must be a non-empty string');
    if (name.length > NAME_MAX) throw this.realm.error('Storage: file name too long (' + name.length + ' > ' + NAME_MAX + ' characters)');
    return name;
  }

  private used(): number {
    let n = 0;
    for (const b of this.files.values()) n += footprint(b.length);
    return n;
  }

  private makeRoom(size: number): boolean {
    if (this.used() + this.trash + footprint(size) <= STORAGE_CAPACITY) return true;
    // The interpreter compacts by itself when it runs out of room.
    this.compact();
    return this.used() + footprint(size) <= STORAGE_CAPACITY;
  }

  private checkPower(): void {
    if (this.powerLost) throw this.realm.error('Storage: no power');
  }

  write(name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean {
    const n = this.checkName(name);
    this.checkPower();
    const bytes = toBytes(data);
    const off = offset === undefined ? 0 : Number(offset);
    if (!(off >= 0) || Math.floor(off) !== off) throw this.realm.error('Storage.write: offset must be a whole number >= 0');
    let fileSize = size === undefined ? 0 : Number(size);
    if (!(fileSize >= 0)) throw this.realm.error('Storage.write: size must be a number >= 0');
    let file: Uint8Array;
    if (off === 0) {
      if (!fileSize) fileSize = bytes.length;
      if (bytes.length > fileSize) throw this.realm.error('Too much data for file size');
      const old = this.files.get(n);
      if (old && old.length === fileSize && bytes.length === fileSize && Buffer.compare(Buffer.from(old), Buffer.from(bytes)) === 0) return true;
      if (old) {
        this.trash += footprint(old.length);
        this.files.delete(n);
      }
      if (!this.makeRoom(fileSize)) {
        this.persist();
        throw this.realm.error('Storage.write: not enough free space for ' + n + ' (' + fileSize + ' bytes)');
      }
      file = new Uint8Array(fileSize).fill(0xff);
      this.files.set(n, file);
    } else {
      const f = this.files.get(n);
      // the interpreter's own messages (Espruino 2v29, checked in device/test/interp/sim-vs-interp.test.ts)
      if (!f) throw this.realm.error('Unable to find or create file');
      if (off + bytes.length > f.length) throw this.realm.error('Too much data for file size');
      // any byte already written in the range refuses the whole write, even with the same data
      for (let i = 0; i < bytes.length; i++) {
        if (f[off + i] !== 0xff) throw this.realm.error('File already written with different data');
      }
      file = f;
    }
    let count = bytes.length;
    const cut = this.cutAfter && this.cutAfter.match.test(n) ? this.cutAfter : null;
    if (cut) count = Math.min(count, cut.bytes);
    let violated = false;
    for (let i = 0; i < count; i++) {
      const cur = file[off + i];
      const next = cur & bytes[i];
      if (next !== bytes[i]) violated = true;
      file[off + i] = next;
    }
    if (violated) this.violations.push({ name: n, offset: off, message: 'wrote over already-written flash bytes of ' + n + ' at offset ' + off + ': data read back differs' });
    this.ops.push(['write', n]);
    this.persist();
    if (cut) {
      this.cutAfter = null;
      this.powerLost = true;
      cut.onCut();
    }
    return true;
  }

  read(name: unknown, offset?: unknown, length?: unknown): string | undefined {
    const n = this.checkName(name);
    const f = this.files.get(n);
    if (!f) return undefined;
    const off = offset === undefined ? 0 : Math.max(0, Number(offset) || 0);
    const len = length === undefined ? f.length - off : Math.max(0, Number(length) || 0);
    return bytesToString(f.subarray(off, Math.min(f.length, off + len)));
  }

  readJSON(name: unknown, noExceptions?: unknown): unknown {
    const s = this.read(name);
    if (s === undefined) return undefined;
    try {
      return this.realm.parseJSON(s);
    } catch (e) {
      if (noExceptions) return undefined;
      throw this.realm.error('Storage.readJSON: ' + String(name) + ' is not valid JSON');
    }
  }

  readArrayBuffer(name: unknown): ArrayBuffer | undefined {
    const n = this.checkName(name);
    const f = this.files.get(n);
    return f ? this.realm.arrayBuffer(f.slice()) : undefined;
  }

  writeJSON(name: unknown, data: unknown): boolean {
    const s = this.realm.stringify(data);
    return this.write(name, s === undefined ? 'undefined' : s);
  }

  erase(name: unknown): void {
    const n = this.checkName(name);
    this.checkPower();
    const f = this.files.get(n);
    if (!f) return;
    this.trash += footprint(f.length);
    this.files.delete(n);
    this.ops.push(['erase', n]);
    this.persist();
  }

  list(regex?: unknown, filter?: unknown): string[] {
    let names = [...this.files.keys()];
    const sf = filter && typeof filter === 'object' ? (filter as { sf?: unknown }).sf : undefined;
    const isChunk = (s: string): boolean => s.length > 0 && s.charCodeAt(s.length - 1) < 32;
    if (sf === true) names = [...new Set(names.filter(isChunk).map((s) => s.substring(0, s.length - 1)))];
    else if (sf === false) names = names.filter((s) => !isChunk(s));
    if (regex instanceof RegExp || Object.prototype.toString.call(regex) === '[object RegExp]') {
      const r = regex as RegExp;
      names = names.filter((s) => { r.lastIndex = 0; return r.test(s); });
    } else if (typeof regex === 'string') names = names.filter((s) => s.indexOf(regex) >= 0);
    return this.realm.array(names);
  }

  compact(): void {
    this.checkPower();
    this.trash = 0;
    this.compactions.push(this.now());
    this.ops.push(['compact', '']);
    this.persist();
  }

  getFree(): number {
    return Math.max(0, STORAGE_CAPACITY - this.used() - this.trash);
  }

  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const fileBytes = this.used();
    return { totalBytes: STORAGE_CAPACITY, freeBytes: Math.max(0, STORAGE_CAPACITY - fileBytes - this.trash), fileBytes, fileCount: this.files.size, trashBytes: this.trash, trashCount: this.trash ? 1 : 0 };
  }

  /** Erases everything (a full flash erase). */
  eraseAll(): void {
    this.files.clear();
    this.trash = 0;
    this.persist();
  }

  open(name: unknown, mode: unknown): SimStorageFile {
    const n = this.checkName(name);
    if (n.length > NAME_MAX - 1) throw this.realm.error('Storage.open: file name too long for a StorageFile (max ' + (NAME_MAX - 1) + ')');
    if (mode !== 'r' && mode !== 'w' && mode !== 'a') throw this.realm.error('Storage.open: mode must be "r", "w" or "a"');
    return new SimStorageFile(this, n, mode);
  }
}

/** A StorageFile: an appendable text file stored as chunks `name\x01`, `name\x02` ... */
export class SimStorageFile {
  private chunk = 1;
  private offset = 0;

  constructor(private st: SimStorage, readonly name: string, readonly mode: 'r' | 'w' | 'a') {
    if (mode === 'w') this.erase();
    if (mode === 'a') {
      while (st.has(this.chunkName(this.chunk + 1))) this.chunk++;
      const t = st.read(this.chunkName(this.chunk));
      if (t !== undefined) {
        const ff = t.indexOf('\xff');
        this.offset = ff < 0 ? t.length : ff;
        if (this.offset >= STORAGEFILE_CHUNK) {
          this.chunk++;
          this.offset = 0;
        }
      }
    }
  }

  private chunkName(i: number): string {
    return this.name + String.fromCharCode(i);
  }

  getLength(): number {
    let n = 0;
    for (let i = 1; this.st.has(this.chunkName(i)); i++) {
      const t = this.st.read(this.chunkName(i))!;
      const ff = t.indexOf('\xff');
      n += ff < 0 ? t.length : ff;
    }
    return n;
  }

  write(data: unknown): void {
    if (this.mode === 'r') throw this.st.realm.error('StorageFile.write: file ' + this.name + ' is open for reading');
    const s = bytesToString(toBytes(data));
    if (s.indexOf('\xff') >= 0) throw this.st.realm.error('StorageFile.write: cannot store character code 255');
    let pos = 0;
    while (pos < s.length) {
      const cn = this.chunkName(this.chunk);
      if (!this.st.has(cn)) this.st.write(cn, '', 0, STORAGEFILE_CHUNK);
      const room = STORAGEFILE_CHUNK - this.offset;
      const part = s.substring(pos, pos + room);
      if (this.offset === 0) this.st.write(cn, part, 0, STORAGEFILE_CHUNK);
      else this.st.write(cn, part, this.offset);
      pos += part.length;
      this.offset += part.length;
      if (this.offset >= STORAGEFILE_CHUNK) {
        this.chunk++;
        this.offset = 0;
      }
    }
  }

  /** The current chunk's text, read once per chunk (files opened for reading do not change). */
  private cached: { chunk: number; text: string | undefined } | null = null;

  private chunkText(): string | undefined {
    if (!this.cached || this.cached.chunk !== this.chunk) this.cached = { chunk: this.chunk, text: this.st.read(this.chunkName(this.chunk)) };
    return this.cached.text;
  }

  read(len: unknown): string | undefined {
    if (this.mode !== 'r') throw this.st.realm.error('StorageFile.read: file ' + this.name + ' is not open for reading');
    let want = Math.max(1, Number(len) || 1);
    let out = '';
    while (want > 0) {
      const t = this.chunkText();
      if (t === undefined) break;
      const ff = t.indexOf('\xff');
      const end = ff < 0 ? t.length : ff;
      if (this.offset >= end) {
        if (end < t.length) break;
        this.chunk++;
        this.offset = 0;
        continue;
      }
      const part = t.substring(this.offset, Math.min(end, this.offset + want));
      out += part;
      this.offset += part.length;
      want -= part.length;
    }
    return out.length ? out : undefined;
  }

  readLine(): string | undefined {
    let line = '';
    for (;;) {
      const c = this.read(1);
      if (c === undefined) break;
      line += c;
      if (c === '\n') break;
    }
    return line.length ? line : undefined;
  }

  erase(): void {
    for (let i = 1; this.st.has(this.chunkName(i)); i++) this.st.erase(this.chunkName(i));
    this.chunk = 1;
    this.offset = 0;
  }
}
