/// <reference types="node" />
// Golden vectors for the Lua build, taken from the TypeScript tests themselves: each test file of
// shared/src runs once with the recorder (record/), which writes down every call it makes into a
// function of the Lua build (arguments, result, the calls of each function it hands in); the
// calls are replayed in order on a Lua interpreter (driver.lua) and every result is compared with
// TypeScript's. The TypeScript tests keep their own assertions and are the one source of the
// vectors: a test added or changed there is a Lua vector the next run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { LuaHost } from './lua-hosts.js';
import { decide } from '../../src/decision.js';

const here = dirname(fileURLToPath(import.meta.url));
export const SHARED = resolve(here, '..', '..');
export const REPO = resolve(SHARED, '..');
const ENTRY = join(SHARED, 'lua', 'fobgate_core.ts');
const DRIVER = readFileSync(join(here, 'driver.lua'), 'utf8');
const ENCODE = readFileSync(join(here, 'encode.lua'), 'utf8');

/** {absolute path: exported value names} of every module compiled into the Lua build. */
export function luaModuleExports(): Record<string, string[]> {
  const program = ts.createProgram([ENTRY], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true, noEmit: true, types: [], skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || !sf.fileName.startsWith(join(SHARED, 'src'))) continue;
    const sym = checker.getSymbolAtLocation(sf);
    if (!sym) continue;
    const names: string[] = [];
    for (const e of checker.getExportsOfModule(sym)) {
      const target = e.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(e) : e;
      if (target.flags & ts.SymbolFlags.Value) names.push(e.name);
    }
    out[resolve(sf.fileName)] = names.sort();
  }
  return out;
}

/** The TypeScript test files whose calls become vectors: every test file of shared/src. */
export function sourceTestFiles(): string[] {
  const dir = join(SHARED, 'src');
  return readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f));
}

export interface Recording {
  calls: RecordedCall[];
  callbacks: Array<{ calls: Record<string, unknown[]> }>;
}

export interface RecordedCall {
  id: number;
  fn: string | { ret: number; method?: string };
  site: string;
  args?: unknown[];
  after?: unknown[];
  result?: unknown;
  ret?: number;
  threw?: string;
  wide?: boolean;
  /** This vector is the 8-bit reading (UTF-8 bytes) of vector bytesOf, whose strings are wider. */
  bytesOf?: number;
  unrecordable?: string;
}

export interface RecordResult {
  file: string;
  /** The TypeScript test's own verdict (its output when it failed). */
  testOk: boolean;
  testOutput: string;
  recording: Recording;
}

/** Run one TypeScript test file with the recorder. */
export function recordTestFile(file: string, wrap: Record<string, string[]>): RecordResult {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-lua-record-'));
  const out = join(dir, 'calls.json');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', pathToFileURL(join(here, 'record', 'register.mjs')).href, file], {
      cwd: REPO,
      env: Object.assign({}, process.env, { FOBGATE_LUA_RECORD: out, FOBGATE_LUA_WRAP: JSON.stringify(wrap), NO_COLOR: '1', FORCE_COLOR: '0' }),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
      timeout: 600_000,
    });
    const output = (r.stdout || '') + (r.stderr || '');
    let recording: Recording = { calls: [], callbacks: [] };
    try {
      recording = JSON.parse(readFileSync(out, 'utf8'));
    } catch (e) {
      return { file: file, testOk: false, testOutput: output + '\n(no recording: ' + String(e) + ')', recording: recording };
    }
    return { file: file, testOk: r.status === 0, testOutput: output, recording: recording };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Vectors that cannot be replayed as recorded, with the reason. */
export function unreplayable(rec: Recording): Map<number, string> {
  const skip = new Map<number, string>();
  const retFrom = new Map<number, number>();
  for (const c of rec.calls) if (c.ret) retFrom.set(c.ret, c.id);
  const badCallbacks = new Set<number>();
  for (const cb of rec.callbacks) {
    for (const vector of Object.keys(cb.calls)) {
      const log = cb.calls[vector] as Array<{ unrecordable?: string }>;
      if (log.some((e) => e.unrecordable !== undefined)) badCallbacks.add(Number(vector));
    }
  }
  for (const c of rec.calls) {
    if (c.unrecordable) skip.set(c.id, 'unrecordable: ' + c.unrecordable);
    else if (badCallbacks.has(c.id)) skip.set(c.id, 'a function it was handed got or gave an unrecordable value');
    else if (!c.args) skip.set(c.id, 'no arguments recorded');
    else if (c.wide) {
      const reading = rec.calls.find((x) => x.bytesOf === c.id);
      skip.set(c.id, reading ? 'compared through its 8-bit reading' : 'a string holds characters above 255 (Lua strings are bytes)');
    }
    else if (c.threw !== undefined) skip.set(c.id, 'TypeScript threw: ' + c.threw);
    else if (typeof c.fn !== 'string' && skip.has(retFrom.get(c.fn.ret) ?? -1)) skip.set(c.id, 'uses the result of a skipped vector');
  }
  return skip;
}

export interface LuaLine {
  id: number;
  ok: boolean;
  result?: unknown;
  after?: unknown[];
  error?: string;
  problems?: string[];
}

/** A JavaScript string as a Lua string literal: each character code (0..255) one byte. */
function luaString(v: string): string {
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c >= 32 && c < 127) out += v[i];
    else out += '\\' + String(c % 256).padStart(3, '0');
  }
  return out + '"';
}

/** A recorded (JSON) value as a Lua table constructor, for the driver to load with the Lua compiler. */
export function luaLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v !== v ? '(0/0)' : v > 0 ? '(1/0)' : '(-1/0)';
  if (typeof v === 'string') return luaString(v);
  if (Array.isArray(v)) return '{' + v.map(luaLiteral).join(',') + '}';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).map((k) => '[' + luaString(k) + ']=' + luaLiteral(o[k])).join(',') + '}';
}

/** The vectors to replay, one Lua chunk a line (`return {...}`), with the logs of the callbacks each one uses. */
export function vectorLines(rec: Recording, skipped: Map<number, string>): string {
  const logs = new Map<number, Record<string, unknown[]>>();
  rec.callbacks.forEach((cb, id) => {
    for (const vector of Object.keys(cb.calls)) {
      const v = Number(vector);
      const m = logs.get(v) || {};
      m[String(id)] = cb.calls[vector];
      logs.set(v, m);
    }
  });
  const out: string[] = [];
  for (const c of rec.calls) {
    if (skipped.has(c.id)) continue;
    const line: Record<string, unknown> = { id: c.id, fn: c.fn, args: c.args };
    if (c.ret) line.ret = c.ret;
    if (c.after) line.after = true;
    const cb = logs.get(c.id);
    if (cb) line.cb = cb;
    out.push('return ' + luaLiteral(line));
  }
  return out.join('\n');
}

/** Replay vectors (vectorLines) on a Lua host; the lines it wrote, by vector id. */
export function replay(host: LuaHost, core: string, vectors: string): { lines: Map<number, LuaLine>; error: string } {
  const r = host.run(DRIVER, { core: core, encode: ENCODE, vectors: vectors });
  const lines = new Map<number, LuaLine>();
  for (const text of r.out.split('\n')) {
    if (!text) continue;
    try {
      const l = JSON.parse(text) as LuaLine;
      lines.set(l.id, l);
    } catch (e) {
      return { lines: lines, error: 'unreadable driver output: ' + text.slice(0, 200) };
    }
  }
  return { lines: lines, error: r.ok ? '' : r.error };
}

// ------------------------------------------------------------------ comparison

const EMPTY = Symbol('empty');

/** A recorded or Lua-written value in one comparable form (null/undefined/absent are all "nothing", as in Lua). */
export function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const out = v.map(normalize);
    while (out.length && out[out.length - 1] === undefined) out.pop();
    return out.length ? out : EMPTY;
  }
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return { typed: 'Uint8Array', data: Array.from(v) };
  if (v instanceof Uint32Array) return { typed: 'Uint32Array', data: Array.from(v) };
  const o = v as Record<string, unknown>;
  if ('$null' in o || '$u' in o) return undefined;
  if ('$empty' in o) return EMPTY;
  if ('$n' in o) return o.$n === 'NaN' ? NaN : o.$n === 'Infinity' ? Infinity : -Infinity;
  if ('$u8' in o) return { typed: 'Uint8Array', data: o.$u8 };
  if ('$u32' in o) return { typed: 'Uint32Array', data: o.$u32 };
  if ('$ab' in o) return { typed: 'ArrayBuffer', data: o.$ab };
  if ('$fn' in o || '$ret' in o || '$export' in o) return '<function>';
  const out: Record<string, unknown> = {};
  let any = false;
  for (const k of Object.keys(o).sort()) {
    const x = normalize(o[k]);
    if (x !== undefined) {
      out[k] = x;
      any = true;
    }
  }
  return any ? out : EMPTY;
}

function show(v: unknown): string {
  if (v === EMPTY) return '[] / {}';
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 160 ? s.slice(0, 160) + '...' : s;
}

/** Where two normalized values differ ('' when equal). */
export function difference(want: unknown, got: unknown, path = ''): string {
  if (want === got) return '';
  if (typeof want === 'number' && typeof got === 'number' && want !== want && got !== got) return '';
  if (want === EMPTY || got === EMPTY || typeof want !== 'object' || typeof got !== 'object' || want === null || got === null) {
    return (path || 'value') + ': TypeScript ' + show(want) + ', Lua ' + show(got);
  }
  if (Array.isArray(want) !== Array.isArray(got)) return (path || 'value') + ': TypeScript ' + show(want) + ', Lua ' + show(got);
  const a = want as Record<string, unknown>;
  const b = got as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = difference(a[k], b[k], path + (Array.isArray(want) ? '[' + k + ']' : '.' + k));
    if (d) return d;
  }
  return '';
}

/** A recorded value back as a JavaScript value (for re-running TypeScript on it). */
export function decodeRecorded(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeRecorded);
  const o = v as Record<string, unknown>;
  if ('$null' in o) return null;
  if ('$u' in o) return undefined;
  if ('$n' in o) return o.$n === 'NaN' ? NaN : o.$n === 'Infinity' ? Infinity : -Infinity;
  if ('$u8' in o) return new Uint8Array(o.$u8 as number[]);
  if ('$u32' in o) return new Uint32Array(o.$u32 as number[]);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) out[k] = decodeRecorded(o[k]);
  return out;
}

/**
 * Where the Lua build reads an input differently by nature, and what TypeScript gives for the Lua
 * reading of that input (the expectation the Lua result is compared with). Each is in docs/lua.md.
 */
export const LUA_READINGS: Array<{ why: string; applies(c: RecordedCall): boolean; expected(c: RecordedCall): unknown }> = [
  {
    why: 'a reboot event without an rfid key: Lua has one nil for absent and null, and the core reads it as null ' +
      '(no card at boot); TypeScript keeps the card seen before when the key is absent',
    applies(c: RecordedCall): boolean {
      if (c.fn !== 'decide' || !c.args) return false;
      const e = c.args[2] as Record<string, unknown> | null;
      return e !== null && typeof e === 'object' && e.type === 'reboot' && !('rfid' in e);
    },
    expected(c: RecordedCall): unknown {
      const a = (c.args as unknown[]).map(decodeRecorded) as Parameters<typeof decide>;
      const event = Object.assign({}, a[2], { rfid: null }) as Parameters<typeof decide>[2];
      return decide(a[0], a[1], event, a[3], a[4]);
    },
  },
  {
    why: 'buildList handed list entries that are numbers or booleans: indexing one (entry.fob) is undefined in ' +
      'JavaScript and an error in Lua ("attempt to index a number value"); buildList is the server\'s side of a list',
    applies(c: RecordedCall): boolean {
      if (c.fn !== 'buildList' || !c.args || !Array.isArray(c.args[1])) return false;
      return (c.args[1] as unknown[]).some((e) => typeof e === 'number' || typeof e === 'boolean');
    },
    expected(): unknown {
      return { luaError: 'attempt to index' };
    },
  },
];

export interface Verdict {
  compared: number;
  /** Vectors compared with TypeScript's result for the Lua reading of their input (LUA_READINGS). */
  readings: number;
  skipped: Map<number, string>;
  mismatches: string[];
}

function describe(c: RecordedCall): string {
  const fn = typeof c.fn === 'string' ? c.fn : 'result of vector ' + c.fn.ret + (c.fn.method ? '.' + c.fn.method : '');
  return '#' + c.id + ' ' + fn + (c.site ? ' (' + c.site + ')' : '');
}

/** Compare every replayed vector with TypeScript's result (and the arguments it changed). */
export function compare(rec: Recording, lines: Map<number, LuaLine>, skipped: Map<number, string>): Verdict {
  const mismatches: string[] = [];
  let compared = 0;
  let readings = 0;
  for (const c of rec.calls) {
    if (skipped.has(c.id)) continue;
    const l = lines.get(c.id);
    if (!l) {
      mismatches.push(describe(c) + ': no result from Lua (the run stopped before it)');
      continue;
    }
    compared++;
    const what: string[] = [];
    const reading = LUA_READINGS.find((r) => r.applies(c));
    const want = reading ? reading.expected(c) : c.result;
    const luaError = want !== null && typeof want === 'object' && 'luaError' in (want as object) ? String((want as { luaError: string }).luaError) : null;
    if (reading) readings++;
    if (luaError !== null) {
      if (l.ok || !String(l.error).includes(luaError)) what.push('expected the Lua error "' + luaError + '", got ' + (l.ok ? 'a result' : l.error));
    } else if (!l.ok) what.push('Lua error: ' + l.error);
    else {
      const d = difference(normalize(want), normalize(l.result));
      if (d) what.push('result ' + d);
      if (c.after) {
        const da = difference(normalize(c.after), normalize(l.after));
        if (da) what.push('arguments after the call: ' + da);
      }
    }
    if (luaError === null) for (const p of l.problems || []) what.push(p);
    if (what.length) mismatches.push(describe(c) + ': ' + what.join('; '));
  }
  return { compared: compared, skipped: skipped, mismatches: mismatches, readings: readings };
}
