// Turns an admin command from a sync answer into the shared decision's event.
import type { MachineEvent, UnitCommand } from '@fobgate/shared';

/** The decision event for a command, or null for a command type this firmware does not know. */
export function machineEventOf(c: UnitCommand): MachineEvent | null {
  const by = typeof c.by === 'string' && c.by ? c.by : 'admin';
  if (c.type === 'oops') return { type: 'admin_oops', by: by, source: 'admin' };
  if (c.type === 'clear_oops') return { type: 'admin_clear_oops', by: by };
  if (c.type === 'lockout') return { type: 'admin_lockout', by: by, cut: c.cut === true };
  if (c.type === 'unlock') return { type: 'admin_unlock', by: by };
  return null;
}
