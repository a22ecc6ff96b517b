// The offline-freshness rule under reboot patterns (docs/offline-freshness.md), the built firmware
// in the simulator, the server unreachable. Before: the age was checkpointed every 5 minutes as
// `offline_ms = offlineMs()`, which re-added the whole uptime after a reboot at every checkpoint,
// and reboots shorter than 5 minutes recorded nothing: with a power cycle every 4 minutes an
// ordinary member (the kind an admin may have removed meanwhile) was still let in after 8 h of a
// 1 h grace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, startUnit, untilListed, type UnitHandle, healthy } from './harness.js';
import type { UnitSim } from '../../sim/unit-sim.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
let server: E2EServer;
const units: UnitHandle[] = [];

test.before(async () => {
  ensureFirmware();
  server = new E2EServer({
    machines: {
      mill: { authorizations_or: ['Mill'], offline_grace_hours: 1 },
      lathe: { authorizations_or: ['Lathe'], offline_grace_hours: 1 },
    },
  });
  await server.start();
  for (const m of ['mill', 'lathe']) {
    const h = await startUnit(server, m);
    units.push(h);
    await untilListed(h.unit);
  }
  // both units have their list; now the server becomes unreachable for the rest of the file
  await server.stop();
});

test.after(async () => {
  for (const h of units) h.unit.close();
  await server.close();
});

/** Inserts and removes a fob; what the unit decided. */
async function tap(u: UnitSim, fob: string): Promise<{ relay: boolean; lcd: string }> {
  await u.insertFob(fob);
  await u.advance(100);
  const r = { relay: u.relay, lcd: u.lcdText };
  await u.removeFob();
  await u.advance(50);
  return r;
}

/** Runs the unit for `ms` of running time with a power cycle every `every` ms. */
async function runWithPowerCycles(u: UnitSim, ms: number, every: number): Promise<void> {
  let left = ms;
  while (left > 0) {
    const step = Math.min(every, left);
    await u.advance(step);
    left -= step;
    if (step === every) u.powerCycle();
  }
}

const STALE = 'List too old\nMaintainers only';

test('power cycle every 4 min for 8 h, grace 1 h: members in at 45 min, refused from 61 min on and still at 8 h; maintainers in', async () => {
  const u = units[0].unit;
  const start = u.clock.now;
  await runWithPowerCycles(u, 44 * MIN, 4 * MIN);
  const early = await tap(u, FOBS.dee);
  assert.ok(early.relay, 'no early lockout at 44 min: ' + JSON.stringify(early));
  await runWithPowerCycles(u, 17 * MIN, 4 * MIN);
  const late = await tap(u, FOBS.dee);
  assert.not.ok(late.relay, 'refused after the grace (61 min of running time)');
  assert.is(late.lcd, STALE);
  await runWithPowerCycles(u, 8 * HOUR - (u.clock.now - start), 4 * MIN);
  const at8h = await tap(u, FOBS.dee);
  assert.not.ok(at8h.relay, 'still refused at 8 h');
  assert.is(at8h.lcd, STALE);
  const maint = await tap(u, FOBS.cy);
  assert.ok(maint.relay, 'an override (maintainer) fob still starts the machine');
  assert.ok(u.boots.length >= 120, u.boots.length + ' boots');
  healthy(u);
});

test('reboots of 90 s for 2 h (shorter than any checkpoint before): in at 50 min, refused at 65 min and at 2 h', async () => {
  const u = units[1].unit;
  const start = u.clock.now;
  await runWithPowerCycles(u, 50 * MIN, 90_000);
  const early = await tap(u, FOBS.dee);
  assert.ok(early.relay, 'no early lockout at 50 min: ' + JSON.stringify(early));
  await runWithPowerCycles(u, 15 * MIN, 90_000);
  const late = await tap(u, FOBS.dee);
  assert.not.ok(late.relay, 'refused at 65 min');
  assert.is(late.lcd, STALE);
  await runWithPowerCycles(u, 2 * HOUR - (u.clock.now - start), 90_000);
  assert.not.ok((await tap(u, FOBS.dee)).relay, 'refused at 2 h');
  healthy(u);
});

test.run();
