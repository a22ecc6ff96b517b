// The benchmark's server process: 100 machines and 1,000 generated users in a temp data folder,
// buildApp + listen on 127.0.0.1:0. Talks to bench.ts over IPC (ready, rss, stop) and exits
// when its parent goes away, so it never outlives the benchmark.
import { startFleet } from '../test/fleet-fixture.js';

const machines = Number(process.argv[2] || 100);
const users = Number(process.argv[3] || 1000);

const fleet = await startFleet({ machines, users });
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  await fleet.close().catch(() => undefined);
  process.exit(code);
}

process.on('message', (msg: { type?: string }) => {
  if (msg && msg.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  if (msg && msg.type === 'stop') void stop(0);
});
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.send!({ type: 'ready', url: fleet.url, machines: fleet.machineNames, fob: fleet.fob });
