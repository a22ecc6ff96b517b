#!/usr/bin/env node
// `npm run bench`: runs every `<workspace>/bench/*.bench.ts` in turn, each in its own Node process
// (tsx), each printing its own figures measured against a baseline in the same run. Prints the
// machine (Node, CPUs, load average) first, since every figure depends on it, and ends with
// `N benchmarks ran, N failed`.
//
//   node tools/bench.mjs                  everything
//   node tools/bench.mjs server           one workspace's benchmarks
//   node tools/bench.mjs --filter events  only files whose path contains "events"
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['shared', 'server', 'device', 'scripts'];
const FILE_TIMEOUT_MS = Number(process.env.FOBGATE_BENCH_FILE_TIMEOUT_MS || 1_800_000);

const argv = process.argv.slice(2);
let filter = '';
const chosen = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--filter') filter = argv[++i] || '';
  else chosen.push(argv[i]);
}

let files = [];
for (const ws of chosen.length ? chosen : WORKSPACES) {
  const dir = join(root, ws, 'bench');
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir).sort()) if (name.endsWith('.bench.ts')) files.push(join(dir, name));
}
if (filter) files = files.filter((f) => f.includes(filter));

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`fobgate benchmarks: Node ${process.version}, ${availableParallelism()} CPUs, load average ${load()} at the start (${new Date().toISOString()})`);
console.log('Every figure is measured in this run against a baseline measured in this run; a busy machine lowers both.');
console.log('');

let ran = 0;
let failed = 0;
for (const file of files) {
  const rel = relative(root, file);
  console.log(`# ${rel}`);
  const t0 = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    const timer = setTimeout(() => {
      console.log(`[bench] ${rel} killed after ${FILE_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (c, signal) => {
      clearTimeout(timer);
      resolve(c ?? (signal ? 1 : 0));
    });
  });
  ran++;
  if (code !== 0) {
    failed++;
    console.log(`FAIL ${rel} (exit ${code})`);
  }
  console.log(`   (${((Date.now() - t0) / 1000).toFixed(0)} s; load average now ${load()})`);
  console.log('');
}
console.log(`${ran} benchmarks ran, ${failed} failed`);
process.exit(failed === 0 && ran > 0 ? 0 : 1);
