// The state's file: an append-only journal of small keyed documents (one per machine, one for
// the server's globals), one JSON line per saved version. Writes are group-committed: whatever
// arrives while a write is in flight goes out together in the next one, with one fdatasync for
// all of them, so 2,000 machines saving at once cost a handful of disk syncs, not 2,000, and a
// save costs the size of one machine's document whatever the fleet's size. When the file has
// grown well past the live documents it is compacted in the background: the newest line of every
// key is written to `<path>.next` in small steps, then lines saved meanwhile are appended, synced,
// and the file renamed over the journal (atomic; a crash leaves the old journal whole).
// A torn last line (a crash mid-write) is skipped when reading.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { closeSync, constants, existsSync, openSync, readSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/** Awaited before every write to the file (tests and the benchmark hold it to stall the disk). */
export type WriteGate = () => Promise<void>;

export interface StateJournalOptions {
  /** Compact once the file is this many bytes and 4x the live lines (default 8 MiB). */
  compactAtBytes?: number;
  beforeWrite?: WriteGate;
  /** File mode of the journal (0600: it holds units' keys). */
  mode?: number;
}

export interface StateJournalStats {
  /** Bytes in the journal file now. */
  bytes: number;
  /** Bytes of the newest line of every key (what a compaction keeps). */
  liveBytes: number;
  keys: number;
  /** Group commits so far (each one write + one fdatasync). */
  commits: number;
  /** Lines written by those commits. */
  lines: number;
  compactions: number;
  /** Lines that could not be read back at open (a torn last line). */
  skippedLines: number;
}

/** The writes queued for one group commit: they share one promise. */
interface Batch {
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newBatch(): Batch {
  const b = { resolve: () => undefined, reject: () => undefined } as unknown as Batch;
  b.done = new Promise<void>((resolve, reject) => {
    b.resolve = resolve;
    b.reject = reject;
  });
  return b;
}

/**
 * The journal is opened for appending with O_DSYNC: a write returns once its data (and the file
 * size) is on disk, as write + fdatasync did, in one system call on one libuv thread round trip
 * instead of two (each round trip waits for the main thread's next turn to be taken up).
 */
const APPEND_DSYNC = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

const CHUNK_BYTES = 256 * 1024;

async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the rename is still atomic
  } finally {
    if (h) await h.close().catch(() => undefined);
  }
}

/** `{"k":<key>,"d":<doc>}` + newline, from the document's JSON text. */
export function journalLine(key: string, docText: string): string {
  return `{"k":${JSON.stringify(key)},"d":${docText}}\n`;
}

/** Reads a journal file without opening it for writing: the newest document of every key. */
export function readJournalFile(path: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  eachLine(path, (line) => {
    try {
      const rec = JSON.parse(line) as { k?: unknown; d?: unknown };
      if (typeof rec.k === 'string') out.set(rec.k, rec.d);
    } catch {
      // a torn line
    }
  });
  return out;
}

/** Calls `each` with every newline-terminated line of the file (and `true` for an unterminated tail). */
function eachLine(path: string, each: (line: string, unterminated: boolean) => void): number {
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      bytes += n;
      const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) each(line, false);
    }
    if (rest !== '') each(rest, true);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export class StateJournal {
  readonly path: string;
  private readonly compactAt: number;
  private readonly gate: WriteGate | null;
  private readonly mode: number;
  /** Newest line of every key, as written (or queued). */
  private readonly lines = new Map<string, string>();
  private liveBytes = 0;
  private bytes = 0;
  private handle: FileHandle | null = null;
  /** The handle was opened with O_DSYNC (else each append is followed by an fdatasync). */
  private dsync = true;
  private queued: string[] = [];
  private batch: Batch | null = null;
  private writing = false;
  /** While a compaction copies the live lines, the lines queued since it started. */
  private since: string[] | null = null;
  /** A finished compaction copy waiting for the writer to swap it in. */
  private swap: { handle: FileHandle; bytes: number } | null = null;
  private compacting = false;
  private closed = false;
  private counters = { commits: 0, lines: 0, compactions: 0, skippedLines: 0 };

  private constructor(path: string, o: StateJournalOptions) {
    this.path = path;
    this.compactAt = o.compactAtBytes ?? 8 * 1024 * 1024;
    this.gate = o.beforeWrite ?? null;
    this.mode = o.mode ?? 0o600;
  }

  /** Reads the journal (if any) and returns it ready to append to. */
  static async open(path: string, o: StateJournalOptions = {}): Promise<StateJournal> {
    const j = new StateJournal(path, o);
    // a compaction that never finished: the journal itself is still whole
    if (existsSync(`${path}.next`)) unlinkSync(`${path}.next`);
    if (existsSync(path)) j.load();
    j.handle = await open(path, APPEND_DSYNC, j.mode);
    return j;
  }

  private load(): void {
    this.bytes = eachLine(this.path, (line, unterminated) => this.loadLine(line, unterminated));
  }

  private loadLine(line: string, unterminated = false): void {
    if (line.trim() === '') return;
    let key: unknown;
    try {
      key = (JSON.parse(line) as { k?: unknown }).k;
    } catch {
      key = undefined;
    }
    if (typeof key !== 'string' || unterminated) {
      this.counters.skippedLines++;
      return;
    }
    this.remember(key, line + '\n');
  }

  private remember(key: string, line: string): void {
    const old = this.lines.get(key);
    if (old !== undefined) this.liveBytes -= old.length;
    this.lines.set(key, line);
    this.liveBytes += line.length;
  }

  /** The newest saved (or queued) document of `key`, parsed, or null. */
  read(key: string): unknown {
    const line = this.lines.get(key);
    if (line === undefined) return null;
    return (JSON.parse(line) as { d: unknown }).d;
  }

  /** Every key (optionally those starting with `prefix`). */
  keys(prefix = ''): string[] {
    const out: string[] = [];
    for (const k of this.lines.keys()) if (k.startsWith(prefix)) out.push(k);
    return out;
  }

  /** Appends a new version of `key`; resolves once it is on disk (with everything queued before it). */
  write(key: string, docText: string): Promise<void> {
    if (this.closed) return Promise.reject(Object.assign(new Error('state journal is closed'), { code: 'JOURNAL_CLOSED' }));
    const line = journalLine(key, docText);
    this.remember(key, line);
    this.queued.push(line);
    if (this.since) this.since.push(line);
    if (this.batch === null) this.batch = newBatch();
    const done = this.batch.done;
    this.kick();
    return done;
  }

  private kick(): void {
    if (this.writing) return;
    if (this.queued.length === 0 && this.swap === null) return;
    this.writing = true;
    void this.commit().finally(() => {
      this.writing = false;
      this.kick();
    });
  }

  /** One group commit: every queued line, one write, one fdatasync; or the compaction swap. */
  private async commit(): Promise<void> {
    const lines = this.queued;
    const batch = this.batch;
    this.queued = [];
    this.batch = null;
    try {
      if (this.gate) await this.gate();
      if (this.swap) {
        await this.swapIn(lines);
      } else {
        await this.append(lines.join(''));
      }
      this.counters.commits++;
      this.counters.lines += lines.length;
      if (batch !== null) batch.resolve();
    } catch (e) {
      if (batch !== null) batch.reject(e);
    }
    this.maybeCompact();
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed) return;
    if (this.bytes < this.compactAt || this.bytes < 4 * this.liveBytes) return;
    this.compacting = true;
    void this.copyLive().catch(() => {
      this.since = null;
      this.compacting = false;
    });
  }

  /** Writes the newest line of every key to `<path>.next` in small steps, then asks for the swap. */
  private async copyLive(): Promise<void> {
    const next = `${this.path}.next`;
    this.since = [];
    const snapshot = Array.from(this.lines.values());
    const h = await open(next, 'w', this.mode);
    let bytes = 0;
    try {
      let chunk: string[] = [];
      let size = 0;
      for (const line of snapshot) {
        chunk.push(line);
        size += line.length;
        if (size >= CHUNK_BYTES) {
          const text = chunk.join('');
          await h.write(text);
          bytes += Buffer.byteLength(text);
          chunk = [];
          size = 0;
        }
      }
      if (chunk.length) {
        const text = chunk.join('');
        await h.write(text);
        bytes += Buffer.byteLength(text);
      }
      await h.datasync();
    } catch (e) {
      await h.close().catch(() => undefined);
      await unlink(next).catch(() => undefined);
      throw e;
    }
    // `since` keeps collecting until the swap runs: a line queued after the copy ended and before
    // the writer's turn came is in neither the copy nor, yet, in `since` otherwise (it was lost)
    this.swap = { handle: h, bytes };
    this.kick();
  }

  /**
   * Runs in the writer's turn: lines saved since the copy started (they are in the old journal
   * too, or queued now) go to the copy, which is synced and renamed over the journal.
   */
  private async swapIn(queuedNow: string[]): Promise<void> {
    const s = this.swap!;
    this.swap = null;
    const since = this.since ?? [];
    this.since = null;
    try {
      // Lines queued before the copy started are in the copy already (it took the newest line of
      // every key, queued ones included); those queued since (these included) are in `since`.
      const text = since.join('');
      if (text) await s.handle.write(text);
      await s.handle.datasync();
      await rename(`${this.path}.next`, this.path);
      await syncDir(dirname(this.path));
      const old = this.handle;
      this.handle = s.handle;
      this.dsync = false;
      this.bytes = s.bytes + Buffer.byteLength(text);
      this.counters.compactions++;
      if (old) await old.close().catch(() => undefined);
      await this.reopenDsync(s.handle);
    } catch {
      await s.handle.close().catch(() => undefined);
      await unlink(`${this.path}.next`).catch(() => undefined);
      // the swap failed: the journal is still the file, so the queued lines go there
      if (queuedNow.length) await this.append(queuedNow.join(''));
    } finally {
      this.compacting = false;
    }
  }

  /** The compacted copy (opened for writing, not O_DSYNC) is the journal now: reopen it for appends. */
  private async reopenDsync(copy: FileHandle): Promise<void> {
    try {
      const h = await open(this.path, APPEND_DSYNC, this.mode);
      this.handle = h;
      this.dsync = true;
      await copy.close().catch(() => undefined);
    } catch {
      // keep appending through the copy's handle, with an fdatasync per commit
    }
  }

  /** Appends `text` to the journal durably. */
  private async append(text: string): Promise<void> {
    if (!this.handle) {
      this.handle = await open(this.path, APPEND_DSYNC, this.mode);
      this.dsync = true;
    }
    await this.handle.write(text);
    if (!this.dsync) await this.handle.datasync();
    this.bytes += Buffer.byteLength(text);
  }

  stats(): StateJournalStats {
    return {
      bytes: this.bytes,
      liveBytes: this.liveBytes,
      keys: this.lines.size,
      commits: this.counters.commits,
      lines: this.counters.lines,
      compactions: this.counters.compactions,
      skippedLines: this.counters.skippedLines,
    };
  }

  /** Waits for what is queued, then closes the file; later writes are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing || this.queued.length > 0 || this.compacting) {
      await new Promise<void>((r) => setTimeout(r, 1));
    }
    this.closed = true;
    const h = this.handle;
    this.handle = null;
    if (h) await h.close().catch(() => undefined);
  }
}
