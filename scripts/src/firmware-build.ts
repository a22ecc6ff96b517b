// Finds the built firmware and rebuilds it when any source is newer than the build (the flash
// tool reuses an up-to-date build instead of rebuilding every time).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIRMWARE_PATH = join(REPO_ROOT, 'device', 'dist', 'firmware.js');
const SOURCES = ['device/src', 'device/build', 'device/board', 'shared/src'];

function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

export function firmwareIsFresh(): boolean {
  if (!existsSync(FIRMWARE_PATH)) return false;
  const built = statSync(FIRMWARE_PATH).mtimeMs;
  return SOURCES.every((d) => newest(join(REPO_ROOT, d)) <= built);
}

/** Builds when needed. Returns null on success, or the build's output on failure. */
export function ensureFirmware(): { rebuilt: boolean; error: string | null } {
  if (firmwareIsFresh()) return { rebuilt: false, error: null };
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'device', 'build', 'build.ts')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 4 * 1024 * 1024,
  });
  if (r.status !== 0) return { rebuilt: true, error: ((r.stdout || '') + (r.stderr || '')).trim().split('\n').slice(-20).join('\n') };
  return { rebuilt: true, error: null };
}
