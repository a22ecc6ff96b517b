// What the dashboard and the status board show of each machine, built from the admin API's
// fleet row (fleet-rows.ts) plus what only the dashboard shows: since when a machine is online
// (kept across restarts by the liveness tracker) or offline (its last check-in), the session's
// start, the second relay's name, a lockout waiting for the session, dropped events, commands
// waiting for the unit.
import type { Core } from '../core-services.js';
import { fleetRow, type ListGuardView } from '../fleet-rows.js';
import type { LivenessTracker } from './liveness.js';
import type { BoardRow, DashRow, FleetSnapshot } from './wire-rows.js';

export type { BoardRow, DashRow, FleetSnapshot } from './wire-rows.js';

export class FleetView {
  constructor(
    private readonly core: Core,
    private readonly liveness: LivenessTracker,
    private readonly listGuard: () => ListGuardView,
  ) {}

  has(name: string): boolean {
    return this.core.machine(name) !== null;
  }

  row(name: string): DashRow | null {
    const m = this.core.machine(name);
    if (!m) return null;
    const r = fleetRow(this.core, this.listGuard(), name);
    const rec = this.core.store.machine(name);
    const unit = this.core.store.unit(name);
    const st = rec ? rec.state : null;
    return {
      name: r.name,
      display_name: r.display_name,
      kind: r.kind,
      registered: r.registered,
      online: r.online,
      since: this.liveness.since(name, r.online, r.last_checkin),
      last_checkin: r.last_checkin,
      relay: r.relay,
      second_relay_name: m.second_relay ? m.second_relay.alias || 'second relay' : null,
      second_relay: r.second_relay,
      oopsed: r.oopsed,
      locked_out: r.locked_out,
      lockout_pending: st ? st.lockout_pending : false,
      user: r.user,
      session_start: st && st.user ? st.session_start : null,
      override: st ? st.override : false,
      display: r.display,
      firmware: r.firmware,
      list_version_held: r.list_version_held,
      list_version_latest: r.list_version_latest,
      list_unrecognized: r.list_unrecognized === true,
      wifi_signal_db: r.wifi_signal_db,
      wifi_signal_percent: rec ? rec.telemetry.wifi_signal_percent : null,
      last_event: r.last_event,
      dropped_events: unit ? unit.dropped_events : 0,
      commands_pending: unit ? unit.commands.length : 0,
    };
  }

  snapshot(): FleetSnapshot {
    const machines: DashRow[] = [];
    for (const name of this.core.machines.names) {
      const r = this.row(name);
      if (r) machines.push(r);
    }
    return { time: this.core.clock(), list_version_latest: this.core.store.data.list_version, machines };
  }

  boardRow(name: string, names: boolean): BoardRow | null {
    const r = this.row(name);
    if (!r) return null;
    let status: BoardRow['status'];
    if (r.locked_out) status = 'maintenance';
    else if (r.oopsed) status = 'oops';
    else if (r.kind !== 'none' && !r.online) status = 'offline';
    else if (r.relay && r.user) status = 'in_use';
    else status = 'free';
    return {
      name: r.name,
      display_name: r.display_name,
      status,
      user: names && status === 'in_use' && r.user ? r.user.full_name : null,
      since: status === 'in_use' ? r.session_start : null,
    };
  }

  boardSnapshot(names: boolean): { time: number; machines: BoardRow[] } {
    const machines: BoardRow[] = [];
    for (const name of this.core.machines.names) {
      const r = this.boardRow(name, names);
      if (r) machines.push(r);
    }
    return { time: this.core.clock(), machines };
  }
}
