/// <reference types="node" />
// Real Lua interpreters for the Lua tests and the benchmark:
// - reference Lua 5.1.5, 5.3.6 and 5.4.7 compiled to WebAssembly (npm: lua-wasm-bindings, the
//   builds typescript-to-lua tests itself with), so `npm test` needs nothing installed;
// - Debian's `lua5.1` binary when it is present (FOBGATE_LUA51 names another path; CI installs it).
// Every run gets a fresh interpreter. Input goes in as named frames on stdin and the script reads
// them with io.read (so large inputs never pass through the C stack); output is what it writes to
// stdout.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface LuaRun {
  ok: boolean;
  /** What the script wrote to stdout. */
  out: string;
  /** The Lua error (or the process's stderr), '' when ok. */
  error: string;
}

export interface LuaHost {
  /** "lua 5.1 (wasm)", "lua5.1 (Debian)" ... */
  name: string;
  /** _VERSION of the interpreter: "Lua 5.1" ... */
  version: string;
  /** Run `script` with `frames` readable through FRAMES[name] (see BOOT). */
  run(script: string, frames?: Record<string, string | Buffer>): LuaRun;
}

/**
 * The chunk every run starts with: reads the frames ("<name> <length>\n<bytes>" until EOF) into
 * FRAMES, then runs FRAMES.main. The loader is `loadstring` (5.1) or `load` (5.2+).
 */
const BOOT = [
  'FRAMES = {}',
  'while true do',
  '  local head = io.read("*l")',
  '  if head == nil or head == "" then break end',
  '  local name, len = string.match(head, "^(%S+) (%d+)$")',
  '  FRAMES[name] = len == "0" and "" or io.read(tonumber(len))',
  'end',
  'local load_ = loadstring or load',
  'local main = assert(load_(FRAMES.main, "=main"))',
  'main()',
  'io.stdout:flush()',
].join('\n');

function framesOf(script: string, frames: Record<string, string | Buffer> | undefined): Buffer {
  const parts: Buffer[] = [];
  const all: Record<string, string | Buffer> = Object.assign({}, frames || {}, { main: script });
  for (const name of Object.keys(all)) {
    const v = all[name];
    const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    parts.push(Buffer.from(name + ' ' + bytes.length + '\n', 'latin1'), bytes);
  }
  parts.push(Buffer.from('\n', 'latin1'));
  return Buffer.concat(parts);
}

type Glue = (opts: Record<string, unknown>) => { cwrap: (...args: any[]) => any };

const WASM_BUILDS: Array<{ short: string; full: string }> = [
  { short: '5.1', full: '5.1.5' },
  { short: '5.3', full: '5.3.6' },
  { short: '5.4', full: '5.4.7' },
];

function wasmHost(short: string, full: string): LuaHost {
  const glue: Glue = require('lua-wasm-bindings/dist/glue/glue-lua-' + full + '.js').default ||
    require('lua-wasm-bindings/dist/glue/glue-lua-' + full + '.js');
  const factory = require('lua-wasm-bindings/dist/binding-factory.js');
  return {
    name: 'lua ' + full + ' (WebAssembly)',
    version: 'Lua ' + short,
    run(script: string, frames?: Record<string, string | Buffer>): LuaRun {
      const input = framesOf(script, frames);
      // the Emscripten glue adds process listeners per instance: take them off again after the run
      const proc = process as unknown as NodeJS.EventEmitter;
      const events = ['uncaughtException', 'unhandledRejection'];
      const before = events.map((e) => proc.listeners(e).slice());
      let at = 0;
      const out: number[] = [];
      const errOut: string[] = [];
      const module = glue({
        stdin: () => (at < input.length ? input[at++] : null),
        stdout: (c: number) => {
          if (c !== null && c !== undefined) out.push(c < 0 ? c + 256 : c);
        },
        stderr: (c: number) => {
          if (c !== null && c !== undefined) errOut.push(String.fromCharCode(c < 0 ? c + 256 : c));
        },
        print: (s: string) => errOut.push(s + '\n'),
        printErr: (s: string) => errOut.push(s + '\n'),
      });
      const lua = factory.createLua(module, full);
      const lauxlib = factory.createLauxLib(module, lua, full);
      const lualib = factory.createLuaLib(module, full);
      const L = lauxlib.luaL_newstate();
      lualib.luaL_openlibs(L);
      const status = lauxlib.luaL_dostring(L, BOOT);
      let error = '';
      if (status !== 0) error = String(lua.lua_tostring(L, -1));
      lua.lua_close(L);
      events.forEach((e, i) => {
        for (const l of proc.listeners(e)) if (before[i].indexOf(l) < 0) proc.removeListener(e, l as (...a: unknown[]) => void);
      });
      const text = Buffer.from(out).toString('latin1');
      return { ok: status === 0, out: text, error: error || (status !== 0 ? errOut.join('') : '') };
    },
  };
}

/** Path of Debian's lua5.1, or null when it is not installed. */
export function debianLua51Path(): string | null {
  const p = process.env.FOBGATE_LUA51 || '/usr/bin/lua5.1';
  return existsSync(p) ? p : null;
}

function nativeHost(path: string): LuaHost {
  return {
    name: 'lua5.1 (' + path + ')',
    version: 'Lua 5.1',
    run(script: string, frames?: Record<string, string | Buffer>): LuaRun {
      const r = spawnSync(path, ['-e', BOOT], { input: framesOf(script, frames), maxBuffer: 1 << 30, timeout: 600_000 });
      const out = r.stdout ? r.stdout.toString('latin1') : '';
      const err = r.stderr ? r.stderr.toString('utf8') : '';
      const ok = r.status === 0 && !r.error;
      return { ok: ok, out: out, error: ok ? '' : (err || String(r.error || 'exit ' + r.status)) };
    },
  };
}

/** The WebAssembly interpreters (always available). */
export function wasmHosts(): LuaHost[] {
  return WASM_BUILDS.map((b) => wasmHost(b.short, b.full));
}

/** One WebAssembly interpreter by version ("5.1", "5.3", "5.4"). */
export function wasmHostFor(short: string): LuaHost {
  const b = WASM_BUILDS.find((x) => x.short === short);
  if (!b) throw new Error('no WebAssembly Lua ' + short);
  return wasmHost(b.short, b.full);
}

/** Debian's lua5.1, or null (the caller says so plainly). */
export function debianHost(): LuaHost | null {
  const p = debianLua51Path();
  return p ? nativeHost(p) : null;
}

/** Message for a missing lua5.1 binary. */
export const NO_DEBIAN_LUA = 'lua5.1 is not installed here (apt-get install lua5.1; CI installs it in .ci/run): ' +
  'the Lua 5.1 runs use the WebAssembly build of reference Lua 5.1.5 only';
