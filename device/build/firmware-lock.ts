// The one lock around writing a firmware output folder (device/dist by default). Every builder
// takes it: `build.ts` when run by hand or by `npm test`, and ensure-firmware.ts, which holds it
// while it re-checks freshness and runs the build (telling the build through FIRMWARE_LOCK_ENV
// that its parent holds the lock). Test files run in parallel processes, so without one lock two
// of them could build at once and one could read a half-written firmware.js.
//
// The lock is a directory (mkdir is atomic) holding the holder's pid and its PID namespace; a
// lock whose holder is gone, or older than LOCK_STALE_MS, is taken over. Some test files run in
// their own PID namespace (scripts/test/netns.ts), where pids mean other processes: a holder from
// another namespace cannot be checked and counts as alive until the lock is stale.
import { mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_NAME = '.build.lock';
/** Set (to the lock path) in the environment of a build whose parent holds the lock. */
export const FIRMWARE_LOCK_ENV = 'FOBGATE_FIRMWARE_LOCK_HELD';
export const LOCK_STALE_MS = 5 * 60_000;
const POLL_MS = 100;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** This process's PID namespace ("pid:[4026531836]"), or '' where /proc cannot say. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

/** What the lock's pid file holds: "<pid> <pid namespace>". */
export function holderRecord(): string {
  return process.pid + ' ' + pidNamespace();
}

function holderAlive(lock: string): boolean {
  let record: string;
  try {
    record = readFileSync(join(lock, 'pid'), 'utf8').trim();
  } catch {
    // created an instant ago and the pid not written yet: treat as alive
    return true;
  }
  const at = record.indexOf(' ');
  const pid = Number(at < 0 ? record : record.slice(0, at));
  const namespace = at < 0 ? '' : record.slice(at + 1);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // its pid means another process here: only the stale age can free its lock
  if (namespace && namespace !== pidNamespace()) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeOverIfStale(lock: string): void {
  try {
    const age = Date.now() - statSync(lock).mtimeMs;
    if (age > LOCK_STALE_MS || !holderAlive(lock)) rmSync(lock, { recursive: true, force: true });
  } catch {
    // released meanwhile
  }
}

/**
 * Takes the build lock of `outDir` and returns the function that releases it. Waits (polling)
 * while another process holds it; throws when that takes longer than `waitMs`. When
 * FIRMWARE_LOCK_ENV names this lock, the caller's parent holds it for us: nothing to take.
 */
export function acquireFirmwareLock(outDir: string, waitMs = LOCK_STALE_MS): () => void {
  const lock = join(outDir, LOCK_NAME);
  if (process.env[FIRMWARE_LOCK_ENV] === lock) return () => {};
  mkdirSync(outDir, { recursive: true });
  const end = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      takeOverIfStale(lock);
      if (Date.now() > end) throw new Error('waited ' + Math.round(waitMs / 1000) + ' s for another firmware build to finish (' + lock + ')', { cause: e });
      sleepSync(POLL_MS);
    }
  }
  writeFileSync(join(lock, 'pid'), holderRecord());
  let held = true;
  return () => {
    if (held) rmSync(lock, { recursive: true, force: true });
    held = false;
  };
}

/** Runs fn while holding the build lock of `outDir` (see acquireFirmwareLock). */
export function withFirmwareLock<T>(outDir: string, fn: () => T, waitMs = LOCK_STALE_MS): T {
  const release = acquireFirmwareLock(outDir, waitMs);
  try {
    return fn();
  } finally {
    release();
  }
}

/** The lock path of an output folder (what FIRMWARE_LOCK_ENV carries). */
export function lockPath(outDir: string): string {
  return join(outDir, LOCK_NAME);
}
