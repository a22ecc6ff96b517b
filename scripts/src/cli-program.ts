// What the espruino CLI will store on the unit, known before anything is sent.
//
// The CLI rewrites a program before upload when it thinks a `require("X")` names a module the
// board lacks: it looks X up on the internet and puts what it finds (or, offline, one "\n") in
// front of the program. The unit's digest of `.bootcde` then differs from firmware.js, and an
// offline laptop cannot flash at all. So the CLI gets a board file listing every module any of
// our boards has (device/board/*.json; the build's gate already refuses any other require), and
// before uploading we let the CLI render the program offline and check that it is byte for byte
// firmware.js: the digest we expect is then exactly what the unit computes over `.bootcde`.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allBuiltinModules, boardModules, BOARD_DIR } from '@fobgate/device/builtins';
import { runEspruino, type CliRun } from './espruino-cli.js';

export type Profile = 'esp32' | 'host';

/** Writes the board file the CLI gets for `profile` into `dir`; returns its path. */
export function writeCliBoard(profile: Profile, dir: string): string {
  const src = join(BOARD_DIR, `${profile}.json`);
  const board = JSON.parse(readFileSync(src, 'utf8')) as { info: { builtin_modules: string[] } & Record<string, unknown> } & Record<string, unknown>;
  const own = boardModules(src);
  // Modules another board has and this one lacks are just as absent at run time (the firmware
  // copes: the host build has no Wifi); listing them only stops the CLI from fetching them.
  board.info.builtin_modules = own.concat(allBuiltinModules().filter((m) => own.indexOf(m) < 0));
  const out = join(dir, `cli-board-${profile}.json`);
  writeFileSync(out, JSON.stringify(board, null, 2) + '\n');
  return out;
}

/** SHA-256 hex of bytes, as the unit's FG_INFO() computes it over a Storage file. */
export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type Rendered = { ok: true; text: string } | { ok: false; problem: string; run: CliRun | null };

/**
 * Lets the CLI render the program offline (`-n -o`) with the given board file and checks it is
 * the firmware unchanged. On success the unit's `.bootcde` will hold exactly `firmware`.
 */
export async function renderProgram(boardFile: string, firmwarePath: string, dir: string): Promise<Rendered> {
  const out = join(dir, 'cli-program.js');
  const run = await runEspruino({ args: ['-n', '--board', boardFile, '-o', out, firmwarePath], timeoutMs: 60_000 });
  if (run.code !== 0 || !existsSync(out)) return { ok: false, problem: 'the espruino CLI could not prepare the program offline', run };
  const text = readFileSync(out, 'latin1');
  const firmware = readFileSync(firmwarePath, 'latin1');
  if (text === firmware) return { ok: true, text };
  return { ok: false, problem: describeDifference(firmware, text), run };
}

function describeDifference(firmware: string, text: string): string {
  let i = 0;
  while (i < firmware.length && i < text.length && firmware.charCodeAt(i) === text.charCodeAt(i)) i++;
  const added = text.endsWith(firmware) ? ` (it puts ${text.length - firmware.length} byte(s) in front: ${JSON.stringify(text.slice(0, Math.min(60, text.length - firmware.length)))})` : '';
  return `the espruino CLI would change the program before upload${added}: first difference at byte ${i} of ${firmware.length}; the unit's digest could never match. Is a module the firmware requires missing from device/board/*.json?`;
}
