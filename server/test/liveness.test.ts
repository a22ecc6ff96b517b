// Machine offline / back-online alerts through the app's own liveness timer: silence is measured
// from the last request that actually arrived (fake clock), each outage alerts once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, TestUnit, makeApp, postUpdate, removeDir, update } from './helpers.js';

const tick = () => new Promise((r) => setTimeout(r, 60));

/** Polls until `ok()` (the app's timer runs on real time; the machine may be loaded). */
async function until(ok: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await tick();
}

test('offline after the configured silence, once; back online with the next request', async () => {
  const t = await makeApp({ extra: { offlineAfterMs: 120000, tickMs: 20 } });
  try {
    await postUpdate(t.app, update('lathe'));
    const unit = new TestUnit(t.app, 'unit1');
    await unit.register();
    await unit.sync();
    t.now.value += 119000;
    await tick();
    assert.equal(t.notifier.sent.filter((s) => /offline/.test(s.text)), []);
    t.now.value += 2000;
    await until(() => t.notifier.sent.filter((s) => / is offline/.test(s.text)).length >= 2);
    const offline = t.notifier.sent.filter((s) => / is offline/.test(s.text)).map((s) => s.text);
    assert.equal(offline, [
      'Machine Metal Lathe is offline: no check-in for 2 minutes, 1 second.',
      'Machine unit1 is offline: no check-in for 2 minutes, 1 second.',
    ]);
    let fleet = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    const lathe = fleet.machines.find((m: { name: string }) => m.name === 'lathe');
    assert.equal([lathe.online, lathe.status_since], [false, t.now.value - 0]);
    t.now.value += 60000;
    await tick();
    assert.is(t.notifier.sent.filter((s) => / is offline/.test(s.text)).length, 2, 'one alert per outage');
    await postUpdate(t.app, update('lathe'));
    const back = t.notifier.sent.filter((s) => /back online/.test(s.text)).map((s) => s.text);
    assert.equal(back, ['Machine Metal Lathe is back online after 3 minutes, 1 second without a check-in.']);
    fleet = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    assert.is(fleet.machines.find((m: { name: string }) => m.name === 'lathe').online, true);
    const events = (await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=lathe', headers: AUTH })).json().events;
    assert.equal(events.slice(0, 2).map((e: { type: string }) => e.type), ['online', 'offline']);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
