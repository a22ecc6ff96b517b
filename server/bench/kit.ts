// What the server benchmarks share: the fleet server and the do-nothing node:http ceiling as
// child processes pinned to one core (taskset), the load generators pinned to the other (wrk
// when installed, else autocannon; plus a node:http client for requests wrk cannot make, such as
// signed syncs), percentiles, and printing figures as a share of the ceiling measured in the same
// run. Nothing here compares with a fixed figure.
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchLogging } from './bench-logging.js';

const here = dirname(fileURLToPath(import.meta.url));

export const line = (s = '') => process.stdout.write(s + '\n');
export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a';
export const pct = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
export const share = (ours: number, ceiling: number) => `${fmt((100 * ours) / ceiling, 0)} % of the ceiling`;

/** True when `cmd` is on the PATH. */
export function commandInstalled(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const cpus = availableParallelism();
export const canPin = cpus >= 2 && commandInstalled('taskset');
export const wrkInstalled = commandInstalled('wrk');
/** Core of the server under test and core of the load generator. */
export const SERVER_CPU = 1;
export const CLIENT_CPU = 0;

export function pinning(): string {
  return canPin ? `server pinned to CPU ${SERVER_CPU}, load generator to CPU ${CLIENT_CPU} (taskset)` : 'not pinned (taskset missing or one CPU)';
}

export function loadNote(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus} CPUs`;
}

/** Pins this process (a node:http load client) to the generator's core. */
export function pinSelf(): void {
  if (canPin) {
    try {
      execFileSync('taskset', ['-pc', String(CLIENT_CPU), String(process.pid)], { stdio: 'ignore' });
    } catch {
      // not fatal: figures are then unpinned
    }
  }
}

export interface FleetReady {
  url: string;
  machines: string[];
  fob: string;
  adminToken: string;
}

export interface FleetStats {
  rss: number;
  saves: number;
  saveP50: number;
  saveP99: number;
  saveMax: number;
  /** The server's answer times, from a request's arrival to its answer's last byte written (after `timings`; else NaN). */
  answerP50: number;
  answerP99: number;
  /** Waits for the event log's commit, every state change's answer waits for one too (after `timings`). */
  flushes: number;
  flushP50: number;
  flushP99: number;
  longestSyncMs: number;
  slowSyncSteps: number;
  docWrites: number;
  journalCommits: number;
  journalLines: number;
  eldP99: number;
  eldMax: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux), or NaN. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return NaN;
  }
}

export interface FleetProcess {
  pid: number | undefined;
  ready: FleetReady;
  ask<T>(type: string, answer: string): Promise<T>;
  stats(): Promise<FleetStats>;
  stop(): Promise<void>;
}

function pinChild(child: ChildProcess): void {
  if (canPin && child.pid) {
    try {
      execFileSync('taskset', ['-apc', String(SERVER_CPU), String(child.pid)], { stdio: 'ignore' });
    } catch {
      // threads may come and go; figures are then partly unpinned
    }
  }
}

/** The fobgate server over a generated fleet, in its own process, pinned to the server core. */
const serverFlags = (process.env.BENCH_SERVER_FLAGS || '').split(' ').filter((f) => f !== '');

export async function startFleetServer(machines: number, users: number, eventsPath?: string): Promise<FleetProcess> {
  const args = [String(machines), String(users)];
  if (eventsPath) args.push(eventsPath);
  const child = fork(join(here, 'fleet-server.ts'), args, {
    // BENCH_SERVER_FLAGS: Node flags for the server process, to look into it (e.g.
    // "--cpu-prof --cpu-prof-dir=/tmp/prof"); its log lines still go nowhere, as in every run,
    // unless BENCH_SERVER_STDOUT=1 (e.g. with "--trace-gc", which prints there)
    execArgv: ['--import', 'tsx', ...serverFlags],
    stdio: ['ignore', process.env.BENCH_SERVER_STDOUT === '1' ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<FleetReady>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fleet server exited early (code ${code})`)));
    child.on('message', (m: { type?: string }) => {
      if (m && m.type === 'ready') resolve(m as unknown as FleetReady);
    });
  });
  child.removeAllListeners('exit');
  pinChild(child); // after start-up, so every thread (event log workers too) is on the server core
  const ask = <T>(type: string, answer: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type?: string }) => {
        if (m && m.type === answer) {
          child.off('message', on);
          resolve(m as T);
        }
      };
      child.on('message', on);
      child.send({ type });
    });
  return {
    pid: child.pid,
    ready,
    ask,
    stats: () => ask<FleetStats>('stats', 'stats'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

/** The do-nothing node:http server answering `body` to every request: the ceiling of this core. */
export async function startCeiling(body: string): Promise<{ url: string; pid: number | undefined; stop(): Promise<void> }> {
  const child = fork(join(here, 'ceiling-server.mjs'), [body], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m: { url?: string }) => m && m.url && resolve(m.url));
  });
  pinChild(child);
  return {
    url,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  generator: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

/** A wrk Lua script: `bodies` cycled over POST `path` (one thread, every connection). */
export function wrkScript(path: string, bodies: string[]): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return [
    'local bodies = {',
    ...bodies.map((b) => `  "${esc(b)}",`),
    '}',
    'local n = #bodies',
    'local i = 0',
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    'request = function()',
    '  i = i % n + 1',
    `  return wrk.format(nil, "${path}", nil, bodies[i])`,
    'end',
    'done = function(summary, latency, requests)',
    '  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50\\":%d,\\"p99\\":%d,\\"max\\":%d,\\"non2xx\\":%d,\\"errors\\":%d}\\n",',
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,',
    '    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))',
    'end',
  ].join('\n');
}

/** Runs wrk (one thread, pinned to the generator core) and answers its figures. */
export async function runWrk(url: string, script: string, connections: number, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-wrk-'));
  const file = join(dir, 'load.lua');
  writeFileSync(file, script);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', file, url];
  const cmd = canPin ? 'taskset' : 'wrk';
  const argv = canPin ? ['-c', String(CLIENT_CPU), 'wrk', ...args] : args;
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.once('error', reject);
      p.once('exit', () => resolve(text));
    });
    const m = out.match(/WRKJSON (\{.*\})/);
    if (!m) throw new Error(`wrk printed no figures:\n${out}`);
    const r = JSON.parse(m[1]) as { requests: number; duration_us: number; p50: number; p99: number; max: number; non2xx: number; errors: number };
    return {
      generator: 'wrk',
      requests: r.requests,
      rps: r.requests / (r.duration_us / 1e6),
      p50: r.p50 / 1000,
      p99: r.p99 / 1000,
      max: r.max / 1000,
      non2xx: r.non2xx,
      errors: r.errors,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** autocannon in this process (when wrk is missing): it tops out well below a fast server. */
export async function runAutocannon(url: string, path: string, bodies: string[], connections: number, seconds: number): Promise<LoadResult> {
  const name = 'autocannon'; // no type declarations: imported by name
  const { default: autocannon } = (await import(name)) as {
    default: (o: object) => Promise<{ requests: { total: number }; duration: number; latency: { p50: number; p99: number; max: number }; non2xx: number; errors: number }>;
  };
  const r = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: bodies.map((body) => ({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body })),
  });
  return { generator: 'autocannon', requests: r.requests.total, rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, non2xx: r.non2xx, errors: r.errors };
}

/** POST bodies cycled over `path` at `connections` for `seconds`: wrk, or autocannon without it. */
export function load(url: string, path: string, bodies: string[], connections: number, seconds: number): Promise<LoadResult> {
  return wrkInstalled ? runWrk(url, wrkScript(path, bodies), connections, seconds) : runAutocannon(url, path, bodies, connections, seconds);
}

export interface PacedResult {
  sent: number;
  non200: number;
  /** The client's request latencies, ms. */
  p50: number;
  p99: number;
  /** Requests per second actually sent. */
  rps: number;
}

/**
 * Open-loop load at a fixed rate (what a fleet does: its units do not wait for each other), over
 * up to `connections` keep-alive connections; a request waiting for a free connection counts that
 * wait in its latency. For latency below saturation, where wrk's closed loop measures only the
 * queue a saturated core builds.
 */
export async function paced(url: string, path: string, bodies: string[], rate: number, seconds: number, connections: number): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const ms: number[] = [];
  let non200 = 0;
  let sent = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      const due = Math.min(Math.floor(elapsed * rate), Math.floor(seconds * rate));
      for (; sent < due; sent++) {
        const body = bodies[sent % bodies.length];
        inflight.push(post(url, path, body, agent).then((a) => {
          ms.push(a.ms);
          if (a.status !== 200) non200++;
        }));
      }
      if (elapsed >= seconds) {
        clearInterval(tick);
        done();
      }
    }, 2);
  });
  const took = (performance.now() - t0) / 1000;
  await Promise.all(inflight);
  agent.destroy();
  ms.sort((a, b) => a - b);
  return { sent, non200, p50: pct(ms, 0.5), p99: pct(ms, 0.99), rps: sent / took };
}

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
  headers: { [k: string]: string | string[] | undefined };
}

/** One POST over `agent` (keep-alive), or on a connection of its own (`agent: false`). */
export function post(url: string, path: string, body: string, agent: Agent | false, headers: { [k: string]: string } = {}): Promise<HttpAnswer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0, headers: res.headers }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, body: e.message, ms: performance.now() - t0, headers: {} }));
    req.end(body);
  });
}

/**
 * One POST on a connection of its own, over a bare socket: the request's bytes are made up front
 * and the answer is read as bytes (status line only). A node:http client spends several times
 * the server's CPU per new connection, so a storm of 2,000 units sent through it measures the
 * client; a unit is another machine, so this client keeps its own share small.
 */
export function rawPost(url: string, path: string, body: string): Promise<{ status: number; ms: number }> {
  const u = new URL(url);
  const bytes = Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect(Number(u.port), u.hostname);
    let head = '';
    let settled = false;
    const done = (status: number) => {
      if (settled) return;
      settled = true;
      resolve({ status, ms: performance.now() - t0 });
    };
    s.on('connect', () => s.write(bytes));
    s.on('data', (d: Buffer) => {
      if (head.length < 16) head += d.toString('latin1', 0, Math.min(d.length, 16));
      if (head.length >= 12) {
        done(Number(head.slice(9, 12)) || 0);
        s.destroy();
      }
    });
    s.on('error', () => done(0));
    s.on('close', () => done(Number(head.slice(9, 12)) || 0));
  });
}

export function get(url: string, path: string, agent: Agent | false, headers: { [k: string]: string } = {}): Promise<HttpAnswer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'GET', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - t0, headers: res.headers }));
    });
    req.on('error', (e) => resolve({ status: 0, body: e.message, ms: performance.now() - t0, headers: {} }));
    req.end();
  });
}

/** dm_mac heartbeat (no card, nothing changes). */
export function heartbeatBody(machine: string, uptime = 86400): string {
  return JSON.stringify({
    machine_name: machine,
    oops: false,
    rfid_value: '',
    uptime,
    wifi_signal_db: -61,
    wifi_signal_percent: 78,
    internal_temperature_c: 41.5,
    amps: 0,
  });
}

/** The six-key answer of an idle machine (what the ceiling server answers). */
/**
 * Updates that each change a machine's state: a card in on every machine, then out on every
 * machine (cycled, every answer waits for its save).
 */
export function stateChangeBodies(machines: string[], fob: string): string[] {
  const change = (m: string, card: boolean) => JSON.stringify({ machine_name: m, oops: false, rfid_value: card ? fob : '', uptime: 86400, amps: 1.5 });
  return machines.map((m) => change(m, true)).concat(machines.map((m) => change(m, false)));
}

export const IDLE_ANSWER = JSON.stringify({
  relay: false,
  display: 'Please Insert\nRFID Card',
  oops_led: false,
  status_led_rgb: [0, 0, 0],
  status_led_brightness: 0,
  second_relay: false,
});

/** Every first update of a machine is a change (written once): send them before measuring. */
export async function warmFleet(url: string, machines: string[], uptime = 86400): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  for (let i = 0; i < machines.length; i += 64) {
    await Promise.all(machines.slice(i, i + 64).map((m) => post(url, '/api/machine/update', heartbeatBody(m, uptime), agent)));
  }
  agent.destroy();
}

/** The fleet server's logging in this run, for the header. */
function logNote(): string {
  const s = benchLogging();
  const chosen = process.env.LOG_LEVEL || process.env.ACCESS_LOG;
  return `LOG_LEVEL=${s.level}, access log ${s.accessLog ? 'on' : 'off'}${chosen ? '' : " (npm start's default)"}`;
}

/** A scenario's header line. */
export function header(title: string): void {
  line(`== ${title}`);
  line(`   ${loadNote()}; ${pinning()}; server logging ${logNote()}`);
}
