/// <reference types="node" />
// The golden-vector suite on one Lua interpreter (see golden.ts): every shared/src test file is
// recorded once per content of the sources (cached in the temp directory, shared by the test
// files of each interpreter), replayed on the interpreter, and each vector's result compared with
// TypeScript's. One uvu test per source test file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreLua } from './compiled-core.js';
import {
  compare, luaModuleExports, recordTestFile, replay, sourceTestFiles, unreplayable, vectorLines, LUA_READINGS, type Recording,
} from './golden.js';
import { debianHost, wasmHostFor, NO_DEBIAN_LUA, type LuaHost } from './lua-hosts.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHARED = join(here, '..', '..');

function digestOf(paths: string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(p);
    h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

/** Everything a recording depends on: the core, the test files and their helpers, the recorder. */
function recordingInputs(): string[] {
  const src = readdirSync(join(SHARED, 'src')).sort().map((f) => join(SHARED, 'src', f));
  const rec = readdirSync(join(here, 'record')).sort().map((f) => join(here, 'record', f));
  return src.concat(rec, [join(SHARED, 'lua', 'fobgate_core.ts'), join(SHARED, 'test-vectors', 'sha256.json')]);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The recording of one test file, made once per content of its inputs (a lock keeps two runs from both making it). */
export function cachedRecording(file: string, inputsDigest: string, wrap: () => Record<string, string[]>): { recording: Recording; testOk: boolean; output: string } {
  const base = join(tmpdir(), 'fobgate-lua-vectors-' + inputsDigest + '-' + basename(file));
  const done = base + '.json';
  const lock = base + '.lock';
  for (let waited = 0; !existsSync(done); waited += 200) {
    try {
      mkdirSync(lock);
    } catch (e) {
      // another test file is recording it; a lock older than 10 minutes is stale
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      } catch (e2) { /* gone meanwhile */ }
      sleep(200);
      continue;
    }
    try {
      const r = recordTestFile(file, wrap());
      const tmp = done + '.' + process.pid + '.tmp';
      writeFileSync(tmp, JSON.stringify({ recording: r.recording, testOk: r.testOk, output: r.testOk ? '' : r.testOutput.slice(-4000) }));
      renameSync(tmp, done);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return JSON.parse(readFileSync(done, 'utf8'));
}

/**
 * The source test files are replayed in groups, one test file each (so each stays well inside the
 * runner's time per file); a new shared/src test file falls into "core" unless a pattern names it.
 */
export const GROUPS: Record<string, RegExp | null> = {
  lists: /^authlist\./,
  delta: /^authlist-delta/,
  safety: /^decision-safety/,
  subject: /^(decision-subject|config)\./,
  decision: /^(decision|decision-differences|legacy-update)\./,
  core: null,
};

/** The source test files of a group. */
export function groupFiles(group: string): string[] {
  const named = Object.keys(GROUPS).filter((g) => GROUPS[g] !== null);
  return sourceTestFiles().filter((f) => {
    const name = basename(f);
    const pattern = GROUPS[group];
    if (pattern) return pattern.test(name);
    return !named.some((g) => (GROUPS[g] as RegExp).test(name));
  });
}

/** The interpreters a group runs on: reference Lua 5.1 and 5.4 (WebAssembly), Debian's lua5.1 when present. */
export function goldenHosts(which: Array<'5.1' | '5.4' | 'debian'>): LuaHost[] {
  const hosts: LuaHost[] = [];
  for (const w of which) {
    if (w !== 'debian') hosts.push(wasmHostFor(w));
    else {
      const deb = debianHost();
      if (deb) hosts.push(deb);
      else console.log(NO_DEBIAN_LUA);
    }
  }
  return hosts;
}

/** Define the uvu tests of one group of the golden suite: each of its files on each interpreter. */
export function goldenSuite(group: string, which: Array<'5.1' | '5.4' | 'debian'> = ['5.1', '5.4', 'debian']): void {
  const files = groupFiles(group);
  const hosts = goldenHosts(which);
  const inputs = digestOf(recordingInputs());
  let wrapMap: Record<string, string[]> | null = null;
  const wrap = () => (wrapMap = wrapMap || luaModuleExports());
  let total = 0;
  for (const file of files) {
    for (const host of hosts) {
      test(host.name + ': the calls of ' + basename(file) + ' give TypeScript\'s results', () => {
        const r = cachedRecording(file, inputs, wrap);
        assert.ok(r.testOk, basename(file) + ' failed under the recorder, so its vectors are not trusted:\n' + r.output);
        const rec = r.recording;
        const skipped = unreplayable(rec);
        const out = replay(host, coreLua(), vectorLines(rec, skipped));
        const v = compare(rec, out.lines, skipped);
        total += v.compared;
        const why = new Map<string, number>();
        for (const s of skipped.values()) why.set(s, (why.get(s) || 0) + 1);
        console.log('lua golden ' + basename(file) + ' on ' + host.name + ': ' + v.compared + ' vectors compared' +
          (v.readings ? ' (' + v.readings + ' against the Lua reading of their input)' : '') +
          ((rec as { capped?: number }).capped ? ', ' + (rec as { capped?: number }).capped + ' repeated calls of one site not recorded' : '') +
          (skipped.size ? ', not replayed: ' + [...why.entries()].map(([k, n]) => n + ' ' + k).join('; ') : ''));
        assert.is(out.error, '', 'the Lua run failed: ' + out.error);
        assert.equal(v.mismatches.slice(0, 20), [], v.mismatches.length + ' vectors differ from TypeScript');
      });
    }
  }
  test('group ' + group + ': golden vectors were compared', () => {
    assert.ok(files.length > 0, 'no test file in group ' + group);
    assert.ok(total > 0, 'no vector compared');
    assert.ok(LUA_READINGS.length > 0);
  });
}
