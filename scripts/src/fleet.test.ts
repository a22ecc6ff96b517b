// The fleet table an admin reads: flags, list column and the lost-events warning.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FleetResponse, FleetRow } from '@fobgate/shared';
import { fleetTable } from './fleet.js';

function row(over: Partial<FleetRow>): FleetRow {
  return {
    name: 'lathe', display_name: 'Lathe', kind: 'fobgate', registered: true, online: true, last_checkin: 0, status_since: 0,
    relay: false, second_relay: false, oopsed: false, locked_out: false, user: null, display: '', firmware: '0.1.0',
    list_version_held: 3, list_version_latest: 3, list_unrecognized: false, wifi_signal_db: null,
    events_dropped: 0, events_dropped_at: null, last_event: null, ...over,
  };
}

test('events lost to a full buffer show as a flag and a warning under the table', () => {
  const f: FleetResponse = {
    time: 7_200_000,
    list_version_latest: 3,
    machines: [row({ events_dropped: 601, events_dropped_at: 0 }), row({ name: 'saw', display_name: 'saw' })],
  };
  const text = fleetTable(f).join('\n');
  assert.match(text, /lathe \(Lathe\)\s+online 2 h 0 min\s+LOST:601/);
  assert.match(text, 'warning: lathe lost 601 events to a full buffer (last 2 h 0 min ago): those sessions and alerts are missing from the audit log');
  assert.not.match(text, 'saw lost');
});

test('a list the server did not issue is marked, not shown as current', () => {
  const f: FleetResponse = { time: 0, list_version_latest: 3, machines: [row({ list_version_held: 2147483647, list_unrecognized: true })] };
  assert.match(fleetTable(f).join('\n'), '2147483647?/3 (not issued here)');
});

test.run();
