// What the dashboard's live stream costs the server per change of a machine (the row is rebuilt,
// compared with what was sent and written to every stream): with no dashboard open, with 50
// browsers reading, and with 50 that stopped reading (their queues overflow and are replaced by
// snapshots). The change is made in memory and announced through the fleet feed, as the routes
// do after their (disk-bound) work, so the figures are the stream's own cost. Relative to the
// no-dashboard baseline of the same run; also the bytes held per stalled stream (bounded).
// Run: npx tsx server/bench/dashboard-stream.bench.ts
import type { AddressInfo } from 'node:net';
import { makeApp, postUpdate, update } from '../test/helpers.js';
import { signIn } from '../test/dashboard-fixture.js';
import { fork } from 'node:child_process';
import { SseClient } from '../test/sse-client.js';

/** Browsers stand-in in a child process (their reading costs the server nothing): N streams, bytes counted. */
const READERS = `
const net = require('node:net');
const [port, cookie, n] = process.argv.slice(1);
let bytes = 0;
for (let i = 0; i < Number(n); i++) {
  const s = net.connect(Number(port), '127.0.0.1', () => s.write('GET /dashboard/api/stream HTTP/1.1\\r\\nHost: x\\r\\nCookie: ' + cookie + '\\r\\n\\r\\n'));
  s.on('data', (d) => { bytes += d.length; });
}
process.on('message', () => process.send(bytes));
`;

const UPDATES = Number(process.env.BENCH_UPDATES || 3000);
const CLIENTS = Number(process.env.BENCH_CLIENTS || 50);
const LATENCY_CHANGES = Number(process.env.BENCH_LATENCY_CHANGES || 300);

let seq = 0;
async function round(t: Awaited<ReturnType<typeof makeApp>>, n: number): Promise<number> {
  const core = t.app.fobgate.core;
  const rec = core.store.ensureMachine('lathe');
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    rec.telemetry.wifi_signal_db = -(seq++ % 90) - 1;
    core.feed.touch('lathe');
    // the feed flushes on the next turn, as after a real request
    await new Promise((r) => setImmediate(r));
  }
  return (performance.now() - start) / n;
}

async function main(): Promise<void> {
  const t = await makeApp({ start: Date.now() });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (t.app.server.address() as AddressInfo).port;
  const s = await signIn(t.app);
  await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
  await round(t, 200); // warm up
  const base = await round(t, UPDATES);

  const child = fork('-e', [READERS, String(port), s.cookie, String(CLIENTS)], { execArgv: [] });
  const ask = () => new Promise<number>((resolve) => {
    child.once('message', (m) => resolve(Number(m)));
    child.send('bytes');
  });
  await new Promise((r) => setTimeout(r, 1000));
  const reading = await round(t, UPDATES);
  await new Promise((r) => setTimeout(r, 300));
  const got = await ask();
  child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 200));

  const stalled = Array.from({ length: CLIENTS }, () => new SseClient(port, '/dashboard/api/stream', s.cookie));
  await new Promise((r) => setTimeout(r, 500));
  for (const c of stalled) c.socket.pause();
  const stuck = await round(t, UPDATES);
  const stats = t.app.fobgate.dashboard.hubs[0].stats().perStream;
  const peakHeld = Math.max(...stats.map((x) => x.peakQueuedBytes + x.peakSocketBuffered));
  const overflows = stats.reduce((n, x) => n + x.overflows, 0);
  for (const c of stalled) c.close();

  // Latency: a real card change over HTTP (POST /api/machine/update on the socket) until a reading
  // dashboard's stream delivers the lathe's new row; the baseline is the same request's own answer.
  const watcher = new SseClient(port, '/dashboard/api/stream', s.cookie);
  await watcher.waitFor((e) => e.event === 'snapshot');
  const answerMs: number[] = [];
  const streamMs: number[] = [];
  for (let i = 0; i < LATENCY_CHANGES; i++) {
    const from = watcher.events.length;
    const arrived = new Promise<number>((resolve) => {
      const look = () => {
        if (watcher.events.slice(from).some((e) => e.event === 'machine' && e.data.includes('"name":"lathe"'))) {
          watcher.socket.off('data', look);
          resolve(performance.now());
        }
      };
      watcher.socket.on('data', look);
    });
    const t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${port}/api/machine/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(update('lathe', { rfid_value: i % 2 === 0 ? '' : '0000000001' })),
    });
    await r.arrayBuffer();
    answerMs.push(performance.now() - t0);
    streamMs.push((await arrived) - t0);
  }
  watcher.close();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

  const pct = (x: number) => `${x >= base ? '+' : ''}${(((x - base) / base) * 100).toFixed(0)} %`;
  console.log(`dashboard stream: ${UPDATES} changes of one machine's row`);
  console.log(`  no dashboard open            ${(base * 1000).toFixed(1)} µs per change (baseline)`);
  console.log(`  ${CLIENTS} dashboards reading       ${(reading * 1000).toFixed(1)} µs per change (${pct(reading)}); ${(got / 1e6).toFixed(1)} MB delivered`);
  console.log(`  ${CLIENTS} dashboards not reading   ${(stuck * 1000).toFixed(1)} µs per change (${pct(stuck)}); ${overflows} overflows, at most ${peakHeld} bytes held per stream`);
  console.log(`dashboard stream latency: ${LATENCY_CHANGES} card changes over HTTP until the stream delivers the row`);
  console.log(`  HTTP answer (baseline)       p50 ${q(answerMs, 0.5).toFixed(1)} ms, p99 ${q(answerMs, 0.99).toFixed(1)} ms`);
  console.log(`  row on the dashboard stream  p50 ${q(streamMs, 0.5).toFixed(1)} ms, p99 ${q(streamMs, 0.99).toFixed(1)} ms, max ${Math.max(...streamMs).toFixed(1)} ms`);
  t.app.server.closeAllConnections();
  await t.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
