// The audit log at 10 million events (BENCH_EVENTS to change; the history is generated once and
// cached): start-up time against an empty database, query latency by machine, member and time
// range (events, sessions, monthly usage; 100 of each kind, through the reader thread), and
// heartbeat throughput of a server over that history with and without an admin querying it
// (20 queries/s over HTTP), plus the server's memory. Goals (issue 11): start-up independent of
// history, every query <= 50 ms, heartbeats unchanged while queries run, memory flat.
import { Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, type EventQuery } from '../src/event-log.js';
import { machineName } from '../test/fleet-fixture.js';
import { HISTORY_MACHINES, HISTORY_MEMBERS, ensureHistory, memberOf, random } from './event-history.js';
import { fmt, get, header, heartbeatBody, line, load, pct, pinSelf, startFleetServer, warmFleet, wrkInstalled } from './kit.js';

const EVENTS = Number(process.env.BENCH_EVENTS || 10_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const PER_KIND = 100;

async function openTime(path: string): Promise<number> {
  const t0 = performance.now();
  const log = EventLog.open(path);
  await log.ready();
  const took = performance.now() - t0;
  await log.close();
  return took;
}

pinSelf();
header(`event log: ${fmt(EVENTS)} events from ${HISTORY_MACHINES} machines and ${fmt(HISTORY_MEMBERS)} members over 3 years`);
const h = ensureHistory(EVENTS, line);
line(`   history: ${h.builtNow ? `generated in ${fmt(h.buildSeconds, 0)} s` : 'cached'} (${h.path})`);

// 1. start-up
const emptyDir = mkdtempSync(join(tmpdir(), 'fobgate-bench-empty-'));
const empty = await openTime(join(emptyDir, 'events.db'));
const full = await openTime(h.path);
rmSync(emptyDir, { recursive: true, force: true });
line(`   start-up (open + both threads ready): empty database ${fmt(empty, 0)} ms, ${fmt(EVENTS)} events ${fmt(full, 0)} ms`);

// 2. queries through the reader thread
const log = EventLog.open(h.path);
await log.ready();
const rnd = random(7);
const span = h.to - h.from;
const day = 86_400_000;
const anyMachine = () => machineName(Math.floor(rnd() * HISTORY_MACHINES));
const anyMember = () => memberOf(Math.floor(rnd() * HISTORY_MEMBERS));
const anyDay = () => {
  const from = h.from + Math.floor(rnd() * (span - day));
  return { from, to: from + day };
};
const anyMonth = () => {
  const d = new Date(h.from + Math.floor(rnd() * span));
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
};
const kinds: Array<[string, () => Promise<unknown>]> = [
  ['events by machine', () => log.queryPage({ machine: anyMachine(), limit: 100 })],
  ['events by member (account id)', () => log.queryPage({ member: anyMember().account_id, limit: 100 })],
  ['events by member (full name)', () => log.queryPage({ member: anyMember().full_name.toLowerCase(), limit: 100 })],
  ['events by member (fob)', () => log.queryPage({ member: anyMember().fob, limit: 100 })],
  ['events in one day', () => log.queryPage({ ...anyDay(), limit: 100 })],
  ['events by machine in one day', () => log.queryPage({ machine: anyMachine(), ...anyDay(), limit: 100 })],
  ['events by member in one year', () => {
    const from = h.from + Math.floor(rnd() * (span - 365 * day));
    return log.queryPage({ member: anyMember().account_id, from, to: from + 365 * day, limit: 100 } satisfies EventQuery);
  }],
  ['events page 10 deep (cursor) by machine', async () => {
    const machine = anyMachine();
    let page = await log.queryPage({ machine, limit: 100 });
    for (let i = 0; i < 9 && page.next; i++) page = await log.queryPage({ machine, limit: 100, before: page.next });
  }],
  ['sessions by machine', () => log.sessionsPage({ machine: anyMachine(), limit: 100 })],
  ['sessions by member', () => log.sessionsPage({ member: anyMember().account_id, limit: 100 })],
  ['sessions by machine in one day', () => log.sessionsPage({ machine: anyMachine(), ...anyDay(), limit: 100 })],
  ['usage of one month (every member and machine)', () => {
    const m = anyMonth();
    return log.usage({ fromMonth: m, toMonth: m });
  }],
  ['usage of one member, all months', () => log.usage({ member: anyMember().account_id })],
];
let worst = 0;
for (const [name, run] of kinds) {
  const times: number[] = [];
  const n = name.includes('10 deep') ? PER_KIND / 10 : PER_KIND;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const per = name.includes('10 deep') ? 10 : 1;
  worst = Math.max(worst, pct(times, 0.99) / per);
  line(`   ${name.padEnd(44)} p50 ${fmt(pct(times, 0.5) / per, 2).padStart(6)} ms, p99 ${fmt(pct(times, 0.99) / per, 2).padStart(6)} ms${per > 1 ? ' per page' : ''}`);
}
line(`   slowest query kind at p99: ${fmt(worst, 1)} ms (goal <= 50 ms)`);
await log.close();

// 3. heartbeats over that history, with and without an admin querying it
const fleet = await startFleetServer(HISTORY_MACHINES, 1000, h.path);
try {
  const { url, machines, adminToken } = fleet.ready;
  await warmFleet(url, machines);
  const bodies = machines.map((m) => heartbeatBody(m));
  const before = await fleet.stats();
  const quiet = await load(url, '/api/machine/update', bodies, 10, SECONDS);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const qTimes: number[] = [];
  let stop = false;
  const querying = (async () => {
    const paths = [
      () => `/api/admin/events?machine=${anyMachine()}&limit=100`,
      () => `/api/admin/sessions?member=${anyMember().account_id}&limit=100`,
      () => `/api/admin/events?member=${encodeURIComponent(anyMember().full_name)}&limit=100`,
      () => {
        const d = anyDay();
        return `/api/admin/sessions?machine=${anyMachine()}&from=${d.from}&to=${d.to}`;
      },
    ];
    let i = 0;
    while (!stop) {
      const t0 = performance.now();
      const r = await get(url, paths[i++ % paths.length](), agent, { authorization: `Bearer ${adminToken}` });
      if (r.status === 200) qTimes.push(r.ms);
      await new Promise((res) => setTimeout(res, Math.max(0, 50 - (performance.now() - t0))));
    }
  })();
  const busy = await load(url, '/api/machine/update', bodies, 10, SECONDS);
  stop = true;
  await querying;
  agent.destroy();
  const after = await fleet.stats();
  qTimes.sort((a, b) => a - b);
  line(`   heartbeats over the history (${wrkInstalled ? 'wrk' : 'autocannon'}, 10 connections, ${SECONDS} s): ${fmt(quiet.rps)} req/s alone, ` +
    `${fmt(busy.rps)} req/s while an admin queries (${fmt((100 * busy.rps) / quiet.rps, 0)} %), p99 ${fmt(quiet.p99, 2)} / ${fmt(busy.p99, 2)} ms`);
  line(`   admin queries meanwhile: ${qTimes.length} answered over HTTP, p50 ${fmt(pct(qTimes, 0.5), 1)} ms, p99 ${fmt(pct(qTimes, 0.99), 1)} ms`);
  line(`   server RSS: ${fmt(before.rss / 1048576, 1)} MiB before, ${fmt(after.rss / 1048576, 1)} MiB after (memory holds no history)`);
} finally {
  await fleet.stop();
}
