// lowdb adapter for a JSON file replaced atomically: write `<path>.tmp`, fsync, rename over the
// target, fsync the folder. A crash mid-write leaves the old file whole, never a torn or empty one.
// The file is 0600 whatever the umask (state.json holds every unit's key).
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Adapter } from 'lowdb';
import { openPrivate } from './private-files.js';

export type StateFileErrorCode = 'STATE_FILE_CORRUPT' | 'STATE_FILE_UNREADABLE';

/** A state file that exists but cannot be used; `code` says which case. */
export class StateFileError extends Error {
  readonly code: StateFileErrorCode;
  readonly path: string;
  constructor(code: StateFileErrorCode, path: string, message: string) {
    super(message);
    this.name = 'StateFileError';
    this.code = code;
    this.path = path;
  }
}

async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // some filesystems refuse fsync on a directory; the rename itself is still atomic
  } finally {
    if (handle) await handle.close().catch(() => {});
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  let handle;
  try {
    handle = await openPrivate(tmp, 'w');
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));
}

/**
 * An Adapter<T> over one JSON file. `read()` answers null when the file does not exist yet and
 * throws a StateFileError (code STATE_FILE_CORRUPT) when it holds anything but JSON. Writes
 * through one adapter run one after another (they share the tmp file).
 */
export function createAtomicFileAdapter<T>(path: string): Adapter<T> {
  let chain: Promise<void> = Promise.resolve();
  return {
    async read(): Promise<T | null> {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOENT') return null;
        throw new StateFileError(
          'STATE_FILE_UNREADABLE',
          path,
          `state file ${path} cannot be read: ${(err as Error).message}`,
        );
      }
      if (text.trim() === '') {
        throw new StateFileError('STATE_FILE_CORRUPT', path, `state file ${path} is empty (expected JSON)`);
      }
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new StateFileError(
          'STATE_FILE_CORRUPT',
          path,
          `state file ${path} is not valid JSON: ${(err as Error).message}`,
        );
      }
    },
    write(data: T): Promise<void> {
      let text: string;
      try {
        text = JSON.stringify(data, null, 2) + '\n';
      } catch (err) {
        return Promise.reject(err);
      }
      const run = chain.then(() => writeAtomically(path, text));
      chain = run.catch(() => {});
      return run;
    },
  };
}
