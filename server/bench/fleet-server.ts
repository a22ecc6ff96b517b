// The benchmarks' server process: a generated fleet (argv: machines, users, optional event
// database) behind the real app, logging as bench-logging.ts says (its lines go to stdout, which
// the benchmark discards), listening on 127.0.0.1:0. Talks to the benchmark over IPC: ready,
// stats (RSS, caller-visible state-save latencies, longest synchronous save step, event-loop
// delay; after `timings` also the events' commit waits and the answer times), reset, stall /
// release (the state disk), stop. Exits when its parent goes away, so it never outlives the
// benchmark.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startFleet } from '../test/fleet-fixture.js';
import { loggerOptions } from '../src/logging.js';
import { EventLog } from '../src/event-log.js';
import { benchLogging } from './bench-logging.js';

const machines = Number(process.argv[2] || 100);
const users = Number(process.argv[3] || 1000);
const eventsPath = process.argv[4] || undefined;

const logging = benchLogging();
// BENCH_BUDGET_MS: a save budget other than the fleet's default (npm start's 2 s); the instruction
// count runs the server under callgrind, tens of times slower, where 2 s would time saves out
const budget = Number(process.env.BENCH_BUDGET_MS);
const fleet = await startFleet({
  machines,
  users,
  eventsPath,
  deps: { logger: loggerOptions(logging), accessLog: logging.accessLog, ...(budget > 0 ? { budgetMs: budget } : {}) },
});

// caller-visible save latency: from store.save() to its outcome
let saves: number[] = [];
const store = fleet.store;
const save = store.save.bind(store);
store.save = async (name) => {
  const t0 = performance.now();
  const r = await save(name);
  saves.push(performance.now() - t0);
  return r;
};
// Only when asked (`timings`), since closures per request would weigh on the other benchmarks:
// how long a wait for the event log's commit takes (a state change's answer waits for its save
// and for its events), and the server's own answer time, from the request's arrival (its headers
// parsed) to the answer's last byte handed to the kernel (a client's figure also holds the
// client's own delays).
let flushes: number[] = [];
let answers: number[] = [];
let timing = false;
function startTimings(): void {
  if (timing) return;
  timing = true;
  const flush = EventLog.prototype.flush;
  EventLog.prototype.flush = function (this: EventLog) {
    const t0 = performance.now();
    const p = flush.call(this);
    p.then(() => flushes.push(performance.now() - t0), () => undefined);
    return p;
  };
  fleet.app.server.prependListener('request', (_req, res) => {
    const t0 = performance.now();
    res.once('finish', () => answers.push(performance.now() - t0));
  });
}
// event-loop delay: only measured between `reset` and `stats` (its 1 ms timer costs CPU itself)
const eld = monitorEventLoopDelay({ resolution: 1 });

const pct = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(code), 8000);
  force.unref();
  fleet.release();
  await fleet.close().catch(() => undefined);
  process.exit(code);
}

process.on('message', (msg: { type?: string }) => {
  if (!msg) return;
  if (msg.type === 'stats') {
    const st = store.stats();
    process.send!({
      type: 'stats',
      rss: process.memoryUsage().rss,
      saves: saves.length,
      saveP50: pct(saves, 0.5),
      saveP99: pct(saves, 0.99),
      saveMax: saves.length ? Math.max(...saves) : NaN,
      answerP50: pct(answers, 0.5),
      answerP99: pct(answers, 0.99),
      flushes: flushes.length,
      flushP50: pct(flushes, 0.5),
      flushP99: pct(flushes, 0.99),
      longestSyncMs: st.longestSyncMs,
      slowSyncSteps: st.slowSyncSteps,
      docWrites: st.docWrites,
      journalCommits: st.journal.commits,
      journalLines: st.journal.lines,
      eldP99: eld.percentile(99) / 1e6,
      eldMax: eld.max / 1e6,
    });
    eld.disable();
  }
  if (msg.type === 'reset') {
    saves = [];
    flushes = [];
    answers = [];
    eld.reset();
    eld.enable();
    process.send!({ type: 'reset' });
  }
  if (msg.type === 'stall') {
    fleet.stall();
    process.send!({ type: 'stalled' });
  }
  if (msg.type === 'timings') {
    startTimings();
    process.send!({ type: 'timing' });
  }
  if (msg.type === 'release') {
    fleet.release();
    process.send!({ type: 'released' });
  }
  if (msg.type === 'stop') void stop(0);
});
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.send!({ type: 'ready', url: fleet.url, machines: fleet.machineNames, fob: fleet.fob, adminToken: fleet.adminToken });
