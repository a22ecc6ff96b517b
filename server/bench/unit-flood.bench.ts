// What one flooding unit does to everyone else (issue 8.7): the server in its own process with 51
// registered units; 50 honest units sync once a second each (their budget's steady rate) with one
// event, first alone (the baseline), then while the 51st unit sends the largest syncs it may
// (50 events of the longest strings) as fast as 4 connections carry them. Prints the honest
// units' latency in both runs, what the flooder got stored and refused, and the server's RSS.
// Run: npx tsx server/bench/unit-flood.bench.ts  (about 40 s)
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EVENT_DETAIL_MAX, EVENT_REASON_MAX, MAX_EVENTS_PER_SYNC, SIGNATURE_HEADER, SYNC_PATH, type SyncRequest } from '@fobgate/shared';

const HONEST = 50;
const PHASE_S = 15;
const FLOOD_CONNECTIONS = 4;

interface Ready {
  type: 'ready';
  url: string;
  units: { machine: string; key: string }[];
}

const line = (s: string) => process.stdout.write(s + '\n');

async function serve(): Promise<void> {
  const { startFleet } = await import('../test/fleet-fixture.js');
  const fleet = await startFleet({ machines: HONEST + 1, users: 200, deps: { logger: false } });
  const units: { machine: string; key: string }[] = [];
  for (const machine of fleet.machineNames) {
    const r = await fetch(`${fleet.url}/api/admin/units`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ machine }),
    });
    units.push({ machine, key: ((await r.json()) as { key: string }).key });
  }
  process.send!({ type: 'ready', url: fleet.url, units } satisfies Ready);
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'rss') process.send!({ type: 'rss', rss: process.memoryUsage().rss });
    if (m.type === 'stop') void fleet.close().then(() => process.exit(0));
  });
}

class Unit {
  counter = 0;
  seq = 0;
  constructor(
    readonly url: string,
    readonly machine: string,
    readonly key: string,
  ) {}

  body(events: SyncRequest['events']): string {
    const req: SyncRequest = {
      machine: this.machine, counter: ++this.counter, fw: 'bench', up: this.counter * 1000, boot_count: 1,
      list_version: 0, list_digest: '', command_ack: 0,
      state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: 'Please Insert\nRFID Card' },
      telemetry: { wifi_signal_db: -60, free_vars: 9000, temp_c10: null },
      events, dropped_events: 0,
    };
    return JSON.stringify(req);
  }

  async send(text: string): Promise<{ status: number; ms: number }> {
    const sig = createHmac('sha256', Buffer.from(this.key, 'latin1')).update(Buffer.from(text, 'latin1')).digest('hex');
    const t0 = performance.now();
    const r = await fetch(this.url + SYNC_PATH, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sig }, body: text });
    await r.arrayBuffer();
    return { status: r.status, ms: performance.now() - t0 };
  }
}

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
}

async function honestPhase(units: Unit[], flood: (() => Promise<void>) | null): Promise<{ lat: number[]; errors: number }> {
  const lat: number[] = [];
  let errors = 0;
  const end = Date.now() + PHASE_S * 1000;
  let stop = false;
  const flooding = flood ? Array.from({ length: FLOOD_CONNECTIONS }, async () => { while (!stop) await flood(); }) : [];
  await Promise.all(
    units.map(async (u, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / units.length));
      while (Date.now() < end) {
        const next = Date.now() + 1000;
        const r = await u.send(u.body([{ seq: ++u.seq, type: 'boot', at: 0, up: 1 }]));
        lat.push(r.ms);
        if (r.status !== 200) errors++;
        await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
      }
    }),
  );
  stop = true;
  await Promise.all(flooding);
  return { lat, errors };
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
    child.on('message', (m: { type?: string }) => m.type === 'ready' && resolve(m as Ready));
  });
  const rss = () => new Promise<number>((resolve) => {
    const on = (m: { type?: string; rss?: number }) => { if (m.type === 'rss') { child.off('message', on); resolve(m.rss ?? 0); } };
    child.on('message', on);
    child.send({ type: 'rss' });
  });
  const units = ready.units.map((u) => new Unit(ready.url, u.machine, u.key));
  const flooder = units.pop()!;
  line(`unit flood: ${HONEST} honest units syncing once a second, ${PHASE_S} s per run; load average ${loadavg()[0].toFixed(1)}`);
  const base = await honestPhase(units, null);
  const rss0 = await rss();
  const counts: Record<number, number> = {};
  let sentBytes = 0;
  const flood = async () => {
    const events = Array.from({ length: MAX_EVENTS_PER_SYNC }, () => ({ seq: ++flooder.seq, type: 'error' as const, at: 0, up: 1, reason: 'r'.repeat(EVENT_REASON_MAX), detail: 'd'.repeat(EVENT_DETAIL_MAX) }));
    const text = flooder.body(events);
    sentBytes += text.length;
    const r = await flooder.send(text);
    counts[r.status] = (counts[r.status] ?? 0) + 1;
  };
  const hit = await honestPhase(units, flood);
  const rss1 = await rss();
  const row = (name: string, r: { lat: number[]; errors: number }) =>
    line(`  ${name.padEnd(22)} ${String(r.lat.length).padStart(6)} syncs  p50 ${pct(r.lat, 50).toFixed(2)} ms  p99 ${pct(r.lat, 99).toFixed(2)} ms  max ${pct(r.lat, 100).toFixed(1)} ms  non-200 ${r.errors}`);
  row('alone (baseline)', base);
  row('beside the flooder', hit);
  line(`  flooder: ${Object.values(counts).reduce((a, b) => a + b, 0)} requests, ${(sentBytes / 1e6).toFixed(1)} MB sent; answers ${JSON.stringify(counts)}; at most ${MAX_EVENTS_PER_SYNC} events per 200`);
  line(`  server RSS ${(rss0 / 1048576).toFixed(0)} MiB before the flood, ${(rss1 / 1048576).toFixed(0)} MiB after; p99 ratio ${(pct(hit.lat, 99) / pct(base.lat, 99)).toFixed(2)}x`);
  child.send({ type: 'stop' });
}

if (process.argv.includes('--serve')) void serve();
else void main().catch((e: unknown) => {
  process.stderr.write(String(e) + '\n');
  process.exit(1);
});
