/// <reference types="node" />
// The compiled core for the Lua tests and the benchmark: built once per content of its sources
// (shared/src, shared/lua, typescript-to-lua's version) and kept in the temp directory, so the
// Lua test files running side by side share one build. A build with problems throws.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tstl from 'typescript-to-lua';
import { buildLua, type LuaBuild } from '../build.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHARED = join(here, '..', '..');

function sourcesDigest(): string {
  const h = createHash('sha256');
  h.update(tstl.version);
  for (const dir of [join(SHARED, 'src'), join(SHARED, 'lua')]) {
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(ts|lua|json)$/.test(f) || f.endsWith('.test.ts')) continue;
      h.update(f);
      h.update(readFileSync(join(dir, f)));
    }
  }
  return h.digest('hex').slice(0, 16);
}

let cached: string | null = null;

/** The text of fobgate_core.lua for the current sources. */
export function coreLua(): string {
  if (cached !== null) return cached;
  const file = join(tmpdir(), 'fobgate-core-' + sourcesDigest() + '.lua');
  if (existsSync(file)) {
    cached = readFileSync(file, 'utf8');
    return cached;
  }
  const b: LuaBuild = buildLua();
  if (b.problems.length > 0) throw new Error('the shared core does not compile to Lua:\n' + b.problems.join('\n'));
  const tmp = file + '.' + process.pid + '.tmp';
  writeFileSync(tmp, b.code);
  renameSync(tmp, file);
  cached = b.code;
  return cached;
}

/** Lua helpers the test scripts load next to the core (FRAMES.encode). */
export const ENCODE_LUA = readFileSync(join(here, 'encode.lua'), 'utf8');
