// Instructions per heartbeat, ours against the do-nothing ceiling, counted by valgrind's callgrind
// (user-space instructions of every thread of the server process; the kernel's share of each
// answer, the same for both, is not counted). Unlike requests per second this does not depend on
// how busy the machine is, so it can compare two versions on a shared machine. Not part of
// `npm run bench` (a run takes a few minutes):
//
//   node --import tsx server/bench/instructions.ts [warm-up requests] [counted requests]
//
// Each server runs under callgrind with instrumentation off; after the warm-up (so the JIT has
// settled) instrumentation is switched on for exactly the counted requests (10 keep-alive connections,
// the heartbeat bench's bodies), then off, and the total is divided by the requests. The main
// thread's count is steadier: V8 may still be compiling on its background threads in the window.
// KEEP=1 keeps the callgrind dumps (for callgrind_annotate). STATE=1 counts state changes instead
// (2,000 machines, 20,000 users, a card in or out on every request, each answer waiting for its
// save, as in state.bench.ts), and prints every thread's count: the main thread, the event
// database's writer, V8's and libuv's helpers.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IDLE_ANSWER, commandInstalled, fmt, heartbeatBody, line, loadNote, post, stateChangeBodies, warmFleet } from './kit.js';

const WARM = Number(process.argv[2] || 20000);
const COUNTED = Number(process.argv[3] || 10000);
const CONNECTIONS = 10;
const STATE = process.env.STATE === '1';
const here = dirname(fileURLToPath(import.meta.url));

/** What a server says when it is listening (the fleet also names its machines and a member's fob). */
type Ready = { url: string; machines?: string[]; fob?: string };

interface Counted {
  child: ChildProcess;
  url: string;
  /** The fleet's machine names (none for the ceiling). */
  machines: string[];
  fob: string;
  out: string;
}

async function start(script: string, args: string[], nodeArgs: string[], out: string): Promise<Counted> {
  const child = fork(join(here, script), args, {
    execPath: 'valgrind',
    execArgv: ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${out}/cg.%p`, '-q', process.execPath, ...nodeArgs],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    // saves under callgrind can take longer than the 2 s budget: a 503 would change what is counted
    env: { ...process.env, BENCH_BUDGET_MS: '120000' },
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited early (code ${code})`)));
    child.on('message', (m: Partial<Ready>) => {
      if (m && typeof m.url === 'string') resolve(m as Ready);
    });
  });
  child.removeAllListeners('exit');
  return { child, url: ready.url, machines: ready.machines ?? [], fob: ready.fob ?? '', out };
}

/**
 * `count` requests over CONNECTIONS keep-alive connections, bodies taken in turn from index
 * `from` (the counted window goes on where the warm-up stopped: state changes alternate card in
 * and card out, and a card sent in again would change nothing); throws on anything but 200.
 */
async function send(url: string, bodies: string[], count: number, from = 0): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      const a = await post(url, '/api/machine/update', bodies[i % bodies.length], agent);
      if (a.status !== 200) throw new Error(`answer ${a.status}: ${a.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  agent.destroy();
}

function control(pid: number, ...args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });
}

/** Instructions in the dump files of `pid`: all threads, the main thread's (thread 1), and each thread's. */
function countIr(out: string, pid: number): { all: number; main: number; threads: Array<[string, number]> } {
  let all = 0;
  let main = 0;
  const threads: Array<[string, number]> = [];
  for (const f of readdirSync(out)) {
    if (!f.startsWith(`cg.${pid}`)) continue;
    const m = /^totals: (\d+)/m.exec(readFileSync(join(out, f), 'utf8'));
    if (!m) continue;
    all += Number(m[1]);
    threads.push([f.replace(/^.*-0*/, 'thread '), Number(m[1])]);
    if (/-0*1$/.test(f)) main += Number(m[1]);
  }
  threads.sort((a, b) => b[1] - a[1]);
  return { all, main, threads };
}

/** Instructions per answer: all threads (V8's compiler and GC helpers too) and the main thread. */
async function measure(name: string, s: Counted, bodies: string[]): Promise<{ all: number; main: number }> {
  const pid = s.child.pid!;
  await send(s.url, bodies, WARM);
  control(pid, '-i', 'on');
  await send(s.url, bodies, COUNTED, WARM);
  control(pid, '-i', 'off');
  control(pid, '-d');
  const ir = countIr(s.out, pid);
  const r = { all: ir.all / COUNTED, main: ir.main / COUNTED };
  line(`   ${name}: ${fmt(r.all)} instructions per answer, ${fmt(r.main)} of them on the main thread`);
  if (STATE) {
    const busy = ir.threads.filter((t) => t[1] / COUNTED >= 100);
    line(`     per thread: ${busy.map((t) => `${t[0]} ${fmt(t[1] / COUNTED)}`).join(', ')}`);
  }
  return r;
}

async function stop(s: Counted): Promise<void> {
  await new Promise<void>((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.send({ type: 'stop' });
    s.child.kill('SIGTERM');
  });
}

if (!commandInstalled('valgrind') || !commandInstalled('callgrind_control')) {
  line('instructions: valgrind (callgrind) is not installed; nothing measured');
  process.exit(0);
}
const out = mkdtempSync(join(tmpdir(), 'fobgate-callgrind-'));
try {
  const [machines, users] = STATE ? [2000, 20000] : [100, 1000];
  const what = STATE ? 'state change (a card in or out, each answer waits for its save)' : 'heartbeat';
  line(`instructions per ${what} under callgrind: ${fmt(machines)} machines, ${fmt(users)} users, ${fmt(WARM)} warm-up + ${fmt(COUNTED)} counted requests, ${CONNECTIONS} connections; ${loadNote()}`);
  const ceiling = await start('ceiling-server.mjs', [IDLE_ANSWER], [], out);
  const c = await measure('ceiling (node:http, does nothing)', ceiling, [heartbeatBody('m0')]);
  await stop(ceiling);
  const fleet = await start('fleet-server.ts', [String(machines), String(users)], ['--import', 'tsx'], out);
  const bodies = STATE ? stateChangeBodies(fleet.machines, fleet.fob) : fleet.machines.map((m) => heartbeatBody(m));
  // every machine known (its first update is a state change of its own) before the warm-up
  if (STATE) await warmFleet(fleet.url, fleet.machines);
  const o = await measure('fobgate', fleet, bodies);
  await stop(fleet);
  line(`   the ceiling's instructions as a share of ours: ${fmt((100 * c.all) / o.all, 0)} % (all threads), ${fmt((100 * c.main) / o.main, 0)} % (main thread)`);
} finally {
  if (!process.env.KEEP) rmSync(out, { recursive: true, force: true });
  else line(`   dumps kept in ${out}`);
}
