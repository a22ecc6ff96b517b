// Heartbeats: dm_mac no-card updates from 100 machines (1,000 users) on POST /api/machine/update
// at 10 and 50 connections, against the do-nothing node:http ceiling on the same core, measured
// in turns (ceiling, ours, ceiling, ours) so a neighbour's load hits both alike; the best turn of
// each is kept. Goals (issue 11): >= 60 % of the ceiling, p99 <= 2 ms at 10 and <= 10 ms at 50.
import { IDLE_ANSWER, cpuSeconds, fmt, header, heartbeatBody, line, load, share, startCeiling, startFleetServer, warmFleet, wrkInstalled } from './kit.js';

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const TURNS = 2;

const fleet = await startFleetServer(100, 1000);
const ceiling = await startCeiling(IDLE_ANSWER);
try {
  await warmFleet(fleet.ready.url, fleet.ready.machines);
  const bodies = fleet.ready.machines.map((m) => heartbeatBody(m));
  header(`heartbeats: 100 machines, 1,000 users, npm start's logging defaults, ${SECONDS} s per turn, best of ${TURNS} turns`);
  line(`   load generator: ${wrkInstalled ? 'wrk (1 thread)' : 'autocannon (wrk not installed: the generator may be the bottleneck)'}`);
  for (const connections of [10, 50]) {
    let best = { ceil: 0, ours: 0, p99: Infinity, p50: Infinity, ceilP99: Infinity, non2xx: 0, errors: 0 };
    const cpu = { ceil: 0, ceilReq: 0, ours: 0, oursReq: 0 };
    for (let turn = 0; turn < TURNS; turn++) {
      let t0 = cpuSeconds(ceiling.pid);
      const c = await load(ceiling.url, '/api/machine/update', bodies, connections, SECONDS);
      cpu.ceil += cpuSeconds(ceiling.pid) - t0;
      cpu.ceilReq += c.requests;
      t0 = cpuSeconds(fleet.pid);
      const o = await load(fleet.ready.url, '/api/machine/update', bodies, connections, SECONDS);
      cpu.ours += cpuSeconds(fleet.pid) - t0;
      cpu.oursReq += o.requests;
      if (c.rps > best.ceil) best = { ...best, ceil: c.rps, ceilP99: c.p99 };
      if (o.rps > best.ours) best = { ...best, ours: o.rps, p99: o.p99, p50: o.p50 };
      best.non2xx += o.non2xx;
      best.errors += o.errors;
    }
    line(`   ${String(connections).padStart(2)} connections: ceiling ${fmt(best.ceil)} req/s (p99 ${fmt(best.ceilP99, 2)} ms); ` +
      `fobgate ${fmt(best.ours)} req/s = ${share(best.ours, best.ceil)}, p50 ${fmt(best.p50, 2)} ms, p99 ${fmt(best.p99, 2)} ms, ` +
      `non-2xx ${best.non2xx}, socket errors ${best.errors}`);
    // CPU time per answer does not depend on how busy the machine's other core is
    const ceilUs = (1e6 * cpu.ceil) / cpu.ceilReq;
    const oursUs = (1e6 * cpu.ours) / cpu.oursReq;
    line(`       CPU per answer: ceiling ${fmt(ceilUs, 1)} µs, fobgate ${fmt(oursUs, 1)} µs: fobgate's capacity on one core = ${share(ceilUs, oursUs)}`);
  }
  const st = await fleet.stats();
  line(`   server RSS ${fmt(st.rss / 1048576, 1)} MiB; state documents written during heartbeats: ${st.saves} (a heartbeat that changes nothing writes nothing)`);
} finally {
  await ceiling.stop();
  await fleet.stop();
}
