// `npm run build -w device`: builds device/dist/firmware.js and device/dist/build-report.json,
// prints `size:`, `gate:` and `budget:` lines, and exits non-zero when the firmware fails the
// ES5/banned-API gate or the size budget (also run as a step of `npm test`).
//
//   tsx device/build/build.ts [--entry file.ts] [--out dir] [--budget bytes] [--budget-min bytes] [--ram]
// The firmware (the default entry) always gets the "ram" directive on its tap path
// (ram-functions.ts); another entry gets it on those of the same functions it has with --ram.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { allBuiltinModules } from './builtins.js';
import { acquireFirmwareLock } from './firmware-lock.js';
import { runPipeline } from './pipeline.js';
import { RAM_FUNCTIONS } from './ram-functions.js';
import { DEFAULT_BUDGET, type SizeBudget } from './size.js';

const DEVICE_DIR = join(import.meta.dirname, '..');
/** The firmware entry, written by the firmware engineer; the first existing one is built. */
const ENTRY_CANDIDATES = ['src/main.ts'];

interface Args {
  entry: string | null;
  out: string;
  budget: SizeBudget;
  ram: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { entry: null, out: join(DEVICE_DIR, 'dist'), budget: { bytes: DEFAULT_BUDGET.bytes, minifiedBytes: DEFAULT_BUDGET.minifiedBytes }, ram: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--ram') {
      args.ram = true;
      continue;
    }
    const v = argv[i + 1];
    if (v === undefined && a.startsWith('--')) throw new Error('option ' + a + ' needs a value');
    if (a === '--entry') args.entry = resolve(v);
    else if (a === '--out') args.out = resolve(v);
    else if (a === '--budget' || a === '--budget-min') {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new Error(a + ' must be a positive number of bytes, got "' + v + '"');
      if (a === '--budget') args.budget.bytes = n;
      else args.budget.minifiedBytes = n;
    } else throw new Error('unknown option "' + a + '" (use --entry, --out, --budget, --budget-min, --ram)');
    i++;
  }
  return args;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(DEVICE_DIR, 'package.json'), 'utf8')) as { version: string };
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: DEVICE_DIR, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return pkg.version + '+' + sha;
  } catch (e) {
    return pkg.version;
  }
}

function pct(n: number, of: number): string {
  return Math.round((n / of) * 100) + '%';
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let entry = args.entry;
  const firmware = entry === null;
  if (entry === null) {
    for (const c of ENTRY_CANDIDATES) if (existsSync(join(DEVICE_DIR, c))) entry = join(DEVICE_DIR, c);
  }
  if (entry === null || !existsSync(entry)) {
    console.error('gate: FAILED: no firmware entry: ' + (entry || ENTRY_CANDIDATES.map((c) => 'device/' + c).join(' or ')) + ' does not exist');
    return 1;
  }
  mkdirSync(args.out, { recursive: true });
  // One build of this output folder at a time (test processes run in parallel); released at exit.
  const release = acquireFirmwareLock(args.out);
  try {
    return await buildInto(args, entry, firmware);
  } finally {
    release();
  }
}

/** Writes a file under a temporary name, then renames it: a reader never sees half of it. */
function writeAtomic(path: string, text: string): void {
  const tmp = path + '.' + process.pid + '.tmp';
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function buildInto(args: Args, entry: string, firmware: boolean): Promise<number> {
  const ram = firmware || args.ram ? RAM_FUNCTIONS : [];
  const result = await runPipeline({ entry: entry, builtins: allBuiltinModules(), budget: args.budget, version: version(), ram: ram, ramRequired: firmware });
  const r = result.report;
  const fw = join(args.out, 'firmware.js');
  const rejected = join(args.out, 'firmware.rejected.js');
  const rel = relative(process.cwd(), fw) || fw;
  r.entry = relative(DEVICE_DIR, entry);
  writeAtomic(join(args.out, 'build-report.json'), JSON.stringify(r, null, 2) + '\n');
  if (r.ok) {
    writeAtomic(fw, result.code);
    rmSync(rejected, { force: true });
  } else {
    // never leave a flashable file behind that failed the gate
    rmSync(fw, { force: true });
    if (result.code) writeFileSync(rejected, result.code);
  }
  const gateIssues = r.gateIssues.length;
  const built = result.code !== '';
  if (built) {
    console.log('size: ' + rel + ' ' + r.bytes + ' bytes (' + r.unmangledBytes + ' with local names and line breaks as written; ES5 before the strip: ' + r.es5Bytes + '), ' + r.minifiedBytes + ' bytes minified (' + r.minifier + '), ' + r.functions + ' functions');
    console.log('budget: ' + r.bytes + '/' + r.budget.bytes + ' bytes (' + pct(r.bytes, r.budget.bytes) + '), minified ' + r.minifiedBytes + '/' + r.budget.minifiedBytes + ' (' + pct(r.minifiedBytes, r.budget.minifiedBytes) + ')' + (r.errors.some((e) => e.startsWith('budget:')) ? ': OVER' : ': ok'));
    console.log('gate: ' + (gateIssues === 0 ? 'ok: parses as ES5, no banned API' : 'FAILED: ' + gateIssues + ' issue(s)') + '; ' + r.hoistedFunctions + ' function declarations hoisted, ' + r.filledHoles + ' array holes filled, helpers: ' + (r.helpers.length ? r.helpers.join(', ') : 'none') + '; ' + r.ramFunctions.length + ' functions run from RAM');
  }
  for (const e of r.errors) console.error(e);
  if (!r.ok) console.error('gate: FAILED: ' + (built ? 'output kept in ' + (relative(process.cwd(), rejected) || rejected) + ' for inspection' : 'no output'));
  return r.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error('gate: FAILED: ' + (e instanceof Error ? e.message : String(e)));
    process.exit(1);
  },
);
