// The firmware build as functions: bundle the TypeScript entry (esbuild, ES2020), lower it to
// ES5 (TypeScript compiler API, helpers left out), wrap it in one function with our Espruino-safe
// helpers, hoist function declarations, fill array holes, shorten local names (mangle.ts), strip
// comments and indentation, then gate and measure the result.
import { build as esbuild } from 'esbuild';
import * as acorn from 'acorn';
import ts from 'typescript';
import { formatGateIssue, gateCheck, type GateIssue } from './gate.js';
import { compactScript } from './compact.js';
import { mangleLocals } from './mangle.js';
import { markRamFunctions } from './ram-functions.js';
import { helperPrelude, HELPERS } from './helpers.js';
import { sizeReport, type SizeBudget, type SizeReport } from './size.js';
import { transformSource } from './transforms.js';

export interface PipelineOptions {
  /** Absolute path of the TypeScript entry. */
  entry: string;
  /** Modules left as runtime `require("Name")` (the interpreter's built-ins). */
  builtins: string[];
  budget: SizeBudget;
  /** Stamped into the bundle as the global constant FG_BUILD_VERSION. */
  version: string;
  /** Functions given Espruino's "ram" directive (ram-functions.ts); none when absent. */
  ram?: string[];
  /** Each of `ram` must be in the bundle (default true); false skips the missing ones. */
  ramRequired?: boolean;
}

export interface BuildReport {
  ok: boolean;
  entry: string;
  version: string;
  /** ES5 after the transforms, before local names are shortened and comments/indentation stripped. */
  es5Bytes: number;
  /** firmware.js as the comment/indentation strip alone made it (local names as written, line breaks kept). */
  unmangledBytes: number;
  /** firmware.js as flashed. */
  bytes: number;
  minifiedBytes: number;
  minifier: string;
  functions: number;
  budget: SizeBudget;
  helpers: string[];
  hoistedFunctions: number;
  filledHoles: number;
  /** Functions that run from RAM (the "ram" directive). */
  ramFunctions: string[];
  builtins: string[];
  gateIssues: GateIssue[];
  errors: string[];
}

export interface PipelineResult {
  /** The firmware text (also when the gate failed, for inspection). */
  code: string;
  report: BuildReport;
}

const LOWER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES5,
  module: ts.ModuleKind.CommonJS,
  allowJs: true,
  noEmitHelpers: true,
  alwaysStrict: false,
  removeComments: true,
  ignoreDeprecations: '6.0',
};

/** Bundles the entry into one ES2020 script; built-in `require` calls are left alone. */
export async function bundle(entry: string, builtins: string[], version: string): Promise<string> {
  const r = await esbuild({
    entryPoints: [entry],
    bundle: true,
    // cjs, not iife: esbuild's iife wraps external requires in a `__require` shim that needs
    // Proxy; cjs leaves `require("Storage")` as written. We wrap the script ourselves.
    format: 'cjs',
    platform: 'neutral',
    // @fobgate/shared's chip entry (src/chip.ts): the same files device/tsconfig.chip.json checks.
    conditions: ['espruino'],
    target: 'es2020',
    external: builtins,
    charset: 'ascii',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    define: { FG_BUILD_VERSION: JSON.stringify(version) },
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false } },
  });
  return r.outputFiles[0].text;
}

/** TypeScript's ES5 lowering of a script, without helper definitions. */
export function lowerToEs5(code: string): string {
  const out = ts.transpileModule(code, { fileName: 'firmware.js', compilerOptions: LOWER_OPTIONS, reportDiagnostics: true });
  const diags = (out.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (diags.length > 0) {
    throw new Error('TypeScript lowering failed: ' + diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; '));
  }
  return out.outputText;
}

/** Identifier names used in a script (acorn's tokenizer: strings and comments never count). */
export function identifiersIn(code: string): string[] {
  const seen: { [n: string]: true } = {};
  for (const tok of acorn.tokenizer(code, { ecmaVersion: 'latest' })) {
    if (tok.type === acorn.tokTypes.name) seen[code.slice(tok.start, tok.end)] = true;
  }
  return Object.keys(seen);
}

/** The one global the firmware defines: the function that holds it, called by name at the end. */
export const FIRMWARE_FUNCTION = 'fobgateFirmware';

/**
 * ES5 script -> firmware text: one function scope holding our helpers and the program, function
 * declarations hoisted, array holes filled.
 *
 * The wrapper is a NAMED function called by its name, never an anonymous `(function(){…})()`:
 * Espruino 2v29 names each stack frame of an error after the expression that was called, and for
 * an anonymous call that expression is the function itself, which it turns into text
 * (jsvGetString -> jsvAsString). While the firmware boots, the wrapper is on the stack, so every
 * Error created during boot (even a caught one, e.g. `Invalid pin`) copied the whole firmware
 * into RAM: ~11,500 of 16,383 variables for 110 KB, enough to end the boot in LOW_MEMORY.
 * Called by name, the frame is named "fobgateFirmware" (docs/on-chip.md, "Errors during boot").
 */
export function postProcess(es5: string): { code: string; helpers: string[]; hoisted: number; holes: number } {
  const used = identifiersIn(es5);
  const prelude = helperPrelude(used);
  const wrapped = 'function ' + FIRMWARE_FUNCTION + '() {\n' + prelude.code + es5.replace(/\s+$/, '') + '\n}\n' + FIRMWARE_FUNCTION + '();\n';
  const t = transformSource(wrapped, { hoist: true, holes: true });
  return { code: t.code, helpers: prelude.names, hoisted: t.hoisted, holes: t.holes };
}

/**
 * The flat firmware with a line break after the wrapper's `{` and around its closing `}` (the
 * program itself is one line): what a reader (and scripts/test/flash-interpreter-memory.test.ts)
 * finds at the start and the end of firmware.js.
 */
export function wrapperLines(flat: string): string {
  const open = 'function ' + FIRMWARE_FUNCTION + '(){';
  const close = '}' + FIRMWARE_FUNCTION + '();\n';
  if (!flat.startsWith(open) || !flat.endsWith(close)) throw new Error('the firmware does not have the form ' + open + '...' + close.trim());
  return open + '\n' + flat.slice(open.length, flat.length - close.length) + '\n}\n' + FIRMWARE_FUNCTION + '();\n';
}

function message(e: unknown): string {
  if (e && typeof e === 'object' && 'errors' in e && Array.isArray((e as { errors: unknown[] }).errors)) {
    // esbuild: list each problem with its file:line:col
    return (e as { errors: Array<{ text: string; location: { file: string; line: number; column: number } | null }> }).errors
      .map((m) => (m.location ? m.location.file + ':' + m.location.line + ':' + (m.location.column + 1) + ': ' : '') + m.text)
      .join('\n');
  }
  return e instanceof Error ? e.message : String(e);
}

/** Runs every step; never throws: failures are in report.errors. */
export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const report: BuildReport = {
    ok: false,
    entry: opts.entry,
    version: opts.version,
    es5Bytes: 0,
    unmangledBytes: 0,
    bytes: 0,
    minifiedBytes: 0,
    minifier: 'esbuild minify (renames locals, target es5) of firmware.js',
    functions: 0,
    budget: opts.budget,
    helpers: [],
    hoistedFunctions: 0,
    filledHoles: 0,
    ramFunctions: [],
    builtins: opts.builtins,
    gateIssues: [],
    errors: [],
  };
  let code = '';
  try {
    const bundled = await bundle(opts.entry, opts.builtins, opts.version);
    if (/\b__toCommonJS\b|\bmodule\.exports\b/.test(bundled)) {
      report.errors.push('entry ' + opts.entry + ' exports something: the firmware entry must be a script with no exports');
    }
    const lowered = lowerToEs5(bundled);
    const post = postProcess(lowered);
    report.es5Bytes = post.code.length;
    const ram = markRamFunctions(post.code, opts.ram || [], opts.ramRequired !== false);
    for (const p of ram.problems) report.errors.push('build: ' + p);
    report.ramFunctions = ram.marked;
    const header = '// fobgate firmware ' + opts.version + ' for Espruino: generated by device/build/build.ts, do not edit\n';
    report.unmangledBytes = header.length + compactScript(post.code).length;
    code = header + wrapperLines(compactScript(mangleLocals(ram.code), { lineBreaks: false }));
    report.helpers = post.helpers;
    report.hoistedFunctions = post.hoisted;
    report.filledHoles = post.holes;
  } catch (e) {
    report.errors.push('build failed: ' + message(e));
    return { code: code, report: report };
  }
  report.gateIssues = gateCheck(code, { builtins: opts.builtins });
  for (const i of report.gateIssues) report.errors.push('gate: ' + formatGateIssue('firmware.js', i));
  try {
    const size: SizeReport = sizeReport(code, opts.budget);
    report.bytes = size.bytes;
    report.minifiedBytes = size.minifiedBytes;
    report.functions = size.functions;
    for (const o of size.over) report.errors.push('budget: ' + o);
  } catch (e) {
    report.errors.push('size: could not minify for the size report: ' + message(e));
  }
  report.ok = report.errors.length === 0;
  return { code: code, report: report };
}

/** Names of the helpers we can supply (for tests and docs). */
export const SUPPORTED_HELPERS = Object.keys(HELPERS);
