// Minimal command-line argument parsing for the fobgate tools: positionals, `--flag value`,
// `--flag=value` and boolean switches; unknown flags are a usage error, not silently ignored.

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
  const out: ParsedArgs = { positionals: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      out.flags.help = true;
      continue;
    }
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (spec.switches.includes(name) || name === 'help') {
      if (eq > 0) throw new UsageError(`--${name} does not take a value`);
      out.flags[name] = true;
    } else if (spec.values.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      out.flags[name] = value;
    } else {
      throw new UsageError(`unknown option --${name} (see --help)`);
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
