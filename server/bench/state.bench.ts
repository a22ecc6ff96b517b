// State saves at fleet scale: 2,000 machines and 20,000 users. First a steady run where every
// update changes a machine's state (a card goes in or out, so every answer waits for its save),
// then the same changes at half the rate that saturated the core, sent at a steady pace (the
// save's latency without a saturated core's queue), then a reboot storm: all 2,000 units post
// their first update after a power blip at once, each on a new connection, and every one is a
// state change to save. Printed: the callers' save latency
// (p50/p99/max), the longest the main thread spent in one save step, the event-loop delay, the
// group commits the journal made, and when the last unit of the storm got its answer; a last line
// puts the three figures the goals are about side by side, with the machine's load.
// Goals (issue 11): save p99 <= 10 ms, no main-thread block over 2 ms, storm answered within 1 s.
// Each server takes one storm unmeasured first (see below), so the figure is a warm server's.
import { IDLE_ANSWER, cpuSeconds, heartbeatBody, fmt, header, line, load, loadNote, paced, pct, pinSelf, rawPost, startCeiling, startFleetServer, stateChangeBodies, warmFleet, wrkInstalled } from './kit.js';

const MACHINES = 2000;
const USERS = 20000;
const SECONDS = Number(process.env.BENCH_SECONDS || 5);

pinSelf();
const fleet = await startFleetServer(MACHINES, USERS);
try {
  const { url, machines, fob } = fleet.ready;
  await warmFleet(url, machines, 86400);
  header(`state saves: ${fmt(MACHINES)} machines, ${fmt(USERS)} users`);

  // 1. every update a state change: card in for every machine, then card out, cycled
  const bodies = stateChangeBodies(machines, fob);
  await fleet.ask('timings', 'timing');
  await fleet.ask('reset', 'reset');
  const c0 = cpuSeconds(fleet.pid);
  const r = await load(url, '/api/machine/update', bodies, 50, SECONDS);
  const st = await fleet.stats();
  const cpuPerChange = ((cpuSeconds(fleet.pid) - c0) * 1e6) / Math.max(1, r.requests);
  line(`   state changes (${wrkInstalled ? 'wrk' : 'autocannon'}, 50 connections, ${SECONDS} s, every answer waits for its save): ` +
    `${fmt(r.rps)} req/s, p99 ${fmt(r.p99, 2)} ms, non-2xx ${r.non2xx}`);
  line(`     save latency seen by callers: p50 ${fmt(st.saveP50, 2)} ms, p99 ${fmt(st.saveP99, 2)} ms, max ${fmt(st.saveMax, 1)} ms over ${fmt(st.saves)} saves` +
    ` (goal p99 <= 10 ms); ${fmt(st.journalLines)} documents in ${fmt(st.journalCommits)} group commits so far; server CPU ${fmt(cpuPerChange, 0)} µs per change`);
  line(`     the events' commit (SQLite, the answer waits for it too): p50 ${fmt(st.flushP50, 2)} ms, p99 ${fmt(st.flushP99, 2)} ms over ${fmt(st.flushes)} waits; ` +
    `answered by the server within p50 ${fmt(st.answerP50, 2)} ms, p99 ${fmt(st.answerP99, 2)} ms of arriving`);
  line(`     main-thread save step (serialise + queue one document): ${fmt(st.slowSyncSteps)} of ${fmt(st.docWrites)} over 2 ms, longest ${fmt(st.longestSyncMs, 3)} ms ` +
    `(goal: none over 2 ms; wall clock, so a preempted process counts too);`);
  line(`     ` +
    `event-loop delay p99 ${fmt(st.eldP99, 1)} ms, max ${fmt(st.eldMax, 1)} ms (includes request bursts and a busy machine)`);

  // 1b. the same changes at half the rate the core just saturated at, sent open-loop (a fleet's
  // units do not wait for each other): the save's latency without the queue a saturated core
  // builds (at saturation, 50 requests in flight at ~200 µs each are ~10 ms of queue by themselves)
  const rate = Math.max(100, Math.round(r.rps / 2));
  await fleet.ask('reset', 'reset');
  const h = await paced(url, '/api/machine/update', bodies, rate, SECONDS, 50);
  const half = await fleet.stats();
  line(`   the same changes at half that rate, ${fmt(h.rps)} req/s sent at a steady pace (node:http, up to 50 connections): ` +
    `request p50 ${fmt(h.p50, 2)} ms, p99 ${fmt(h.p99, 2)} ms at the client, non-200 ${h.non200}; answered by the server within p50 ${fmt(half.answerP50, 2)} ms, p99 ${fmt(half.answerP99, 2)} ms of arriving`);
  line(`     save latency seen by callers: p50 ${fmt(half.saveP50, 2)} ms, p99 ${fmt(half.saveP99, 2)} ms, max ${fmt(half.saveMax, 1)} ms over ${fmt(half.saves)} saves; ` +
    `event-loop delay p99 ${fmt(half.eldP99, 1)} ms`);
  line(`     the events' commit: p50 ${fmt(half.flushP50, 2)} ms, p99 ${fmt(half.flushP99, 2)} ms over ${fmt(half.flushes)} waits`);

  // 2. reboot storm: lower uptime than stored = a reboot, for every machine at once. First the
  // same storm against the do-nothing ceiling on the same core: what this machine allows now.
  // Both servers first take one unmeasured storm: a server's first storm also pays for V8
  // compiling the connection and save paths (about twice the CPU), which a long-running server
  // has long paid when the power blips.
  const ceiling = await startCeiling(IDLE_ANSWER);
  let ceilingMs = NaN;
  let ceilingCpu = NaN;
  try {
    await Promise.all(machines.map((m) => rawPost(ceiling.url, '/api/machine/update', heartbeatBody(m, 100))));
    const c0 = cpuSeconds(ceiling.pid);
    const t0 = performance.now();
    await Promise.all(machines.map((m) => rawPost(ceiling.url, '/api/machine/update', heartbeatBody(m, 3))));
    ceilingMs = performance.now() - t0;
    ceilingCpu = (cpuSeconds(ceiling.pid) - c0) * 1000;
  } finally {
    await ceiling.stop();
  }
  // the unmeasured storm: uptime 100 after 86,400 is a reboot too; the measured one (3) again
  await Promise.all(machines.map((m) => rawPost(url, '/api/machine/update', heartbeatBody(m, 100))));
  const warm = await fleet.stats();
  await fleet.ask('reset', 'reset');
  const s0 = cpuSeconds(fleet.pid);
  const t0 = performance.now();
  const answers = await Promise.all(machines.map((m) => rawPost(url, '/api/machine/update', heartbeatBody(m, 3))));
  const took = performance.now() - t0;
  const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
  const ok = answers.filter((a) => a.status === 200).length;
  const storm = await fleet.stats();
  const stormCpu = (cpuSeconds(fleet.pid) - s0) * 1000;
  line(`   reboot storm: ${fmt(MACHINES)} units post at once, each on a new connection (bare-socket client), each a reboot to save:`);
  line(`     all answered after ${fmt(took, 0)} ms (goal <= 1,000 ms); ${fmt(ok)} answered 200; per-request p50 ${fmt(pct(ms, 0.5), 0)} ms, ` +
    `p99 ${fmt(pct(ms, 0.99), 0)} ms; saves p99 ${fmt(storm.saveP99, 2)} ms, max ${fmt(storm.saveMax, 1)} ms; ` +
    `journal: ${fmt(storm.journalCommits - warm.journalCommits)} group commits for ${fmt(storm.journalLines - warm.journalLines)} documents`);
  line(`     server CPU spent on the storm: ${fmt(stormCpu, 0)} ms (what it needs of an idle core); server RSS ${fmt(storm.rss / 1048576, 1)} MiB`);
  line(`     the same storm against the do-nothing ceiling on the same core: all answered after ${fmt(ceilingMs, 0)} ms, its CPU ${fmt(ceilingCpu, 0)} ms ` +
    `(fobgate took ${fmt(took / ceilingMs, 1)}x its time)`);
  // the three figures issue 11 sets goals for, on one line (each also above, with its context)
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  // the longest block: the longest save step (both phases: it is never reset) or event-loop delay
  const block = Math.max(storm.longestSyncMs, st.eldMax, storm.eldMax);
  line(`   issue 11 goals: save p99 ${fmt(st.saveP99, 2)} ms at saturation (<= 10: ${met(st.saveP99 <= 10)}; at half the rate ${fmt(half.saveP99, 2)} ms); ` +
    `longest main-thread block ${fmt(block, 1)} ms (save step ${fmt(storm.longestSyncMs, 1)}, event-loop delay ${fmt(Math.max(st.eldMax, storm.eldMax), 1)}; <= 2: ${met(block <= 2)}); ` +
    `storm answered in ${fmt(took, 0)} ms (<= 1,000: ${met(took <= 1000)}); ${loadNote()}`);
} finally {
  await fleet.stop();
}
