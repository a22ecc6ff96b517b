// `npm run bench`: starts the server in its own process (100 machines, 1,000 users, temp data
// folder), drives it with autocannon using dm_mac-style heartbeats cycling through the machines
// at 10 and 50 connections, then stalls the state file's disk for 10 s under load (FIFO) and
// reports the slowest answer and the share over 2.1 s. Bounded: ends itself within ~2 minutes.
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { stallStateWrites, type DiskStall } from '../test/disk-stall.js';

const MACHINES = 100;
const USERS = 1000;
const RUN_S = 10;
const STALL_S = 10;
const STALL_LEAD_S = 3;
const STALL_TAIL_S = 3;
const STALL_CONNECTIONS = 20;
/** Machines whose every update moves a card in or out (a write each); the rest heartbeat. */
const SESSION_MACHINES = 10;
const LIMIT_MS = 2100;
const DM_MAC_HEARTBEATS_PER_S = 1100;

const here = dirname(fileURLToPath(import.meta.url));
/** `--only heartbeats` or `--only stall` runs one scenario. */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : '';

interface Ready {
  type: 'ready';
  url: string;
  statePath: string;
  machines: string[];
  fob: string;
}

const line = (s: string) => process.stdout.write(s + '\n');
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function startServer(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(join(here, 'bench-server.ts'), [String(MACHINES), String(USERS)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited early (code ${code})`)));
    child.on('message', (msg: { type?: string }) => {
      if (msg && msg.type === 'ready') resolve({ child, ready: msg as Ready });
    });
  });
}

function serverRss(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMsg = (msg: { type?: string; rss?: number }) => {
      if (msg && msg.type === 'rss') {
        child.off('message', onMsg);
        resolve(msg.rss ?? 0);
      }
    };
    child.on('message', onMsg);
    child.send({ type: 'rss' });
  });
}

function heartbeatBody(machine: string): string {
  return JSON.stringify({
    machine_name: machine,
    oops: false,
    rfid_value: '',
    uptime: 86400,
    wifi_signal_db: -61,
    wifi_signal_percent: 78,
    internal_temperature_c: 41.5,
    amps: 0,
  });
}

async function heartbeats(ready: Ready, connections: number) {
  // one pre-built request per machine: each connection cycles through all of them
  const requests = ready.machines.map((m) => ({
    method: 'POST',
    path: '/api/machine/update',
    headers: { 'content-type': 'application/json' },
    body: heartbeatBody(m),
  }));
  const times: number[] = [];
  const instance = autocannon({ url: ready.url, connections, duration: RUN_S, requests });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) times.push(ms);
  });
  const result = await instance;
  times.sort((a, b) => a - b);
  const pct = (q: number) => (times.length ? times[Math.min(times.length - 1, Math.floor(q * times.length))] : NaN);
  return {
    rps: times.length / result.duration,
    p50: pct(0.5),
    p99: pct(0.99),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function stalledRun(ready: Ready) {
  const cardIn: boolean[] = ready.machines.map(() => false);
  const heartbeatBodies = ready.machines.map(heartbeatBody);
  let i = 0;
  const answers: Array<{ at: number; status: number; ms: number }> = [];
  const instance = autocannon({
    url: ready.url,
    connections: STALL_CONNECTIONS,
    duration: STALL_LEAD_S + STALL_S + STALL_TAIL_S,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/machine/update',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const k = i++ % ready.machines.length;
          if (k < SESSION_MACHINES) {
            cardIn[k] = !cardIn[k];
            req.body = JSON.stringify({ machine_name: ready.machines[k], oops: false, rfid_value: cardIn[k] ? ready.fob : '', uptime: 86400, amps: 3.2 });
          } else req.body = heartbeatBodies[k];
          return req;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    answers.push({ at: Date.now(), status, ms });
  });
  let stall: DiskStall | null = null;
  let stallFrom = 0;
  let stallTo = 0;
  const lead = new Promise((r) => setTimeout(r, STALL_LEAD_S * 1000));
  await lead;
  stall = await stallStateWrites(ready.statePath);
  stallFrom = Date.now();
  await new Promise((r) => setTimeout(r, STALL_S * 1000));
  await stall.release();
  stallTo = Date.now();
  const result = await instance;
  const during = answers.filter((a) => a.at >= stallFrom && a.at <= stallTo + LIMIT_MS);
  const count = (list: typeof answers, status: number) => list.filter((a) => a.status === status).length;
  const slowest = answers.reduce((m, a) => Math.max(m, a.ms), 0);
  const late = answers.filter((a) => a.status === 503).map((a) => a.ms);
  const over = answers.filter((a) => a.ms > LIMIT_MS).length;
  return {
    total: answers.length,
    ok: count(answers, 200),
    timeouts503: count(answers, 503),
    other: answers.length - count(answers, 200) - count(answers, 503),
    during: during.length,
    duringOk: count(during, 200),
    slowest,
    over,
    timeoutMin: late.length ? Math.min(...late) : NaN,
    timeoutMax: late.length ? Math.max(...late) : NaN,
    errors: result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const guard = setTimeout(() => {
    line('bench: gave up after 150 s');
    process.exit(1);
  }, 150_000);
  guard.unref();

  const { child, ready } = await startServer();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  try {
    // first contact of every machine is a state change (written once); heartbeats after it are not
    for (const m of ready.machines) {
      await fetch(`${ready.url}/api/machine/update`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: heartbeatBody(m) });
    }
    line(`fobgate benchmark: ${MACHINES} machines, ${fmt(USERS)} users, Node ${process.version}, ${availableParallelism()} CPUs (server in its own process)`);
    line(`load average before the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    line('');
    if (only !== 'stall') {
      const hb: Array<[number, Awaited<ReturnType<typeof heartbeats>>, number]> = [];
      for (const c of [10, 50]) {
        const r = await heartbeats(ready, c);
        const rss = await serverRss(child);
        hb.push([c, r, rss]);
        line(
          `heartbeats, ${String(c).padStart(2)} connections, ${RUN_S} s: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, ` +
            `non-2xx ${r.non2xx}, errors ${r.errors}, server RSS ${fmt(rss / 1048576, 1)} MiB`,
        );
      }
      const best = Math.max(...hb.map((h) => h[1].rps));
      line(`  vs dm_mac (~${fmt(DM_MAC_HEARTBEATS_PER_S)} heartbeats/s on one core): ${fmt(best / DM_MAC_HEARTBEATS_PER_S, 1)}x`);
      line('');
    }
    if (only === 'heartbeats') return;
    const s = await stalledRun(ready);
    const rss = await serverRss(child);
    line(
      `disk stall: state file write hung for ${STALL_S} s under load (${STALL_CONNECTIONS} connections, ` +
        `${SESSION_MACHINES} of ${MACHINES} machines change state on every update, the rest heartbeat; ${STALL_LEAD_S + STALL_S + STALL_TAIL_S} s run)`,
    );
    line(`  answers: ${fmt(s.total)} (200: ${fmt(s.ok)}, 503 state save timeout: ${fmt(s.timeouts503)}, other: ${s.other}, socket errors: ${s.errors})`);
    line(`  the 503 answers took ${fmt(s.timeoutMin)} to ${fmt(s.timeoutMax)} ms`);
    line(`  answers while the disk was stuck: ${fmt(s.during)} (${fmt(s.duringOk)} of them 200)`);
    line(`  slowest answer: ${fmt(s.slowest, 0)} ms; answers over 2.1 s: ${s.over} (${fmt((100 * s.over) / Math.max(1, s.total), 3)} %)`);
    line(`  server RSS after: ${fmt(rss / 1048576, 1)} MiB`);
  } finally {
    if (!exited) {
      child.send({ type: 'stop' });
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 8000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
      });
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    line(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
