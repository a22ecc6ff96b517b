// Where the real Espruino interpreter lives: FOBGATE_ESPRUINO_DIR, else ../shared/espruino beside
// the repository (CI always has it). Two builds: the ESP32's 16,383 variables and a 12,000-variable
// variant (a board with less free heap). Tests say plainly when it is missing.
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type VarCount = 16383 | 12000;

const BINARIES: Record<VarCount, string> = {
  16383: 'espruino-2v29-esp32sim',
  12000: 'espruino-2v29-esp32sim-12k',
};

export function espruinoDir(): string {
  const env = process.env.FOBGATE_ESPRUINO_DIR;
  return env && env.length ? resolve(env) : join(REPO_ROOT, '..', 'shared', 'espruino');
}

export function binaryPath(vars: VarCount = 16383): string {
  return join(espruinoDir(), BINARIES[vars]);
}

/** '' when both interpreter builds are there and executable, else what is missing. */
export function interpreterMissing(): string {
  const missing: string[] = [];
  for (const v of [16383, 12000] as VarCount[]) {
    try {
      accessSync(binaryPath(v), constants.X_OK);
    } catch {
      missing.push(binaryPath(v));
    }
  }
  if (!missing.length) return '';
  return 'the Espruino interpreter is missing (' + missing.join(', ') + '); set FOBGATE_ESPRUINO_DIR or put it in ../shared/espruino';
}

/**
 * For a test file of this tier: true when the interpreter is there. Otherwise prints one plain
 * line (the runner shows lines starting with "note:") and the file's tests are skipped.
 */
export function interpreterPresent(file: string): boolean {
  const why = interpreterMissing();
  if (!why) return true;
  console.log('note: ' + file + ': SKIPPED, ' + why);
  return false;
}
