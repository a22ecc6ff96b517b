// The interpreter's built-in modules, read from the board descriptions in device/board/. The
// bundler leaves `require("Name")` of these for the interpreter; the gate refuses any other.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const BOARD_DIR = join(import.meta.dirname, '..', 'board');

/** builtin_modules of one board JSON file; throws a clear message when it is malformed. */
export function boardModules(file: string): string[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(file + ': not readable JSON: ' + (e as Error).message, { cause: e });
  }
  const info = (data as { info?: { builtin_modules?: unknown } }).info;
  const list = info ? info.builtin_modules : undefined;
  if (!Array.isArray(list) || !list.every((m) => typeof m === 'string')) {
    throw new Error(file + ': info.builtin_modules must be a list of module names');
  }
  return list as string[];
}

/** The union of the built-in modules of every board profile, sorted. */
export function allBuiltinModules(dir: string = BOARD_DIR): string[] {
  const seen: { [m: string]: true } = {};
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    for (const m of boardModules(join(dir, f))) seen[m] = true;
  }
  return Object.keys(seen).sort();
}
