// A small JSON document of the dashboard's own (admins' token hashes, machine liveness) in the
// state folder, beside state.json: read once at start, replaced atomically on save. Saves are
// coalesced (one write in flight, at most one more queued with the newest data), so a burst of
// changes costs two writes. `path` null keeps it in memory only (tests, no state folder).
import { rename, writeFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { createAtomicFileAdapter } from '../atomic-file.js';

/**
 * Replaced atomically (temp file, rename) but without fsync: for files whose loss in a power cut
 * costs nothing that matters (since when a machine is online), so their writes never queue
 * behind or ahead of the state saves that have a budget.
 */
function lightAdapter<T>(path: string): Adapter<T> {
  const durable = createAtomicFileAdapter<T>(path);
  return {
    read: () => durable.read(),
    async write(data: T) {
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}

export class JsonDoc<T> {
  data: T;
  private readonly adapter: Adapter<T> | null;
  private writing: Promise<void> | null = null;
  private again = false;

  private constructor(adapter: Adapter<T> | null, data: T) {
    this.adapter = adapter;
    this.data = data;
  }

  /**
   * Reads `path` (a missing file is `empty()`); `fix` fills in what an older or edited file lacks.
   * `durable` false: written without fsync (see lightAdapter).
   */
  static async open<T>(path: string | null, empty: () => T, fix: (raw: unknown) => T, durable = true): Promise<JsonDoc<T>> {
    const adapter = path ? (durable ? createAtomicFileAdapter<T>(path) : lightAdapter<T>(path)) : null;
    const raw = adapter ? await adapter.read() : null;
    return new JsonDoc<T>(adapter, raw === null ? empty() : fix(raw));
  }

  /** Writes the current data; resolves once a write that includes this call's data is on disk. */
  save(): Promise<void> {
    if (!this.adapter) return Promise.resolve();
    if (this.writing) {
      this.again = true;
      return this.writing.then(() => (this.writing ? this.writing : this.save()));
    }
    const adapter = this.adapter;
    const run = async (): Promise<void> => {
      do {
        this.again = false;
        await adapter.write(this.data);
      } while (this.again);
    };
    this.writing = run().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  /** Waits for a write in flight (shutdown). */
  async close(): Promise<void> {
    if (this.writing) await this.writing.catch(() => undefined);
  }
}
