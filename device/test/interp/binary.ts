// Where the real Espruino interpreter lives: FOBGATE_ESPRUINO_DIR, else ../shared/espruino beside
// the repository (CI always has it). Two builds: the ESP32's 16,383 variables and a 12,000-variable
// variant (a board with less free heap). Tests say plainly when it is missing.
//
// Both are 32-bit x86 Linux programs (14-byte variables, as on the chip). A kernel without IA-32
// emulation (some virtual machines: execve answers ENOEXEC) cannot start them; there they run
// under qemu's user-mode emulator (Debian package qemu-user-static), which needs nothing from the
// kernel. interpreterCommand() says which, decided once per process by asking the binary for its
// usage text; FOBGATE_ESPRUINO_VIA=qemu forces the emulator (to try it on a machine that does not
// need it).
import { spawnSync } from 'node:child_process';
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

/** Emulators tried, in order, when the kernel cannot run the 32-bit binary itself. */
const EMULATORS = ['qemu-i386-static', 'qemu-i386'];

/** How this machine starts the interpreter: [] (directly) or the emulator to start it under. */
let launcher: string[] | null | undefined;

function printsUsage(command: string, args: string[]): boolean {
  // --help prints the usage and exits; a binary the kernel refuses is handed to /bin/sh by
  // execvp, which prints a syntax error instead
  const r = spawnSync(command, args, { encoding: 'latin1', timeout: 20_000, killSignal: 'SIGKILL', stdio: ['ignore', 'pipe', 'pipe'] });
  return !r.error && /Usage:/.test((r.stdout || '') + (r.stderr || ''));
}

/** The launcher prefix, or null when neither the kernel nor an emulator can run the binary. */
function interpreterLauncher(): string[] | null {
  if (launcher !== undefined) return launcher;
  const binary = binaryPath(16383);
  const forced = process.env.FOBGATE_ESPRUINO_VIA === 'qemu';
  launcher = null;
  if (!forced && printsUsage(binary, ['--help'])) launcher = [];
  else {
    for (const e of EMULATORS) {
      if (printsUsage(e, [binary, '--help'])) {
        launcher = [e];
        break;
      }
    }
  }
  return launcher;
}

/** The command and arguments that start interpreter build `vars` with `args` (see the top of this file). */
export function interpreterCommand(vars: VarCount, args: string[] = []): { command: string; args: string[] } {
  const via = interpreterLauncher();
  if (via === null) throw new Error(interpreterMissing());
  return via.length ? { command: via[0], args: via.slice(1).concat([binaryPath(vars)], args) } : { command: binaryPath(vars), args };
}

/** 'native', or the emulator the interpreter runs under on this machine (for benchmark reports). */
export function interpreterVia(): string {
  const via = interpreterLauncher();
  return via === null ? 'none' : via.length ? via[0] : 'native';
}

/** '' when both interpreter builds are there and this machine can run them, else what is missing. */
export function interpreterMissing(): string {
  const missing: string[] = [];
  for (const v of [16383, 12000] as VarCount[]) {
    try {
      accessSync(binaryPath(v), constants.X_OK);
    } catch {
      missing.push(binaryPath(v));
    }
  }
  if (!missing.length) {
    if (interpreterLauncher() !== null) return '';
    return 'this kernel cannot run the 32-bit x86 interpreter (' + binaryPath(16383) + ') and no emulator (' + EMULATORS.join(', ') + ') is installed: install Debian\'s qemu-user-static';
  }
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
