// The Slack message catalog (dm_mac's texts, see dm_mac-compat.md) for decision log events, save
// timeouts and machine liveness: which channel gets which exact text.
import type { LogEvent, OopsSource } from '@fobgate/shared';

export type SlackChannel = 'control' | 'oops';

export interface SlackMessage {
  channel: SlackChannel;
  text: string;
}

const UNITS: Array<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "1 hour, 2 minutes, 3 seconds": whole seconds, zero parts left out, "0 seconds" for < 1 s. */
export function humanDuration(ms: number): string {
  let rest = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) * 1000 : 0;
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    }
  }
  return parts.length ? parts.join(', ') : '0 seconds';
}

function sourceText(source: OopsSource): string {
  if (source === 'button') return 'button';
  if (source === 'admin') return 'admin';
  return 'API';
}

function control(text: string): SlackMessage {
  return { channel: 'control', text };
}

function both(controlText: string, oopsText: string): SlackMessage[] {
  return [control(controlText), { channel: 'oops', text: oopsText }];
}

/** The Slack messages one decision log event produces on machine `dn` (alias or name). */
export function messagesFor(dn: string, e: LogEvent): SlackMessage[] {
  switch (e.type) {
    case 'session_start':
      if (e.override) return [control(`Override login on ${dn} by ${e.full_name}.`)];
      if (e.authorized) return [control(`RFID login on ${dn} by authorized user ${e.full_name}`)];
      return [control(`WARNING: RFID login on ${dn} by UNAUTHORIZED user ${e.full_name} (allowed: machine is warn-only)`)];
    case 'session_end':
      return [control(`RFID logout on ${dn} by ${e.full_name}; session duration ${humanDuration(e.duration_ms)}`)];
    case 'denied': {
      const who = e.full_name === null ? 'unknown fob' : e.full_name;
      switch (e.reason) {
        case 'unknown':
          return [control(`RFID login attempt on ${dn} by unknown fob`)];
        case 'unauthorized':
          return [control(`rejected RFID login on ${dn} by UNAUTHORIZED user ${who}`)];
        case 'expired':
          return [control(`rejected RFID login on ${dn} by EXPIRED member ${who}`)];
        case 'stale_list':
          return [control(`rejected RFID login on ${dn} by ${who}: the unit's authorization list is out of date`)];
        case 'oopsed':
          return [control(`rejected RFID login on ${dn} by ${who}: machine is oopsed`)];
        case 'locked_out':
          return [control(`rejected RFID login on ${dn} by ${who}: machine is locked-out for maintenance`)];
      }
      return [];
    }
    case 'oops':
      return both(`Machine ${dn} oopsed via ${sourceText(e.source)} by ${e.by}.`, `Machine ${dn} has been Oops'ed!`);
    case 'oops_cleared':
      return both(`Machine ${dn} oops has been cleared.`, `Machine ${dn} oops has been cleared.`);
    case 'locked_out':
      if (e.pending) {
        return [control(`Machine ${dn} will be locked-out for maintenance when the current session ends (by ${e.by}).`)];
      }
      return both(`Machine ${dn} is locked-out for maintenance.`, `Machine ${dn} is locked-out for maintenance.`);
    case 'unlocked':
      return both(`Machine ${dn} is no longer locked-out for maintenance.`, `Machine ${dn} is no longer locked-out for maintenance.`);
    case 'reboot':
      return [control(`Machine ${dn} has rebooted.`)];
    case 'second_relay':
      if (e.mode === 'warn') return [control(`WARNING: second relay on ${dn} switched on for a user without its authorization (warn-only).`)];
      // 'denied' is routine (the main session runs, the second relay simply stays off): quiet
      return [];
  }
  return [];
}

/** Per-machine alert when a machine reaches its alert count of lifetime save timeouts. */
export function saveTimeoutMachineText(dn: string, count: number): string {
  return `Machine ${dn} has had ${count} state save timeouts; the server's disk may be failing.`;
}

/** Fleet alert when several machines time out within the window. */
export function saveTimeoutFleetText(machines: string[], windowS: number): string {
  return `State save timeouts on ${machines.length} machines within ${windowS} seconds (${machines.join(', ')}); the server's disk may be failing.`;
}

/** A machine stopped checking in; `sinceMs` is how long it has been silent. */
export function offlineText(dn: string, sinceMs: number): string {
  return `Machine ${dn} is offline: no check-in for ${humanDuration(sinceMs)}.`;
}

/** A machine checked in again after being declared offline. */
export function backOnlineText(dn: string, offlineForMs: number): string {
  return `Machine ${dn} is back online after ${humanDuration(offlineForMs)} without a check-in.`;
}

/** A unit held a list version this server had lost (state restored from an older copy): moved past it. */
export function listRecoveredText(dn: string, held: number, latest: number, next: number): string {
  return `Machine ${dn} holds authorization list v${held}, newer than this server's v${latest} (was the server's state restored from an older copy?). The list version moved to v${next}; every unit gets the current list.`;
}

/** A unit reports a list this server did not issue; it gets no list update until re-registered. */
export function listUnrecognizedText(dn: string, held: number, latest: number): string {
  return `Machine ${dn} reports authorization list v${held}, which this server did not issue (latest v${latest}). Re-register (re-flash) the unit; unless it came from another server, its key may have leaked.`;
}

/** A unit's event buffer overflowed: `lost` events since the last alert, `total` over its life. */
export function eventsLostText(dn: string, lost: number, total: number): string {
  return `Machine ${dn} lost ${lost} event${lost === 1 ? '' : 's'} (its event buffer overflowed; ${total} lost in all): sessions, denials or oopses from that time are missing from the audit log and Slack.`;
}

/** A unit sent more than its budget; `what` is requests, bytes or events. */
export function unitOverBudgetText(dn: string, what: string): string {
  return `Machine ${dn}'s unit sends more ${what} than its budget allows; the server refuses them for a while (the unit keeps its events). A unit that keeps doing this is faulty or its key is being misused.`;
}
