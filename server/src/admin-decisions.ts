// An admin's oops / clear / lockout / unlock on one machine: queued as a command for a registered
// fobgate unit (it decides locally and reports back), decided here by the shared decision core
// for a legacy (dm_mac ESPHome) or never-seen machine, and audited either way.
import { decide, type CommandType, type MachineConfig, type MachineEvent, type OopsSource, type UnitCommand } from '@fobgate/shared';
import type { Store } from './store.js';
import type { FleetFeed } from './dashboard/fleet-feed.js';
import type { AuditTrail } from './audit-trail.js';
import { serverEvent, type EventSource } from './audit-records.js';
import { sameJson } from './same-json.js';

export interface AdminOutcome {
  /** True for a fobgate unit: the action waits as a command for its next sync. */
  queued: boolean;
  command_id: number | null;
}

/** What an admin decision needs (Core provides it). */
export interface DecisionParts {
  readonly store: Store;
  readonly clock: () => number;
  readonly feed: FleetFeed;
  readonly audit: AuditTrail;
}

/**
 * Applies an admin's decision event to a server-decided (legacy or never-seen) machine; true
 * when the state changed or something was logged. Like dm_mac, an admin action is no update from
 * the machine: `last_update` stays as it is.
 */
export function applyAdminEvent(p: DecisionParts, m: MachineConfig, event: MachineEvent, source: EventSource): boolean {
  const rec = p.store.ensureMachine(m.name);
  const now = p.clock();
  const before = rec.state;
  const d = decide(m, rec.state, event, null, { now });
  rec.state = d.state;
  rec.outputs = d.outputs;
  p.audit.recordLog(m, d.log, source, null);
  return !sameJson(d.state, before) || d.log.length > 0;
}

/**
 * oops / clear / lockout / unlock by an admin: queued as a command for a registered fobgate unit
 * (active or pending; it decides locally and reports back), decided here for a legacy or
 * never-seen machine.
 */
export function adminAction(p: DecisionParts, m: MachineConfig, action: CommandType, by: string, source: OopsSource, cut: boolean): AdminOutcome {
  // A unit registered but not yet heard from (pending key) takes the commands at its first sync.
  const unit = p.store.unit(m.name) ?? p.store.pendingUnit(m.name);
  const now = p.clock();
  p.feed.touch(m.name);
  if (unit) {
    const cmd: UnitCommand = { id: p.store.data.next_command_id++, type: action, cut, by };
    unit.commands.push(cmd);
    const ev = serverEvent(m.name, now, 'command_queued', `${action} queued as command ${cmd.id} by ${by}`);
    ev.source = 'admin';
    ev.reason = action;
    p.audit.storeEvent(ev);
    return { queued: true, command_id: cmd.id };
  }
  let event: MachineEvent;
  if (action === 'oops') event = { type: 'admin_oops', by, source };
  else if (action === 'clear_oops') event = { type: 'admin_clear_oops', by };
  else if (action === 'lockout') event = { type: 'admin_lockout', by, cut };
  else event = { type: 'admin_unlock', by };
  applyAdminEvent(p, m, event, source === 'button' ? 'legacy' : 'admin');
  return { queued: false, command_id: null };
}
