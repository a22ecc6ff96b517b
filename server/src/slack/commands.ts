// What the Slack commands do, apart from HTTP: `/fobgate status [machine]`,
// `/fobgate oops|clear|lock|unlock <machine or alias>` and dm_mac's `/oops-clear [machine]`,
// obeyed only in the control channel. Machines are found by name or alias, ignoring case, as in
// dm_mac. Every action runs through the admin API's own code path (admin-actions.ts) in the name
// of the Slack user ("jane via Slack": Slack alerts and the audit log name them), and leaves an
// audit record of the command itself with the user's Slack id. Replies use dm_mac's words where
// dm_mac has them (docs/dm-mac-compat.md lists them).
import { statSync } from 'node:fs';
import type { CommandType, MachineConfig } from '@fobgate/shared';
import type { Core } from '../core-services.js';
import { serverEvent } from '../audit-records.js';
import { runAdminAction, type ActionResult } from '../admin-actions.js';
import { actorBy } from '../actor.js';
import { isServerError } from '../errors.js';
import { naturalDelta } from '../slack-messages.js';
import { clearMenuBlocks } from './blocks.js';

export interface SlackUser {
  id: string;
  /** The Slack handle (user_name / username). */
  name: string;
}

export interface SlackReply {
  text: string;
  blocks?: unknown[];
  response_type: 'ephemeral' | 'in_channel';
}

/** The channel rule for a command: dm_mac's words for /oops-clear, the same for ours. */
export function channelRefusal(command: string): string {
  return `The \`${command}\` command can only be used in the control channel.`;
}

export function invalidMachine(nameOrAlias: string): string {
  return `Invalid machine name or alias '${nameOrAlias}'. Use status command to list all machines.`;
}

export const HELP_TEXT = [
  'fobgate commands (control channel only):',
  '`/fobgate status` - every machine and its state',
  '`/fobgate status <machine>` - one machine in detail',
  '`/fobgate oops <machine>` - oops the machine now (power off until cleared)',
  '`/fobgate lock <machine>` - lock it out for maintenance now',
  '`/fobgate unlock <machine>` - end the maintenance lockout',
  '`/fobgate clear <machine>` - clear the oops and/or the lockout',
  '`/oops-clear [machine]` - clear a machine; without a name, pick one from a menu',
  'Machine names and aliases are matched ignoring case.',
].join('\n');

const WHAT: { [k in CommandType]: string } = {
  oops: 'oops',
  clear_oops: 'clear (oops)',
  lockout: 'lockout',
  unlock: 'unlock',
};

function ephemeral(text: string, blocks?: unknown[]): SlackReply {
  return blocks ? { text, blocks, response_type: 'ephemeral' } : { text, response_type: 'ephemeral' };
}

export class SlackCommands {
  constructor(
    private readonly core: Core,
    readonly controlChannelId: string,
  ) {}

  /** A machine by name or alias, ignoring case. */
  findMachine(nameOrAlias: string): MachineConfig | null {
    const key = nameOrAlias.trim().toLowerCase();
    if (key === '') return null;
    for (const name of this.core.machines.names) {
      const m = this.core.machines.byName[name];
      if (m.name.toLowerCase() === key) return m;
    }
    for (const name of this.core.machines.names) {
      const m = this.core.machines.byName[name];
      if (m.alias !== null && m.alias.toLowerCase() === key) return m;
    }
    return null;
  }

  /** A slash command; null answers with an empty acknowledgement (the channel alerts tell the rest). */
  async slash(command: string, text: string, user: SlackUser, channelId: string, receivedAt?: number): Promise<SlackReply | null> {
    if (channelId !== this.controlChannelId) return ephemeral(channelRefusal(command));
    const args = text.trim();
    if (command === '/oops-clear') return this.oopsClear(args, user, receivedAt);
    const space = args.search(/\s/);
    const sub = (space < 0 ? args : args.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : args.slice(space + 1).trim();
    switch (sub) {
      case 'status':
      case 'list':
        return ephemeral(rest === '' ? this.statusText() : this.machineStatus(rest));
      case 'oops':
      case 'lock':
      case 'unlock':
      case 'clear':
        if (rest === '') return ephemeral(HELP_TEXT);
        return this.act(sub, rest, user, command, receivedAt);
      default:
        return ephemeral(HELP_TEXT);
    }
  }

  /** Clears oops and lockout of one machine (command, menu, button); null: cleared. */
  async clear(m: MachineConfig, user: SlackUser, receivedAt?: number): Promise<string | null> {
    const rec = this.core.store.machine(m.name);
    const oopsed = rec !== null && rec.state.oopsed;
    const locked = rec !== null && rec.state.locked_out;
    if (!oopsed && !locked) return `Machine ${m.display_name} is not oopsed or locked-out.`;
    const notes: string[] = [];
    if (oopsed) notes.push(await this.run(m, 'clear_oops', user, receivedAt));
    if (locked) notes.push(await this.run(m, 'unlock', user, receivedAt));
    const said = notes.filter((n) => n !== '');
    return said.length ? said.join('\n') : null;
  }

  /** Oopsed or locked-out machines, by display name. */
  blocked(): MachineConfig[] {
    return this.core.machines.names
      .map((n) => this.core.machines.byName[n])
      .filter((m) => {
        const r = this.core.store.machine(m.name);
        return r !== null && (r.state.oopsed || r.state.locked_out);
      })
      .sort((a, b) => (a.display_name.toLowerCase() < b.display_name.toLowerCase() ? -1 : 1));
  }

  /** Audit record of a Slack command, naming the Slack user and their id. */
  audit(machine: string, what: string, user: SlackUser): void {
    const ev = serverEvent(machine, this.core.clock(), 'slack_command', `${what} by ${user.name} (${user.id})`);
    ev.source = 'admin';
    this.core.storeEvent(ev);
  }

  private async oopsClear(text: string, user: SlackUser, receivedAt?: number): Promise<SlackReply | null> {
    if (text !== '') {
      const m = this.findMachine(text);
      if (!m) return ephemeral(invalidMachine(text));
      this.audit(m.name, `/oops-clear ${text}`, user);
      const said = await this.clear(m, user, receivedAt);
      return said === null ? null : ephemeral(said);
    }
    const machines = this.blocked();
    if (machines.length === 0) return ephemeral('No machines are currently oopsed or locked out.');
    return ephemeral('Which machine should be cleared?', clearMenuBlocks(machines));
  }

  private async act(sub: string, target: string, user: SlackUser, command: string, receivedAt?: number): Promise<SlackReply | null> {
    const m = this.findMachine(target);
    if (!m) return ephemeral(invalidMachine(target));
    this.audit(m.name, `${command} ${sub} ${target}`, user);
    if (sub === 'clear') {
      const said = await this.clear(m, user, receivedAt);
      return said === null ? null : ephemeral(said);
    }
    const rec = this.core.store.machine(m.name);
    const st = rec ? rec.state : null;
    let type: CommandType;
    if (sub === 'oops') {
      if (st && st.oopsed) return ephemeral(`Machine ${m.display_name} is already oopsed.`);
      type = 'oops';
    } else if (sub === 'lock') {
      if (st && st.locked_out) return ephemeral(`Machine ${m.display_name} is already locked-out.`);
      type = 'lockout';
    } else {
      if (!st || !st.locked_out) return ephemeral(`Machine ${m.display_name} is not locked-out.`);
      type = 'unlock';
    }
    const said = await this.run(m, type, user, receivedAt);
    return said === '' ? null : ephemeral(said);
  }

  /** Runs one action; '' when done here, else what to tell the user (queued for a unit, or a save problem). */
  private async run(m: MachineConfig, type: CommandType, user: SlackUser, receivedAt?: number): Promise<string> {
    let result: ActionResult;
    try {
      // dm_mac's Slack lock cuts power at once, like its API
      result = await runAdminAction(this.core, m, type, { by: actorBy(user.name, 'Slack'), source: 'admin', cut: type === 'lockout', receivedAt });
    } catch (e) {
      if (isServerError(e) && (e.code === 'SAVE_TIMEOUT' || e.code === 'SAVE_FAILED')) {
        return `Machine ${m.display_name}: ${WHAT[type]} applied, but the server could not save its state in time (disk trouble); it is kept in memory.`;
      }
      throw e;
    }
    if (result.queued) {
      return `Machine ${m.display_name}: ${WHAT[type]} sent to its unit as command ${result.command_id}; the unit applies it at its next sync.`;
    }
    return '';
  }

  /** dm_mac's status answer: server uptime, users file, then one line per machine by name. */
  statusText(): string {
    const now = this.core.clock();
    const users = this.core.users;
    const fobs = new Set<string>();
    for (const u of users) for (const f of u.fob_codes) fobs.add(f);
    let mtime = this.core.startedAt;
    if (this.core.usersPath) {
      try {
        mtime = statSync(this.core.usersPath).mtimeMs;
      } catch {
        mtime = this.core.startedAt;
      }
    }
    let out =
      `Server uptime: ${naturalDelta(now - this.core.startedAt)}\n` +
      `Users config: ${naturalDelta(now - mtime)} old, ${users.length} users, ${fobs.size} fobs\n\n`;
    for (const name of this.core.machines.names.slice().sort()) out += this.line(this.core.machines.byName[name], now) + '\n';
    return out;
  }

  private line(m: MachineConfig, now: number): string {
    const rec = this.core.store.machine(m.name);
    const st = rec ? rec.state : null;
    let s = m.display_name + ': ';
    if (st && (st.oopsed || st.locked_out)) {
      if (st.oopsed) s += 'Oopsed ';
      if (st.locked_out) s += 'Locked out ';
    } else if (st && st.relay) s += 'In use ';
    else s += 'Idle ';
    if (rec && rec.last_checkin !== null && rec.last_update !== null && rec.uptime_s !== null) {
      s +=
        `(last contact ${naturalDelta(now - rec.last_checkin)} ago; last update ${naturalDelta(now - rec.last_update)} ago; ` +
        `uptime ${naturalDelta(rec.uptime_s * 1000)})`;
    }
    return s.trimEnd();
  }

  /** `/fobgate status <machine>`: its dm_mac line, then who uses it and what the unit holds. */
  machineStatus(target: string): string {
    const m = this.findMachine(target);
    if (!m) return invalidMachine(target);
    const now = this.core.clock();
    const rec = this.core.store.machine(m.name);
    const unit = this.core.store.unit(m.name);
    const live = this.core.online(m.name);
    const lines = [this.line(m, now)];
    const st = rec ? rec.state : null;
    if (st && st.user && st.session_start !== null) {
      lines.push(`In use by ${st.user.full_name} for ${naturalDelta(now - st.session_start)}${st.override ? ' (override)' : ''}.`);
    }
    lines.push(`Relay ${st && st.relay ? 'on' : 'off'}` + (m.second_relay ? `; ${m.second_relay.alias || 'second relay'} ${st && st.second_relay ? 'on' : 'off'}` : '') + '.');
    if (st && st.lockout_pending) lines.push('A lockout waits for the current session to end.');
    lines.push(
      live.online
        ? 'Online.'
        : rec && rec.last_checkin !== null
          ? `Offline: no check-in for ${naturalDelta(now - rec.last_checkin)}.`
          : 'Never checked in.',
    );
    if (unit) {
      lines.push(
        `fobgate unit${rec && rec.firmware ? ' ' + rec.firmware : ''}; list version ${rec && rec.list_version_held !== null ? rec.list_version_held : 'none'} ` +
          `of ${this.core.store.data.list_version}` +
          (unit.commands.length ? `; ${unit.commands.length} command(s) waiting for its next sync` : '') +
          (unit.dropped_events ? `; ${unit.dropped_events} events lost` : '') +
          '.',
      );
    }
    return lines.join('\n');
  }
}
