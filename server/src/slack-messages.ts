// The Slack message catalog: which channel gets which exact text for the decision log events of
// one request (dm_mac's texts, word for word: admins filter and search on them; see
// docs/dm-mac-compat.md), the save-timeout alerts (dm_mac's) and machine liveness (ours).
import type { LogEvent, SecondRelayMode } from '@fobgate/shared';
import { parseActor } from './actor.js';

export type SlackChannel = 'control' | 'oops';

export interface SlackMessage {
  channel: SlackChannel;
  text: string;
}

/** What the texts need of a machine (MachineConfig satisfies it). */
export interface SlackMachine {
  /** alias, or the machine name. */
  display_name: string;
  second_relay: { alias: string | null } | null;
}

/** `n` with its unit, singular for 1 (Python's ngettext for English). */
function count(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** 1234567 -> "1,234,567". */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * A duration the way dm_mac writes it (Python humanize's `naturaldelta`, English, months on):
 * whole seconds, one unit, rounded down - "a moment", "a second", "8 seconds", "a minute",
 * "2 minutes", "an hour", "3 hours", "a day", "12 days", "a month", "1 year, 2 months", ...
 */
export function naturalDelta(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const allDays = Math.floor(total / 86_400);
  const seconds = total - allDays * 86_400;
  const years = Math.floor(allDays / 365);
  const days = allDays % 365;
  const months = Math.floor(days / 30.5);
  if (years === 0 && days === 0) {
    if (seconds === 0) return 'a moment';
    if (seconds === 1) return 'a second';
    if (seconds < 60) return count(seconds, 'second');
    if (seconds < 120) return 'a minute';
    if (seconds < 3600) return count(Math.floor(seconds / 60), 'minute');
    if (seconds < 7200) return 'an hour';
    return count(Math.floor(seconds / 3600), 'hour');
  }
  if (years === 0) {
    if (days === 1) return 'a day';
    if (months === 0) return count(days, 'day');
    if (months === 1) return 'a month';
    return count(months, 'month');
  }
  if (years === 1) {
    if (months === 0 && days === 0) return 'a year';
    if (months === 0) return `1 year, ${count(days, 'day')}`;
    if (months === 1) return '1 year, 1 month';
    return `1 year, ${count(months, 'month')}`;
  }
  return `${grouped(years)} years`;
}

const UNITS: Array<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "1 hour, 2 minutes, 3 seconds": every unit, for fobgate's own alerts (outages). */
export function humanDuration(ms: number): string {
  let rest = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) * 1000 : 0;
  const parts: string[] = [];
  for (const [name, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      parts.push(count(n, name));
      rest -= n * size;
    }
  }
  return parts.length ? parts.join(', ') : '0 seconds';
}

function control(text: string): SlackMessage {
  return { channel: 'control', text };
}

function both(controlText: string, oopsText: string): SlackMessage[] {
  return [control(controlText), { channel: 'oops', text: oopsText }];
}

/** " (both relays)" after admin and oops lines of a machine with a second relay. */
function bothRelays(m: SlackMachine): string {
  return m.second_relay ? ' (both relays)' : '';
}

/** The login line's clause for the second relay's verdict (dm_mac's wording). */
function secondClause(m: SlackMachine, mode: SecondRelayMode | null): string {
  if (!m.second_relay || mode === null) return '';
  const accessory = m.second_relay.alias || 'second relay';
  if (mode === 'granted') return `; ${accessory} authorized`;
  if (mode === 'denied') return `; ${accessory} NOT authorized — relay off`;
  if (mode === 'warn') return `; ${accessory} WARN-ONLY override — relay on`;
  if (mode === 'always') return `; ${accessory} always-enabled — relay on`;
  return '';
}

/** The second relay's verdict logged for the session starting at log[i] (same request). */
function verdictAfter(log: LogEvent[], i: number): SecondRelayMode | null {
  for (let j = i + 1; j < log.length; j++) {
    const e = log[j];
    if (e.type === 'second_relay') return e.mode;
    if (e.type === 'session_start' || e.type === 'session_end') return null;
  }
  return null;
}

/**
 * "API" for an API call (dm_mac's words), "Slack by jane" / "dashboard by alice" when the action
 * names who took it there (see actor.ts).
 */
function viaBy(by: string): string {
  const a = parseActor(by);
  return a.named ? `${a.via} by ${a.name}` : 'API';
}

function logoutText(m: SlackMachine, who: string, durationMs: number, override: boolean): string {
  return (
    `RFID logout on ${m.display_name} by ${who}; session duration ${naturalDelta(durationMs)}` +
    (override ? ' (override session)' : '') +
    (m.second_relay ? '; both relays off' : '')
  );
}

/** The Slack messages for one log event; `log`/`i` give the events around it (login clause). */
function messagesOf(m: SlackMachine, log: LogEvent[], i: number): SlackMessage[] {
  const e = log[i];
  const dn = m.display_name;
  switch (e.type) {
    case 'session_start': {
      if (e.override) return [control(`Override login on ${dn} by ${e.full_name}.`)];
      const login = control(`RFID login on ${dn} by authorized user ${e.full_name}${secondClause(m, verdictAfter(log, i))}`);
      if (e.authorized) return [login];
      return [
        control(
          `WARNING - Authorizing user ${e.full_name} for ${dn} based on unauthorized_warn_only setting for machine. ` +
            'User is NOT authorized for this machine.',
        ),
        login,
      ];
    }
    case 'session_end':
      // Only a pulled card posts a logout (dm_mac): a session that an oops, lockout, reboot,
      // clear or swap ended is told by that event's own line, and by card_removed when pulled.
      return e.reason === 'removed' ? [control(logoutText(m, e.full_name, e.duration_ms, e.override))] : [];
    case 'card_removed':
      return [control(logoutText(m, 'unknown', e.held_ms, false))];
    case 'denied': {
      const who = e.full_name === null ? 'unknown fob' : e.full_name;
      switch (e.reason) {
        case 'unknown':
          return [control(e.blocked ? `RFID login attempt on ${dn} by unknown fob when oopsed or locked out.` : `RFID login attempt on ${dn} by unknown fob`)];
        case 'unauthorized':
          return [control(`rejected RFID login on ${dn} by UNAUTHORIZED user ${who}`)];
        case 'oopsed':
          return [control(`RFID login attempt on ${dn} by ${who} when oopsed.`)];
        case 'locked_out':
          return [control(`RFID login attempt on ${dn} by ${who} when machine locked-out.`)];
        case 'expired':
          return [control(`rejected RFID login on ${dn} by EXPIRED member ${who}`)];
        case 'stale_list':
          return [control(`rejected RFID login on ${dn} by ${who}: the unit's authorization list is out of date`)];
      }
      return [];
    }
    case 'oops': {
      const actor = parseActor(e.by);
      const via =
        e.source === 'button' ? (e.fob ? 'Oops button with RFID present' : 'Oops button without RFID present') : actor.via;
      const who = e.source === 'button' ? e.by : actor.name;
      return both(`Machine ${dn} oopsed via ${via} by ${who}${bothRelays(m)}.`, `Machine ${dn} has been Oops'ed!`);
    }
    case 'oops_cleared':
      return both(`Machine ${dn} un-oopsed via ${viaBy(e.by)}${bothRelays(m)}.`, `Machine ${dn} oops has been cleared.`);
    case 'locked_out':
      if (e.pending) {
        return [control(`Machine ${dn} will be locked-out for maintenance when the current session ends (by ${e.by}).`)];
      }
      return both(`Machine ${dn} locked-out via ${viaBy(e.by)}${bothRelays(m)}.`, `Machine ${dn} is locked-out for maintenance.`);
    case 'unlocked':
      return both(`Machine ${dn} locked-out cleared via ${viaBy(e.by)}${bothRelays(m)}.`, `Machine ${dn} is no longer locked-out for maintenance.`);
    case 'reboot':
      return [control(`Machine ${dn} has rebooted.`)];
    default:
      // second_relay: part of the login line; card_audit (always-on machines), error: audit only
      return [];
  }
}

/** The Slack messages, in order, for the log events one request produced on machine `m`. */
export function messagesFor(m: SlackMachine, log: LogEvent[]): SlackMessage[] {
  const out: SlackMessage[] = [];
  for (let i = 0; i < log.length; i++) for (const msg of messagesOf(m, log, i)) out.push(msg);
  return out;
}

/** Per-machine alert when a machine reaches 2 lifetime save timeouts (dm_mac's text). */
export function saveTimeoutMachineText(dn: string, count: number, budgetMs: number): string {
  return (
    `:warning: Machine \`${dn}\` had a state-save timeout (>${(budgetMs / 1000).toFixed(1)}s); lifetime count is now ${count}. ` +
    'Disk may be hung; firmware was returned HTTP 503.'
  );
}

/** Fleet alert when several distinct machines time out within the window (dm_mac's text). */
export function saveTimeoutFleetText(machines: number, windowS: number): string {
  return (
    `:rotating_light: Fleet-wide state-save timeouts: ${machines} distinct machines hit state-save timeouts within ${Math.round(windowS)}s. ` +
    'Disk on the mac-server host is likely saturated or hung. See `mac_state_save_timeouts_total` in Prometheus.'
  );
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
