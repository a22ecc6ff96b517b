// Events a unit lost to its buffer overflowing (issue 8.9) are shown where an admin looks: the
// per-machine counter in /metrics, the fleet fields (which later events do not overwrite) and one
// control-channel Slack alert per growth, at most every 10 minutes per machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { DeviceEvent, FleetRow } from '@fobgate/shared';
import { AUTH, TestUnit, makeApp, removeDir } from './helpers.js';
import { DROP_ALERT_INTERVAL_MS } from '../src/unit-drops.js';

function ev(seq: number, type: DeviceEvent['type'], over: Partial<DeviceEvent> = {}): DeviceEvent {
  return { seq, type, at: 0, up: 1000 + seq, ...over };
}

test('a unit reporting 601 lost events: /metrics per machine, fleet fields, one Slack alert; later growth alerted after the interval', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const other = new TestUnit(t.app, 'lathe');
    await other.register();
    const start = t.now.value;
    let s = await u.sync({ events: [ev(1, 'dropped', { count: 601 })], dropped_events: 601 });
    assert.is(s.res.statusCode, 200, s.res.body);
    // later events push the 'dropped' audit event out of the fleet's last-event column
    s = await u.sync({ events: [ev(2, 'denied', { fob: '0000000099', reason: 'unknown' }), ev(3, 'boot')], dropped_events: 601 });
    assert.is(s.body!.ack_seq, 3);

    const fleet = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines as FleetRow[];
    const row = fleet.find((m) => m.name === 'unit1')!;
    assert.is(row.events_dropped, 601);
    assert.is(row.events_dropped_at, start);
    assert.is.not(row.last_event!.type, 'dropped');
    assert.is(fleet.find((m) => m.name === 'lathe')!.events_dropped, 0);
    assert.is(fleet.find((m) => m.name === 'saw')!.events_dropped_at, null);

    let metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_unit_events_dropped_total{machine_name="unit1",display_name="unit1"} 601');
    assert.match(metrics, 'fobgate_unit_events_dropped_total{machine_name="lathe",display_name="Metal Lathe"} 0');

    const lost = () => t.notifier.sent.filter((m) => /lost \d+ events?/.test(m.text));
    assert.equal(lost().map((m) => [m.channel, m.text]), [
      ['control', 'Machine unit1 lost 601 events (its event buffer overflowed; 601 lost in all): sessions, denials or oopses from that time are missing from the audit log and Slack.'],
    ]);

    // more losses within the interval: counted, shown, not alerted yet; after it, one alert for all of them
    t.now.value += 60_000;
    await u.sync({ dropped_events: 650 });
    t.now.value += 60_000;
    await u.sync({ dropped_events: 700 });
    assert.is(lost().length, 1);
    t.now.value = start + DROP_ALERT_INTERVAL_MS;
    await u.sync({ dropped_events: 705 });
    assert.is(lost().length, 2);
    assert.match(lost()[1].text, 'lost 104 events (its event buffer overflowed; 705 lost in all)');
    metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_unit_events_dropped_total{machine_name="unit1",display_name="unit1"} 705');
    const row2 = ((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines as FleetRow[]).find((m) => m.name === 'unit1')!;
    assert.is(row2.events_dropped_at, start + DROP_ALERT_INTERVAL_MS);

    // the same total again changes nothing
    await u.sync({ dropped_events: 705 });
    assert.is(lost().length, 2);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
