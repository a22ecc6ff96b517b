// The server's files hold secrets (unit keys in state.json, the admin token) and member data
// (users.json, its history, the event log): folders 0700 and files 0600, whatever the umask the
// server was started with. Modes are set explicitly after creating (open/mkdir modes are masked
// by the umask) and tightened on files an older version left readable.
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** What a process that only creates private files should run under (group and others: nothing). */
export const PRIVATE_UMASK = 0o077;

/** Creates `dir` (and missing parents) as 0700; an existing `dir` is tightened to 0700. */
export function ensurePrivateDir(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const d of missing) chmodSync(d, PRIVATE_DIR_MODE);
  tighten(dir, PRIVATE_DIR_MODE);
}

/**
 * Takes group/other permissions away from `path` if it has any: 'tightened', 'private' (nothing to
 * do, or no such file) or 'failed' (not ours to change).
 */
export function tighten(path: string, mode: number = PRIVATE_FILE_MODE): 'tightened' | 'private' | 'failed' {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 'private';
  }
  if ((st.mode & 0o077) === 0) return 'private';
  try {
    chmodSync(path, mode);
  } catch {
    return 'failed';
  }
  return 'tightened';
}

export interface TightenReport {
  /** Paths that were readable by others and are not any more. */
  tightened: string[];
  /** Paths readable by others that could not be changed. */
  failed: string[];
}

/** Tightens every file and folder under `dir` (links are not followed). */
export function tightenTree(dir: string, report: TightenReport = { tightened: [], failed: [] }): TightenReport {
  const note = (p: string, r: 'tightened' | 'private' | 'failed') => {
    if (r === 'tightened') report.tightened.push(p);
    else if (r === 'failed') report.failed.push(p);
  };
  note(dir, tighten(dir, PRIVATE_DIR_MODE));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return report;
  }
  for (const name of names) {
    const p = join(dir, name);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) tightenTree(p, report);
    else if (st.isFile()) note(p, tighten(p));
  }
  return report;
}

/** Writes a whole file as 0600 (an existing one is made 0600 too). */
export function writePrivateFileSync(path: string, text: string): void {
  writeFileSync(path, text, { mode: PRIVATE_FILE_MODE });
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** Opens (creating as 0600) a file for writing or appending; an existing file is made 0600. */
export async function openPrivate(path: string, flags: 'w' | 'a'): Promise<FileHandle> {
  const handle = await open(path, flags, PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
  return handle;
}
