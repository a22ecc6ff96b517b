// The live fleet: Server-Sent Events over real TCP. A snapshot first, then one message per
// machine that changed (legacy updates, admin actions, offline); a client that stops reading
// while 1,000 events/s flow never makes the server buffer more than its bounds, and gets a
// fresh snapshot when it reads again; a stuck client is dropped; "since when" survives a restart.
//
// The backpressure test runs in its own network namespace with small TCP buffers (when it can:
// root and `unshare`), so the server's own buffers are what is measured, not the kernel's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeApp, postUpdate, update, AUTH, TestUnit, type TestApp } from './helpers.js';
import { MAX_COUNT } from '../src/routes/schemas.js';
import { signIn } from './dashboard-fixture.js';
import { SseClient } from './sse-client.js';

const SELF = fileURLToPath(import.meta.url);
const inNetns = process.env.FOBGATE_STREAM_NETNS === '1';
const SMALL_BUFFERS = 'ip link set lo up && sysctl -qw net.ipv4.tcp_rmem="4096 16384 65536" net.ipv4.tcp_wmem="4096 16384 65536"';
const canNetns = () =>
  process.getuid !== undefined && process.getuid() === 0 && spawnSync('unshare', ['--net', 'sh', '-c', SMALL_BUFFERS], { stdio: 'ignore' }).status === 0;
if (!inNetns && canNetns()) {
  const r = spawnSync('unshare', ['--net', 'sh', '-c', `${SMALL_BUFFERS} && exec "$0" --import tsx "$1"`, process.execPath, SELF], {
    stdio: 'inherit',
    env: { ...process.env, FOBGATE_STREAM_NETNS: '1' },
  });
  process.exit(r.status ?? 1);
}
if (!inNetns) console.log('  (no network namespace: running on the host loopback with its large TCP buffers)');

let t: TestApp;
let port = 0;
const clients: SseClient[] = [];

async function start(o: Parameters<typeof makeApp>[0] = {}): Promise<void> {
  t = await makeApp(o);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
}

async function stop(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  t.app.server.closeAllConnections();
  await t.close();
}

function client(path: string, cookie: string | null): SseClient {
  const c = new SseClient(port, path, cookie);
  clients.push(c);
  return c;
}

test('a signed-in stream starts with the snapshot, then gets the machine that changed (and only it)', async () => {
  await start();
  try {
    const s = await signIn(t.app);
    const c = client('/dashboard/api/stream', s.cookie);
    const snap = await c.waitFor((e) => e.event === 'snapshot');
    assert.is(c.status, 200);
    assert.match(c.headers, /content-type: text\/event-stream/i);
    assert.match(c.headers, /content-security-policy: default-src 'none'/i);
    const machines = JSON.parse(snap.data).machines as Array<{ name: string }>;
    assert.equal(machines.map((m) => m.name), ['lathe', 'saw', 'drill', 'lights', 'unit1']);
    const n = c.events.length;
    await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
    const ev = await c.waitFor((e) => e.event === 'machine', 10_000, n);
    const row = JSON.parse(ev.data);
    assert.is(row.name, 'lathe');
    assert.is(row.user.full_name, 'Ada Tester');
    assert.is(row.relay, true);
    assert.is(row.online, true);
    assert.type(row.session_start, 'number');
    // a heartbeat that changes nothing sends nothing; an admin action sends the row again
    await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
    const r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: { by: 'tester' } });
    assert.is(r.statusCode, 200);
    const saw = await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'saw', 10_000, n);
    assert.is(JSON.parse(saw.data).oopsed, true);
    const machineEvents = c.events.slice(n).filter((e) => e.event === 'machine').map((e) => JSON.parse(e.data).name);
    assert.equal(machineEvents, ['lathe', 'saw'], 'the unchanged heartbeat sent nothing');
    // the users list changes: every unit's list is behind, the latest version goes out
    const users = (await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH })).json();
    users[1].authorizations.push('Lathe');
    assert.is((await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: users })).statusCode, 200);
    const meta = await c.waitFor((e) => e.event === 'meta', 10_000, n);
    assert.is(JSON.parse(meta.data).list_version_latest, 2);
  } finally {
    await stop();
  }
});

test('a unit reporting a list this server did not issue is flagged live; a recovery sends every row the new latest version', async () => {
  await start();
  try {
    const s = await signIn(t.app);
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const first = await u.sync();
    const latest = first.body!.latest_list_version;
    const c = client('/dashboard/api/stream', s.cookie);
    await c.waitFor((e) => e.event === 'snapshot');
    let n = c.events.length;
    // a version no server of ours can have issued yet: flagged, nothing adopted
    assert.is((await u.sync({ list_version: MAX_COUNT, list_digest: 'f'.repeat(64) })).res.statusCode, 200);
    const flagged = await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'unit1' && JSON.parse(e.data).list_unrecognized === true, 10_000, n);
    assert.is(JSON.parse(flagged.data).list_version_latest, latest);
    // a plausible version above the latest (state restored from an older copy): the server moves
    // past it, and every open dashboard hears the new latest version at once
    n = c.events.length;
    assert.is((await u.sync({ list_version: latest + 3, list_digest: 'e'.repeat(64) })).res.statusCode, 200);
    const meta = await c.waitFor((e) => e.event === 'meta', 10_000, n);
    const next = JSON.parse(meta.data).list_version_latest as number;
    assert.ok(next > latest + 3, `${next} > ${latest + 3}`);
    const row = await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'unit1' && JSON.parse(e.data).list_unrecognized === false, 10_000, n);
    assert.is(JSON.parse(row.data).list_version_latest, next);
    // and the rows of machines that did nothing carry it too
    const other = await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'lathe', 10_000, n);
    assert.is(JSON.parse(other.data).list_version_latest, next);
  } finally {
    await stop();
  }
});

test('a machine going silent is pushed as offline, silent since its last check-in', async () => {
  await start();
  try {
    const s = await signIn(t.app);
    await postUpdate(t.app, update('drill'));
    const last = t.now.value;
    const c = client('/dashboard/api/stream', s.cookie);
    await c.waitFor((e) => e.event === 'snapshot');
    const n = c.events.length;
    t.now.value += 121_000;
    t.app.fobgate.core.tick();
    const ev = await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'drill', 10_000, n);
    const row = JSON.parse(ev.data);
    assert.is(row.online, false);
    assert.is(row.since, last);
  } finally {
    await stop();
  }
});

test('"online since" and "offline since" survive a server restart', async () => {
  await start();
  const dir = t.dir;
  const t0 = t.now.value;
  await postUpdate(t.app, update('lathe'));
  t.now.value += 30_000;
  await postUpdate(t.app, update('lathe'));
  await postUpdate(t.app, update('drill'));
  const drillSeen = t.now.value;
  t.now.value += 60_000;
  await postUpdate(t.app, update('lathe'));
  await new Promise((r) => setTimeout(r, 50));
  await stop();
  // back 30 s later: lathe still online since t0, drill still silent since its check-in
  await start({ dir, start: t0 + 120_000 });
  try {
    const s = await signIn(t.app);
    const snap = JSON.parse((await t.app.inject({ method: 'GET', url: '/dashboard/api/fleet', headers: { cookie: s.cookie } })).body);
    const row = (n: string) => snap.machines.find((m: { name: string }) => m.name === n);
    assert.is(row('lathe').online, true);
    assert.is(row('lathe').since, t0, 'online since its first check-in, not since the restart');
    t.now.value = drillSeen + 200_000;
    t.app.fobgate.core.tick();
    const after = JSON.parse((await t.app.inject({ method: 'GET', url: '/dashboard/api/fleet', headers: { cookie: s.cookie } })).body);
    const drill = after.machines.find((m: { name: string }) => m.name === 'drill');
    assert.is(drill.online, false);
    assert.is(drill.since, drillSeen);
  } finally {
    await stop();
  }
});

test('a client that stops reading while 1,000 events/s flow: bounded queue and socket buffer, then a fresh snapshot', async () => {
  const maxQueued = 32;
  const maxQueuedBytes = 32 * 1024;
  const highWaterBytes = 16 * 1024;
  await start({ extra: { streams: { maxQueued, maxQueuedBytes, highWaterBytes, stallMs: 3_600_000 } } });
  try {
    const s = await signIn(t.app);
    const c = client('/dashboard/api/stream', s.cookie);
    await c.waitFor((e) => e.event === 'snapshot');
    const snapshotBytes = Buffer.byteLength(JSON.stringify(t.app.fobgate.dashboard.view.snapshot())) + 64;
    c.socket.pause();
    const core = t.app.fobgate.core;
    const rec = core.store.ensureMachine('lathe');
    const hub = t.app.fobgate.dashboard.hubs[0];
    // 1,000 events a second: 10 every 10 ms, each changing what the lathe's row shows
    const total = inNetns ? 4000 : 20000;
    let i = 0;
    let peakRss = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < 10 && i < total; k++, i++) {
          rec.telemetry.wifi_signal_db = -(i % 90) - 1;
          rec.firmware = `fw-${i}-` + 'x'.repeat(400);
          core.feed.touch('lathe');
        }
        const st = hub.stats().perStream[0];
        if (st) {
          assert.ok(st.queued <= maxQueued, `queue ${st.queued} > ${maxQueued}`);
          assert.ok(st.queuedBytes <= maxQueuedBytes, `queued bytes ${st.queuedBytes}`);
          assert.ok(st.socketBuffered <= highWaterBytes + snapshotBytes + 2048, `socket buffer ${st.socketBuffered}`);
        }
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        if (i >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await new Promise((r) => setTimeout(r, 100));
    const st = hub.stats().perStream[0];
    console.log(
      `  ${total} changes while paused: peak queue ${st.peakQueued} msgs / ${st.peakQueuedBytes} B (bounds ${maxQueued} / ${maxQueuedBytes}), ` +
        `peak socket buffer ${st.peakSocketBuffered} B (high water ${highWaterBytes} + snapshot ${snapshotBytes}), overflows ${st.overflows}, ` +
        `client got ${c.bytes} B so far`,
    );
    assert.ok(st.peakQueued <= maxQueued);
    assert.ok(st.peakQueuedBytes <= maxQueuedBytes);
    assert.ok(st.peakSocketBuffered <= highWaterBytes + snapshotBytes + 2048);
    assert.ok(st.overflows >= 1, 'the stream fell behind and dropped its backlog');
    // reading again: a fresh snapshot with the latest state arrives (not thousands of stale rows)
    const before = c.events.length;
    c.socket.resume();
    const snap = await c.waitFor((e) => e.event === 'snapshot', 20_000, before);
    const lathe = JSON.parse(snap.data).machines.find((m: { name: string }) => m.name === 'lathe');
    assert.is(lathe.firmware, `fw-${total - 1}-` + 'x'.repeat(400));
    // what was already in the socket and the kernel's buffers arrives first; the rest was dropped
    const rows = c.events.slice(before).filter((e) => e.event === 'machine').length;
    console.log(`  after resuming: ${rows} row messages before the fresh snapshot, for ${total} changes`);
    assert.ok(rows < (inNetns ? total / 10 : total), `after resuming: ${rows} row messages, far fewer than the ${total} changes`);
    // and the stream is live again
    const n = c.events.length;
    await postUpdate(t.app, update('drill', { rfid_value: '0000000002' }));
    await c.waitFor((e) => e.event === 'machine' && JSON.parse(e.data).name === 'drill', 10_000, n);
  } finally {
    await stop();
  }
});

test('a client stuck for longer than the stall limit is dropped (its EventSource reconnects)', async () => {
  await start({ extra: { streams: { maxQueued: 4, maxQueuedBytes: 4096, highWaterBytes: 1024, stallMs: 300, heartbeatMs: 100 } } });
  try {
    const s = await signIn(t.app);
    const c = client('/dashboard/api/stream', s.cookie);
    await c.waitFor((e) => e.event === 'snapshot');
    c.socket.pause();
    const core = t.app.fobgate.core;
    const rec = core.store.ensureMachine('saw');
    const hub = t.app.fobgate.dashboard.hubs[0];
    const deadline = Date.now() + 30_000;
    let i = 0;
    while (hub.stats().streams > 0 && Date.now() < deadline) {
      for (let k = 0; k < 50; k++) {
        rec.firmware = `fw-${i++}-` + 'y'.repeat(2000);
        core.feed.touch('saw');
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.is(hub.stats().streams, 0, 'the stuck stream was closed');
    assert.ok(hub.stats().dropped >= 1);
  } finally {
    await stop();
  }
});

test('the status board: off by default; on, it streams free / in use / oops / maintenance without names unless configured', async () => {
  await start({ extra: { dashboard: { board: 'on' } } });
  try {
    const page = await t.app.inject({ method: 'GET', url: '/board' });
    assert.is(page.statusCode, 200);
    assert.match(String(page.headers['content-security-policy']), "script-src 'self'");
    await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
    await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: {} });
    await t.app.inject({ method: 'POST', url: '/api/admin/machines/drill/lockout', headers: AUTH, payload: { cut: true } });
    const c = client('/board/api/stream', null);
    const snap = JSON.parse((await c.waitFor((e) => e.event === 'snapshot')).data);
    const status = Object.fromEntries(snap.machines.map((m: { name: string; status: string }) => [m.name, m.status]));
    assert.equal(status, { lathe: 'in_use', saw: 'oops', drill: 'maintenance', lights: 'free', unit1: 'free' });
    assert.not.match(JSON.stringify(snap), 'Ada');
    const n = c.events.length;
    await postUpdate(t.app, update('lathe', { rfid_value: '' }));
    const ev = await c.waitFor((e) => e.event === 'machine', 10_000, n);
    assert.equal(JSON.parse(ev.data), { name: 'lathe', display_name: 'Metal Lathe', status: 'free', user: null, since: null });
  } finally {
    await stop();
  }
  await start({ extra: { dashboard: { board: 'names' } } });
  try {
    await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
    const snap = (await t.app.inject({ method: 'GET', url: '/board/api/fleet' })).json();
    assert.is(snap.machines[0].user, 'Ada Tester');
  } finally {
    await stop();
  }
});

test.run();
