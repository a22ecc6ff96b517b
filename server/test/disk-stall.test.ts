// The disk-stall incident, over real sockets: every state-journal write hangs (held at the
// store's write gate until released) while several legacy units keep sending updates. Every
// request is still answered (200, or 503 {"error":"state save timeout"}) while the disk stays
// stuck, heartbeats and reads never wait for it, timeouts are counted per machine, and a real
// Slack receiver gets the per-machine alert exactly once at 2 timeouts and the fleet alert once.
// Releasing the disk makes saves work again. How close to the 2.0 s budget the answers come is
// the benchmark's figure (npm run bench: the save-stall run), not a wall-clock assertion here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFleet, type Fleet } from './fleet-fixture.js';
import { startSlackReceiver, type SlackReceiver } from './slack-receiver.js';
import { stateOnDisk } from './helpers.js';

const BUDGET_MS = 2000;
const STALL_RUN_MS = 6500;
const WRITERS = 6; // machines whose every update changes state (card in / out)

interface Answer {
  machine: string;
  status: number;
  body: string;
  ms: number;
}

async function post(url: string, body: unknown): Promise<Answer & { machine: string }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/machine/update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { machine: (body as { machine_name: string }).machine_name, status: res.status, body: text, ms: performance.now() - t0 };
}

async function timedGet(url: string, token?: string): Promise<{ status: number; ms: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, text };
}

function timeoutsMetric(metrics: string, machine: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith('mac_state_save_timeouts_total{') && l.includes(`machine_name="${machine}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

let fleet: Fleet | null = null;
let rx: SlackReceiver | null = null;
test.after(async () => {
  // writes still held would keep the process alive: always let them through first
  if (fleet) fleet.release();
  if (fleet) await fleet.close();
  if (rx) await rx.close();
});

/** Every machine checked in, and the writers' card-in / card-out paths run once before the disk gets stuck; the uptimes sent so far. */
async function warmUp(f: Fleet, writers: string[]): Promise<Record<string, number>> {
  const uptime: Record<string, number> = {};
  for (const m of f.machineNames) {
    uptime[m] = 100;
    const r = await post(f.url, { machine_name: m, oops: false, rfid_value: '', uptime: uptime[m] });
    assert.is(r.status, 200, `warm-up ${m}: ${r.body}`);
  }
  // a running server: the card-in / card-out paths have run before the disk gets stuck
  for (const m of writers) {
    for (const rfid of [f.fob, '']) {
      uptime[m] += 1;
      const r = await post(f.url, { machine_name: m, oops: false, rfid_value: rfid, uptime: uptime[m] });
      assert.is(r.status, 200, `warm-up ${m}: ${r.body}`);
    }
  }

  return uptime;
}

/**
 * While the disk is stuck: writers toggle the card (every update a change), heartbeaters send
 * updates that change nothing, a reader polls /metrics and the machines; every answer is kept.
 */
async function runStalled(f: Fleet, writers: string[], heartbeaters: string[], uptime: Record<string, number>) {
  const answers: Answer[] = [];
  const beats: Answer[] = [];
  const reads: Array<{ what: string; status: number; ms: number }> = [];
  const stopAt = Date.now() + STALL_RUN_MS;

  // run for STALL_RUN_MS, and on a slow machine until every writer has seen 2 timeouts (capped)
  const hardStop = Date.now() + 10 * STALL_RUN_MS;
  const timedOut = (m: string) => answers.filter((a) => a.machine === m && a.status === 503).length;
  const writerLoop = async (m: string) => {
    let inserted = false;
    while ((Date.now() < stopAt || timedOut(m) < 2) && Date.now() < hardStop) {
      inserted = !inserted;
      uptime[m] += 1;
      answers.push(await post(f.url, { machine_name: m, oops: false, rfid_value: inserted ? f.fob : '', uptime: uptime[m] }));
    }
  };
  const heartbeatLoop = async (m: string) => {
    while (Date.now() < stopAt) {
      uptime[m] += 1;
      beats.push(await post(f.url, { machine_name: m, oops: false, rfid_value: '', uptime: uptime[m], amps: 0.5 }));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const readLoop = async () => {
    while (Date.now() < stopAt) {
      const metrics = await timedGet(`${f.url}/metrics`);
      reads.push({ what: 'metrics', status: metrics.status, ms: metrics.ms });
      const machines = await timedGet(`${f.url}/api/admin/machines`, f.adminToken);
      reads.push({ what: 'machines', status: machines.status, ms: machines.ms });
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.all([...writers.map(writerLoop), ...heartbeaters.map(heartbeatLoop), readLoop()]);
  return { answers, beats, reads };
}

/** Slack: the per-machine alert exactly once per writer at 2 timeouts, the fleet alert once. */
async function assertAlertsOnce(receiver: SlackReceiver): Promise<void> {
  const deadline = Date.now() + 30000;
  const alerts = () => receiver.messages.filter((x) => x.path === '/control' && /state-save timeout/i.test(x.text));
  while (alerts().length < WRITERS + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 0; i < WRITERS; i++) {
    const dn = `Machine ${i}`;
    const mine = alerts().filter((x) => x.text.startsWith(`:warning: Machine \`${dn}\``));
    assert.is(mine.length, 1, `one alert for ${dn}`);
    // on the wire `>` is escaped as Slack asks (`&gt;`); Slack shows dm_mac's text
    assert.is(
      mine[0].text,
      `:warning: Machine \`${dn}\` had a state-save timeout (&gt;2.0s); lifetime count is now 2. Disk may be hung; firmware was returned HTTP 503.`,
    );
  }
  const fleetAlerts = alerts().filter((x) => x.text.startsWith(':rotating_light: Fleet-wide state-save timeouts:'));
  assert.is(fleetAlerts.length, 1, 'one fleet alert');
  assert.is(alerts().length, WRITERS + 1);
}

test('a hung state write: every request answered within budget, reads fast, alerts once', async () => {
  rx = await startSlackReceiver();
  fleet = await startFleet({
    machines: WRITERS + 2,
    users: 20,
    slackControlUrl: rx.url('/control'),
    slackOopsUrl: rx.url('/oops'),
    deps: { budgetMs: BUDGET_MS },
  });
  const f = fleet;
  const writers = f.machineNames.slice(0, WRITERS);
  const heartbeaters = f.machineNames.slice(WRITERS);
  const uptime = await warmUp(f, writers);

  const storedEvents = async () => {
    const r = await timedGet(`${f.url}/api/admin/events?limit=10000`, f.adminToken);
    return (JSON.parse(r.text) as { events: unknown[] }).events.length;
  };
  const eventsBefore = await storedEvents();
  f.stall();
  const { answers, beats, reads } = await runStalled(f, writers, heartbeaters, uptime);

  // every request of every machine answered while the disk stays stuck: 200 or the clean 503
  for (const a of answers) {
    assert.ok(a.status === 200 || a.status === 503, `${a.machine}: ${a.status} ${a.body}`);
    if (a.status === 503) assert.equal(JSON.parse(a.body), { error: 'state save timeout' });
  }
  // generous bound (3x the budget): the budget, not the stuck disk, ended every wait
  const slowest = Math.max(...answers.map((a) => a.ms), ...beats.map((a) => a.ms));
  assert.ok(slowest < 3 * BUDGET_MS, `slowest answer ${slowest.toFixed(0)} ms`);
  const timeouts: Record<string, number> = {};
  for (const m of writers) {
    timeouts[m] = answers.filter((a) => a.machine === m && a.status === 503).length;
    assert.ok(timeouts[m] >= 2, `${m} timed out ${timeouts[m]} times`);
  }
  // heartbeats that change nothing never wait for the disk: all answered 200 while it was stuck
  assert.ok(beats.length > 10);
  assert.ok(beats.every((b) => b.status === 200), 'heartbeats answered 200');
  // reads keep answering
  assert.ok(reads.length >= 10, `${reads.length} reads`);
  assert.ok(reads.every((r) => r.status === 200), 'reads answered 200');

  // the event log is another file: every card in / out was stored while the state disk was stuck
  const stored = (await storedEvents()) - eventsBefore;
  assert.ok(stored >= answers.length, `${stored} events stored for ${answers.length} updates`);

  // counted per machine, exactly as answered
  const metrics = (await timedGet(`${f.url}/metrics`)).text;
  for (const m of writers) assert.is(timeoutsMetric(metrics, m), timeouts[m], `mac_state_save_timeouts_total for ${m}`);
  for (const m of heartbeaters) assert.is(timeoutsMetric(metrics, m), 0, `no timeouts for ${m}`);

  await assertAlertsOnce(rx);

  // the disk comes back: the stuck write ends, the newest state is written, saves answer 200
  f.release();
  // Toggle the card until an answer is a 200 for a real change (the relay moved since the last
  // 200): only a change waits for its write; the card may already be in after the stall.
  let after = null;
  let inserted = false;
  let lastRelay: boolean | null = null;
  for (let i = 0; i < 50; i++) {
    uptime[writers[0]] += 1;
    inserted = !inserted;
    after = await post(f.url, { machine_name: writers[0], oops: false, rfid_value: inserted ? f.fob : '', uptime: uptime[writers[0]] });
    if (after.status !== 200) continue;
    const relay = (JSON.parse(after.body) as { relay: boolean }).relay;
    if (lastRelay !== null && relay !== lastRelay) break;
    lastRelay = relay;
  }
  assert.is(after?.status, 200);
  const saved = stateOnDisk(f.stateDir);
  assert.is(saved.machines[writers[0]].uptime_s, uptime[writers[0]], 'newest state on disk');
  assert.is(saved.save_timeouts[writers[1]], timeouts[writers[1]], 'timeout counts persisted');
});

test.run();
