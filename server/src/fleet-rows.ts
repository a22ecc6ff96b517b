// One machine's row of the fleet view, as the admin API (GET /api/admin/machines) and the
// dashboard show it: built from the configured machine, its mirrored record, its unit, its
// liveness and its last audit event.
import { outputsOf, type FleetRow, type StoredEvent } from '@fobgate/shared';
import type { Core } from './core-services.js';

/** "session start by Ada Maker [authorized]" */
export function summaryOf(e: StoredEvent): string {
  let s = e.type.replace(/_/g, ' ');
  if (e.full_name) s += ` by ${e.full_name}`;
  else if (e.fob) s += ` (fob ${e.fob})`;
  if (e.reason) s += ` [${e.reason}]`;
  if (e.detail && !e.full_name) s += `: ${e.detail}`;
  return s;
}

/** What the row needs to know about lists a unit reported but the server did not issue. */
export interface ListGuardView {
  unrecognizedFor(name: string): unknown | null;
}

/** The row of configured machine `name` (the caller checked it exists). */
export function fleetRow(core: Core, listGuard: ListGuardView, name: string): FleetRow {
  const latest = core.store.data.list_version;
  const m = core.machines.byName[name];
  const rec = core.store.machine(name);
  const unit = core.store.unit(name);
  const live = core.online(name);
  const st = rec ? rec.state : null;
  const last = core.events.lastEvent(name);
  const display = rec && rec.outputs ? rec.outputs.display : st ? outputsOf(m, st).display : '';
  return {
    name,
    display_name: m.display_name,
    kind: unit ? 'fobgate' : rec ? rec.kind : 'none',
    registered: unit !== null,
    online: live.online,
    last_checkin: rec ? rec.last_checkin : null,
    status_since: live.since,
    relay: st ? st.relay : false,
    second_relay: st ? st.second_relay : false,
    oopsed: st ? st.oopsed : false,
    locked_out: st ? st.locked_out : false,
    user: st && st.user ? { account_id: st.user.account_id || null, full_name: st.user.full_name } : null,
    display,
    firmware: rec ? rec.firmware : null,
    list_version_held: rec ? rec.list_version_held : null,
    list_version_latest: latest,
    list_unrecognized: listGuard.unrecognizedFor(name) !== null,
    wifi_signal_db: rec ? rec.telemetry.wifi_signal_db : null,
    events_dropped: unit ? unit.dropped_events : 0,
    events_dropped_at: unit && unit.dropped_at !== undefined ? unit.dropped_at : null,
    last_event: last ? { type: last.type, at: last.at, summary: summaryOf(last) } : null,
  };
}
