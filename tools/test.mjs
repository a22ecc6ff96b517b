#!/usr/bin/env node
// The project's test runner: type-checks every workspace (and the firmware's sources against
// ES5 + Espruino), runs the device build and its compatibility gate, the linter and the
// import-cycle check, then runs every `*.test.ts`
// file (uvu) in its own Node process. The build steps are reported on their own line; the last
// line counts tests only: `N passed, N failed`. Exits non-zero on any failure, step or test.
//
//   node tools/test.mjs                 everything (what `npm test` runs)
//   node tools/test.mjs shared server   only those workspaces' test files (no type-check/build)
//   node tools/test.mjs --filter authlist   only test files whose path contains "authlist"
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['shared', 'server', 'device', 'scripts'];
const FILE_TIMEOUT_MS = Number(process.env.FOBGATE_TEST_FILE_TIMEOUT_MS || 180_000);
const HOOKS = pathToFileURL(join(root, 'tools/uvu-hooks.mjs')).href;
const JOBS = Math.max(1, Number(process.env.FOBGATE_TEST_JOBS || 2));

const argv = process.argv.slice(2);
let filter = '';
const chosen = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--filter') filter = argv[++i] || '';
  else chosen.push(argv[i]);
}
const full = chosen.length === 0 && !filter;
const workspaces = chosen.length ? chosen : WORKSPACES;

let passed = 0;
let failed = 0;
let skipped = 0;
let stepsOk = 0;
const stepFailures = [];
const failures = [];

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd || root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...(opts.env || {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      out += `\n[test runner] killed after ${opts.timeout} ms\n`;
      child.kill('SIGKILL');
    }, opts.timeout || FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), out });
    });
  });
}

function findTests(dir, acc) {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, acc);
    else if (name.endsWith('.test.ts')) acc.push(p);
  }
  return acc;
}

async function step(label, cmd, args) {
  const r = await run(cmd, args, { timeout: 600_000 });
  if (r.code === 0) {
    stepsOk++;
    console.log(`ok   ${label}`);
    const report = r.out.split('\n').filter((l) => /^(size|gate|budget|chip types|import cycles|cycle )/i.test(l.trim()));
    for (const l of report) console.log(`     ${l.trim()}`);
  } else {
    stepFailures.push(label);
    console.log(`FAIL ${label}\n${r.out.trim()}\n`);
  }
}

function parseUvu(out) {
  const total = out.match(/Total:\s+(\d+)/g);
  const pass = out.match(/Passed:\s+(\d+)/g);
  const skip = out.match(/Skipped:\s+(\d+)/g);
  if (!total || !pass) return null;
  const sum = (arr) => arr.reduce((s, m) => s + Number(m.replace(/\D+/g, '')), 0);
  const t = sum(total);
  const p = sum(pass);
  const s = skip ? sum(skip) : 0;
  return { passed: p, skipped: s, failed: Math.max(0, t - p - s) };
}

/**
 * A file that does long real work (the real interpreter receiving 10,000-member lists) may say
 * `@timeout <seconds>` in its header to get longer than FILE_TIMEOUT_MS (never less).
 */
function fileTimeout(file) {
  const m = /@timeout\s+(\d+)/.exec(readFileSync(file, 'utf8').slice(0, 2000));
  return m ? Math.max(FILE_TIMEOUT_MS, Number(m[1]) * 1000) : FILE_TIMEOUT_MS;
}

async function runFile(file) {
  const rel = relative(root, file);
  const t0 = Date.now();
  // uvu-hooks.mjs makes a failing before/after hook print its error (uvu swallows it)
  const r = await run(process.execPath, ['--import', 'tsx', '--import', HOOKS, file], { cwd: root, timeout: fileTimeout(file) });
  const secs = ` ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const counts = parseUvu(r.out);
  if (counts && r.code === 0 && counts.failed === 0) {
    passed += counts.passed;
    skipped += counts.skipped;
    console.log(`ok   ${rel} (${counts.passed} passed${counts.skipped ? `, ${counts.skipped} skipped` : ''},${secs})`);
    // a test file's own notes (e.g. "note: ... SKIPPED, the Espruino interpreter is missing")
    for (const l of r.out.split('\n')) if (/^note:/.test(l.trim())) console.log(`     ${l.trim()}`);
    return;
  }
  if (counts) {
    passed += counts.passed;
    skipped += counts.skipped;
    failed += Math.max(1, counts.failed);
  } else {
    failed += 1;
  }
  failures.push(rel);
  console.log(`FAIL ${rel} (exit ${r.code},${secs})\n${r.out.trim()}\n`);
}

async function main() {
  if (full) {
    for (const ws of WORKSPACES) {
      if (existsSync(join(root, ws, 'src'))) await step(`typecheck ${ws} (tsc, strict)`, 'npx', ['tsc', '-p', ws]);
    }
    if (existsSync(join(root, 'server/web/tsconfig.json'))) {
      await step('typecheck dashboard pages (server/web against the DOM)', 'npx', ['tsc', '-p', 'server/web']);
    }
    if (existsSync(join(root, 'device/build/chip-check.ts'))) {
      await step('typecheck chip code (device/src + shared chip entry against ES5 + Espruino)', 'npx', ['tsx', 'device/build/chip-check.ts']);
    }
    if (existsSync(join(root, 'device/build/build.ts'))) {
      await step('device build + ES5/banned-API gate + size budget', 'npx', ['tsx', 'device/build/build.ts']);
    }
    await step('lint (ESLint + typescript-eslint, eslint.config.js)', 'npx', ['eslint', '--max-warnings', '0', '.']);
    await step('import cycles (tools/import-cycles.mjs)', process.execPath, ['tools/import-cycles.mjs']);
  }
  let files = [];
  for (const ws of workspaces) findTests(join(root, ws), files);
  // the runner's own helpers (tools/*.test.ts) run with everything
  if (chosen.length === 0) findTests(join(root, 'tools'), files);
  if (filter) files = files.filter((f) => f.includes(filter));
  files.sort();
  // Files that assert a latency bound (e.g. the disk-stall test's 2.0 s + 100 ms) say
  // `@exclusive` in their header and run alone after the others, so a neighbour's CPU load
  // cannot eat their margin.
  const exclusive = files.filter((f) => readFileSync(f, 'utf8').slice(0, 2000).includes('@exclusive'));
  const queue = files.filter((f) => !exclusive.includes(f));
  const workers = [];
  for (let i = 0; i < JOBS; i++) {
    workers.push((async () => {
      while (queue.length) await runFile(queue.shift());
    })());
  }
  await Promise.all(workers);
  for (const f of exclusive) await runFile(f);
  if (full) console.log(`\nbuild steps: ${stepsOk} ok, ${stepFailures.length} failed${stepFailures.length ? ` (${stepFailures.join(', ')})` : ''}`);
  if (failures.length) console.log(`${full ? '' : '\n'}Failed: ${failures.join(', ')}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed === 0 && stepFailures.length === 0 && passed > 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(String(e && e.message ? e.message : e));
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
