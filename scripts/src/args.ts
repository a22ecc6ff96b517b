// The fobgate tools' command lines, read by node:util's parseArgs: positionals, `--flag value`,
// `--flag=value`, boolean switches and `-h`/`--help`. parseArgs runs without its strict mode so
// that its tokens can be checked here and every mistake named in the tools' own words (an
// unknown option, a switch given a value, an option missing its value) as a UsageError.
import { parseArgs as parseArgv } from 'node:util';

export interface ParsedArgs {
  positionals: string[];
  flags: { [name: string]: string | boolean };
}

export interface ArgSpec {
  /** Flags that take a value. */
  values: string[];
  /** Flags that are switches. */
  switches: string[];
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}

export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const options: { [name: string]: { type: 'string' | 'boolean'; short?: string } } = { help: { type: 'boolean', short: 'h' } };
  for (const name of spec.values) options[name] = { type: 'string' };
  for (const name of spec.switches) options[name] = { type: 'boolean' };
  const { tokens } = parseArgv({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const out: ParsedArgs = { positionals: [], flags: {} };
  for (const token of tokens) {
    if (token.kind === 'positional') out.positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const shown = token.rawName;
    const known = options[token.name];
    if (!known) {
      throw new UsageError(`unknown option ${shown} (see --help)`);
    }
    if (known.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${shown} does not take a value`);
      out.flags[token.name] = true;
    } else {
      if (token.value === undefined || token.value === '') throw new UsageError(`${shown} needs a value`);
      // `--machine --dry-run`: the next word is another option, not the value that was forgotten
      if (!token.inlineValue && token.value.startsWith('--')) throw new UsageError(`${shown} needs a value (got the option ${token.value})`);
      out.flags[token.name] = token.value;
    }
  }
  return out;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function num(args: ParsedArgs, name: string, fallback: number): number {
  const v = str(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
}
