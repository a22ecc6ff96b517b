// The one code path of oops / clear / lockout / unlock by an admin, whoever asks: the admin API,
// the dashboard (through the admin API), Slack commands and buttons. The action is applied (or
// queued for a fobgate unit) and made durable within the budget like any admin request.
import type { CommandType, MachineConfig, OopsSource } from '@fobgate/shared';
import type { Core } from './core-services.js';

export interface ActionResult {
  success: true;
  /** A fobgate unit: the action waits as a command for its next sync. */
  queued?: true;
  command_id?: number | null;
}

export interface ActionRequest {
  /** Who asks (Slack text and audit log). */
  by: string;
  source: OopsSource;
  /** lockout: end a running session now rather than when it ends. */
  cut: boolean;
  /** performance.now() when the request arrived (the save budget counts from there). */
  receivedAt?: number;
}

export async function runAdminAction(core: Core, m: MachineConfig, type: CommandType, r: ActionRequest): Promise<ActionResult> {
  const outcome = core.adminAction(m, type, r.by, r.source, r.cut);
  await core.persist(m, true, r.receivedAt);
  return outcome.queued ? { success: true, queued: true, command_id: outcome.command_id } : { success: true };
}
