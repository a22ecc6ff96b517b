// The offline-freshness rule with the default 72 h grace and ONE power cycle at the start of an
// outage (docs/offline-freshness.md), the built firmware in the simulator. Before: the reboot made
// every 5-minute checkpoint re-add the whole uptime, and ordinary members got `List too old`
// after 3.5 h instead of 72 h.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, startUnit, untilListed, type UnitHandle, healthy } from './harness.js';
import type { UnitSim } from '../../sim/unit-sim.js';

const HOUR = 3_600_000;
let server: E2EServer;
let h: UnitHandle;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
  h = await startUnit(server, 'lathe');
  await untilListed(h.unit);
});

test.after(async () => {
  h.unit.close();
  await server.close();
});

async function tap(u: UnitSim, fob: string): Promise<{ relay: boolean; lcd: string }> {
  await u.insertFob(fob);
  await u.advance(100);
  const r = { relay: u.relay, lcd: u.lcdText };
  await u.removeFob();
  await u.advance(50);
  return r;
}

test('server gone and a power cycle right away: members still in at 3.5 h, 24 h and 71 h; refused just after 72 h; fresh again at the next sync', async () => {
  const u = h.unit;
  await server.stop();
  // 90 s into the outage (past the first tick, so the tally names the last sync's server time)
  await u.advance(90_000);
  u.powerCycle();
  const start = u.clock.now;
  const at = async (hours: number) => u.advance(start + hours * HOUR - u.clock.now);
  await at(3.5);
  assert.ok((await tap(u, FOBS.ada)).relay, 'in at 3.5 h');
  await at(24);
  assert.ok((await tap(u, FOBS.ada)).relay, 'in at 24 h');
  await at(71);
  assert.ok((await tap(u, FOBS.ada)).relay, 'in at 71 h');
  await at(72.1);
  const late = await tap(u, FOBS.ada);
  assert.not.ok(late.relay, 'refused after 72 h of running time (plus one tick per power-on)');
  assert.is(late.lcd, 'List too old\nMaintainers only');
  // the server comes back: the next sync makes the list fresh, and the outage is reported
  await server.start();
  assert.ok(await u.until(() => u.http.log.some((x) => x.t > u.clock.now - 120_000 && x.status === 200), 180_000, 500), 'synced again');
  assert.ok((await tap(u, FOBS.ada)).relay, 'in again after the sync');
  assert.ok(await u.until(() => u.http.log.some((x) => x.status === 200 && /"reason":"offline"/.test(x.body)), 60_000, 500), 'the outage was reported');
  const evs = await server.events('lathe');
  const report = evs.find((e) => e.type === 'error' && e.reason === 'offline');
  assert.ok(report, 'offline report stored');
  console.log('  reported: ' + report!.detail);
  // (the server runs in real time while the unit's hours are simulated: its clock saw little)
  assert.match(report!.detail ?? '', /^offline for 43\d\d min of running time, \d+ min by the server clock/);
  healthy(u);
});

test.run();
