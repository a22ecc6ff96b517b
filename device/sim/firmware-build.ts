// Makes sure device/dist/firmware.js exists and is newer than its sources (device/src,
// device/build, shared/src), running the device build once when it is not.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICE_DIR, FIRMWARE_PATH } from './unit-sim.js';

export const ROOT = join(DEVICE_DIR, '..');

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

/** True when the built firmware is missing or older than a source file. */
export function firmwareStale(): boolean {
  const sources = Math.max(newestMtime(join(DEVICE_DIR, 'src')), newestMtime(join(DEVICE_DIR, 'build')), newestMtime(join(ROOT, 'shared', 'src')));
  return !existsSync(FIRMWARE_PATH) || statSync(FIRMWARE_PATH).mtimeMs < sources;
}

const LOCK = join(tmpdir(), 'fobgate-firmware-build.lock');
const LOCK_STALE_MS = 5 * 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One build at a time across test processes (they run in parallel). */
function withBuildLock(fn: () => void): void {
  const end = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > LOCK_STALE_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // the holder just released it
      }
      if (Date.now() > end) throw new Error('waited too long for another firmware build (' + LOCK + ')');
      sleepSync(200);
    }
  }
  try {
    fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds the firmware when stale; throws with the build's output when the build fails. */
export function ensureFirmware(): void {
  if (!firmwareStale()) return;
  withBuildLock(() => {
    if (firmwareStale()) build();
  });
}

function build(): void {
  try {
    execFileSync('npx', ['tsx', join(DEVICE_DIR, 'build', 'build.ts')], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const out = e && typeof e === 'object' && 'stdout' in e ? String((e as { stdout: unknown }).stdout) + String((e as { stderr?: unknown }).stderr ?? '') : String(e);
    throw new Error('device build failed:\n' + out.trim());
  }
  if (!existsSync(FIRMWARE_PATH)) throw new Error('device build did not produce ' + FIRMWARE_PATH);
}
