// A long simulated run: 10 minutes of a busy machine (500+ taps: members granted, denied and
// unknown, fobs pulled, now and then an oops cleared by an admin) against the real server. The
// simulator's clock used to stop moving after ~33 s (a timer re-armed at now + 1e-12 equals now in
// floating point) and the run never ended; now every tap is decided and reaches the server.
// @timeout 600: ~700 taps against a real server take 1-2 minutes of a busy machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, startUnit, untilListed, untilSynced, type UnitHandle, healthy } from './harness.js';

let server: E2EServer;
let h: UnitHandle | null = null;
/** The server's clock follows the simulation's (epoch of the run + simulated ms). */
const BASE = 1_765_000_000_000;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer({
    deps: {
      // Nothing here depends on how fast the host runs: the server's budgets count simulated
      // time, and they are set for this compressed day (a tap a second, about 110 events a
      // minute, over the default 60) since what is proven here is time and taps, not budgets
      // (the flood tests prove those).
      clock: () => BASE + Math.floor(h ? h.unit.clock.now : 0),
      unitLimits: { requestsPerMin: 600, requestBurst: 600, eventsPerMin: 600, eventBurst: 2000 },
    },
  });
  await server.start();
  h = await startUnit(server, 'lathe');
  await untilListed(h.unit);
});

test.after(async () => {
  if (h) h.unit.close();
  await server.close();
});

const PLAN: Array<{ fob: string; lcd: string; relay: boolean }> = [
  { fob: FOBS.ada, lcd: 'Welcome,\nAda', relay: true },
  { fob: FOBS.bob, lcd: 'Unauthorized\n', relay: false },
  { fob: FOBS.dee, lcd: 'Welcome,\nDee', relay: true },
  { fob: FOBS.unknown, lcd: 'Unknown RFID\n', relay: false },
];

test('10 simulated minutes, 520 taps: each decided as planned, time keeps moving, every session reaches the server', async () => {
  const u = (h as UnitHandle).unit;
  const start = u.clock.now;
  const end = start + 10 * 60_000;
  let taps = 0;
  let granted = 0;
  let oopses = 0;
  const wrong: string[] = [];
  while (u.clock.now < end || taps < 520) {
    const plan = PLAN[taps % PLAN.length];
    const before = u.clock.now;
    await u.insertFob(plan.fob);
    await u.advance(60);
    if (u.relay !== plan.relay || u.lcdText !== plan.lcd) wrong.push('tap ' + taps + ' at ' + Math.round(u.clock.now) + ' ms: ' + JSON.stringify(u.lcdText) + ' relay ' + u.relay);
    if (plan.relay) granted++;
    await u.advance(300 + (taps % 7) * 100);
    if (taps % 97 === 50 && plan.relay) {
      // the member presses oops mid-session; an admin clears it
      await u.pressOops();
      if (u.relay) wrong.push('tap ' + taps + ': relay still on after oops');
      oopses++;
      await u.removeFob();
      const r = await server.admin('DELETE', '/api/admin/machines/lathe/oops');
      assert.is(r.status, 200, JSON.stringify(r.json));
      assert.ok(await u.until(() => u.lcdText === 'Please Insert\nRFID Card', 30_000, 100), 'oops cleared by the admin reaches the unit');
    } else {
      await u.removeFob();
    }
    if (u.relay) wrong.push('tap ' + taps + ': relay on after removal');
    assert.ok(u.clock.now > before, 'virtual time moved during tap ' + taps);
    await u.advance(150);
    taps++;
  }
  assert.equal(wrong, [], 'every tap decided as planned');
  assert.ok(taps >= 520 && u.clock.now - start >= 10 * 60_000, taps + ' taps over ' + Math.round((u.clock.now - start) / 1000) + ' s');
  assert.ok(oopses >= 4, 'oops pressed and cleared ' + oopses + ' times');
  assert.ok(await untilSynced(u, 120_000), 'the event ring drained');
  const r = await server.admin('GET', '/api/admin/events?machine=lathe&limit=10000');
  const evs = (r.json as { events: Array<{ type: string }> }).events;
  const starts = evs.filter((e) => e.type === 'session_start').length;
  const ends = evs.filter((e) => e.type === 'session_end').length;
  assert.is(starts, granted, 'every session start stored once');
  assert.is(ends, granted, 'every session end stored once');
  console.log(`  ${taps} taps in ${Math.round((u.clock.now - start) / 1000)} simulated s: ${granted} sessions, ${oopses} oopses, ${evs.length} events stored`);
  healthy(u);
});

test.run();
