// The firmware size report and its budget.
//  - bytes: device/dist/firmware.js as flashed (ES5 with comments and indentation stripped,
//    line breaks kept; see compact.ts). On the ESP32 the program runs from Storage (.bootcde,
//    memory-mapped flash): function bodies stay in flash, so this costs flash and upload time.
//  - minifiedBytes: esbuild's minifier (also renames locals; target es5) run on firmware.js, the
//    floor a fully minified upload would reach. Reported and budgeted, not flashed.
//  - functions: function declarations and expressions in firmware.js. Each costs a handful of
//    RAM variables (header, parameters, scope, pointer to its flash code) even when run from flash,
//    so this is the size figure that tracks RAM.
import * as acorn from 'acorn';
import { transformSync } from 'esbuild';

export interface SizeBudget {
  /** Maximum bytes of firmware.js. */
  bytes: number;
  /** Maximum esbuild-minified bytes. */
  minifiedBytes: number;
}

/**
 * The budget: 128 KiB flashed, 96 KiB minified. 128 KiB is a seventh of the ESP32's 896 KB
 * Storage (the list files and event ring need the rest), and about 11 s of upload at 115200 baud.
 * The minified limit keeps headroom for the RAM-upload debugging path (code text in RAM).
 */
export const DEFAULT_BUDGET: SizeBudget = { bytes: 128 * 1024, minifiedBytes: 96 * 1024 };

export interface SizeReport {
  bytes: number;
  minifiedBytes: number;
  functions: number;
  budget: SizeBudget;
  /** Why the budget was exceeded; empty when within it. */
  over: string[];
}

/** Bytes of the text (the gate keeps it ASCII, so bytes === characters). */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

export function minify(code: string): string {
  return transformSync(code, { minify: true, target: 'es5', loader: 'js', legalComments: 'none' }).code;
}

/** Function declarations and expressions in an ES5 script. */
export function countFunctions(code: string): number {
  let n = 0;
  for (const tok of acorn.tokenizer(code, { ecmaVersion: 5 })) if (tok.type === acorn.tokTypes._function) n++;
  return n;
}

export function sizeReport(code: string, budget: SizeBudget): SizeReport {
  const bytes = byteLength(code);
  const min = byteLength(minify(code));
  const over: string[] = [];
  if (bytes > budget.bytes) over.push('firmware.js is ' + bytes + ' bytes, over the budget of ' + budget.bytes);
  if (min > budget.minifiedBytes) over.push('minified firmware is ' + min + ' bytes, over the budget of ' + budget.minifiedBytes);
  return { bytes: bytes, minifiedBytes: min, functions: countFunctions(code), budget: budget, over: over };
}
