// Signed syncs from 200 fobgate units (200 machines, 1,000 users): every unit in its own loop on
// its own keep-alive connection, each request with a new counter and its HMAC, each answer
// signed by the server. wrk cannot sign every request, so the generator is a node:http client
// pinned to the other core; the same client against the do-nothing ceiling (answering a body of
// the same size) gives the share, since the client's own limit then cancels out.
import { Agent } from 'node:http';
import { SIGNATURE_HEADER, SYNC_PATH, verifyList, type SyncRequest } from '@fobgate/shared';
import { hmacHex, sha256Hex } from '../src/auth.js';
import { idleSyncRequest } from '../test/helpers.js';
import { cpuSeconds, fmt, header, line, pct, pinSelf, post, share, startCeiling, startFleetServer } from './kit.js';

const UNITS = 200;
const SECONDS = Number(process.env.BENCH_SECONDS || 5);

interface Unit {
  machine: string;
  key: string;
  counter: number;
  listVersion: number;
  listDigest: string;
}

function request(u: Unit): SyncRequest {
  u.counter++;
  return idleSyncRequest({
    machine: u.machine,
    counter: u.counter,
    fw: 'bench-1.0',
    up: 600000 + u.counter,
    list_version: u.listVersion,
    list_digest: u.listDigest,
    command_ack: 0,
  });
}

/** Every unit syncing in a loop for `seconds`: answers per second and latency percentiles. */
async function drive(url: string, units: Unit[], seconds: number, sign: boolean) {
  const agent = new Agent({ keepAlive: true, maxSockets: units.length });
  const times: number[] = [];
  let bad = 0;
  const stopAt = performance.now() + seconds * 1000;
  await Promise.all(
    units.map(async (u) => {
      while (performance.now() < stopAt) {
        const text = JSON.stringify(request(u));
        const headers: { [k: string]: string } = sign ? { [SIGNATURE_HEADER]: hmacHex(u.key, text) } : {};
        const r = await post(url, SYNC_PATH, text, agent, headers);
        if (r.status === 200) times.push(r.ms);
        else bad++;
      }
    }),
  );
  agent.destroy();
  times.sort((a, b) => a - b);
  return { rps: times.length / seconds, p50: pct(times, 0.5), p99: pct(times, 0.99), bad, answers: times.length };
}

pinSelf();
const fleet = await startFleetServer(UNITS, 1000);
let ceiling: Awaited<ReturnType<typeof startCeiling>> | null = null;
try {
  const { url, machines, adminToken } = fleet.ready;
  const units: Unit[] = [];
  const admin = new Agent({ keepAlive: true, maxSockets: 8 });
  for (const machine of machines) {
    const r = await post(url, '/api/admin/units', JSON.stringify({ machine }), admin, { authorization: `Bearer ${adminToken}` });
    if (r.status !== 200) throw new Error(`register ${machine}: ${r.status} ${r.body}`);
    units.push({ machine, key: (JSON.parse(r.body) as { key: string }).key, counter: 0, listVersion: 0, listDigest: '' });
  }
  // first sync: each unit gets its list (full) and holds it from then on
  let answerBytes = 0;
  for (const u of units) {
    const text = JSON.stringify(request(u));
    const r = await post(url, SYNC_PATH, text, admin, { [SIGNATURE_HEADER]: hmacHex(u.key, text) });
    const body = JSON.parse(r.body) as { list: { kind: string; data?: string; sig: string; version: number; digest: string } | null };
    if (body.list && body.list.kind === 'full' && typeof body.list.data !== 'string') {
      // a large list is downloaded separately; the unit then holds this version and digest
      u.listVersion = body.list.version;
      u.listDigest = body.list.digest;
    } else if (body.list && body.list.kind === 'full') {
      const list = verifyList(Buffer.from(body.list.data as string, 'base64').toString('latin1'), body.list.sig, u.key, hmacHex, sha256Hex);
      if (!list.ok) throw new Error(`${u.machine}: list does not verify: ${list.error.message}`);
      u.listVersion = list.value.version;
      u.listDigest = list.value.digest;
    } else throw new Error(`${u.machine}: no list in the first sync: ${r.status} ${r.body.slice(0, 200)}`);
  }
  for (const u of units) {
    const text = JSON.stringify(request(u));
    const r = await post(url, SYNC_PATH, text, admin, { [SIGNATURE_HEADER]: hmacHex(u.key, text) });
    if ((JSON.parse(r.body) as { list: unknown }).list !== null) throw new Error(`${u.machine}: still gets a list`);
    answerBytes = Math.max(answerBytes, Buffer.byteLength(r.body));
  }
  admin.destroy();
  ceiling = await startCeiling(JSON.stringify({ pad: 'x'.repeat(Math.max(0, answerBytes - 12)) }));
  header(`signed syncs: ${UNITS} units, each its own keep-alive connection, ${SECONDS} s; generator: node:http client (wrk cannot sign each request)`);
  let c0 = cpuSeconds(ceiling.pid);
  const c = await drive(ceiling.url, units.map((u) => ({ ...u })), SECONDS, false);
  const ceilCpu = cpuSeconds(ceiling.pid) - c0;
  c0 = cpuSeconds(fleet.pid);
  const o = await drive(url, units, SECONDS, true);
  const ourCpu = cpuSeconds(fleet.pid) - c0;
  line(`   ceiling (same client, ${fmt(answerBytes)}-byte answers): ${fmt(c.rps)} req/s, p99 ${fmt(c.p99, 1)} ms`);
  line(`   fobgate: ${fmt(o.rps)} syncs/s = ${share(o.rps, c.rps)}, p50 ${fmt(o.p50, 1)} ms, p99 ${fmt(o.p99, 1)} ms, refused ${o.bad}`);
  line(`   CPU per answer: ceiling ${fmt((1e6 * ceilCpu) / Math.max(1, c.answers), 0)} µs, fobgate ${fmt((1e6 * ourCpu) / Math.max(1, o.answers), 0)} µs ` +
    `(verify HMAC, counter, telemetry, list check, signed answer)`);
} finally {
  if (ceiling) await ceiling.stop();
  await fleet.stop();
}
