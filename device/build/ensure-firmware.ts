// The one firmware-freshness check and builder, for everyone who needs device/dist/firmware.js:
// the simulator and its CLI, the end-to-end and interpreter tests, and `npm run flash`. It
// rebuilds when firmware.js is missing or older than any source it is made from (device/src,
// device/build, device/board, shared/src), under the build lock of firmware-lock.ts, so parallel
// test processes build at most once and never read a half-written file.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE_LOCK_ENV, lockPath, withFirmwareLock } from './firmware-lock.js';

export const DEVICE_DIR = join(import.meta.dirname, '..');
export const REPO_ROOT = join(DEVICE_DIR, '..');
export const DIST_DIR = join(DEVICE_DIR, 'dist');
export const FIRMWARE_PATH = join(DIST_DIR, 'firmware.js');
/** What firmware.js is built from (relative to the repository root). */
export const FIRMWARE_SOURCES = ['device/src', 'device/build', 'device/board', 'shared/src'];

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return t;
}

/**
 * True when firmware.js is missing or older than one of its sources. The test passes a scratch
 * tree (`root`, `firmware`) so it never changes the times of the real sources while other test
 * processes read them.
 */
export function firmwareStale(root = REPO_ROOT, firmware = FIRMWARE_PATH): boolean {
  if (!existsSync(firmware)) return true;
  const built = statSync(firmware).mtimeMs;
  return FIRMWARE_SOURCES.some((d) => newestMtime(join(root, d)) > built);
}

export class FirmwareBuildError extends Error {
  readonly code = 'FIRMWARE_BUILD_FAILED';
  constructor(readonly output: string) {
    super('the firmware build failed:\n' + output);
  }
}

/**
 * Builds the firmware when it is stale. Returns whether it built; throws FirmwareBuildError
 * (with the last lines of the build's output) when the build or its gate fails.
 */
export function ensureFirmware(): { rebuilt: boolean } {
  if (!firmwareStale()) return { rebuilt: false };
  return withFirmwareLock(DIST_DIR, () => {
    // another process may have built it while we waited for the lock
    if (!firmwareStale()) return { rebuilt: false };
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(DEVICE_DIR, 'build', 'build.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      maxBuffer: 8 * 1024 * 1024,
      env: { ...process.env, [FIRMWARE_LOCK_ENV]: lockPath(DIST_DIR) },
    });
    const out = ((r.stdout || '') + (r.stderr || '') + (r.error ? '\n' + r.error.message : '')).trim();
    if (r.status !== 0) throw new FirmwareBuildError(out.split('\n').slice(-20).join('\n'));
    if (!existsSync(FIRMWARE_PATH)) throw new FirmwareBuildError('the build did not produce ' + FIRMWARE_PATH + '\n' + out);
    return { rebuilt: true };
  });
}
