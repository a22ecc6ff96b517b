// Admin commands from a sync answer (oops, clear oops, lockout, unlock): each is applied once,
// in order, as a decision event; the id of the last one applied is kept in flash and sent back
// (command_ack) so the server stops resending it.
import type { UnitCommand } from '@fobgate/shared';
import { machineEventOf } from './command-events.js';
import { decideNow } from './unit-taps.js';
import type { UnitContext } from './unit-context.js';

export function applyCommand(u: UnitContext, c: UnitCommand): void {
  if (!c || typeof c.id !== 'number' || c.id <= u.saved.command_ack) return;
  const ev = machineEventOf(c);
  if (ev) decideNow(u, ev, null);
  else u.event({ type: 'error', at: 0, up: 0, reason: 'command', detail: 'unknown command type ' + String(c.type).substring(0, 20) });
  u.saved.command_ack = c.id;
  u.saveRecord();
  u.event({ type: 'command_applied', at: 0, up: 0, v: c.id, reason: String(c.type) });
}
