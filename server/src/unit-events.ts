// A fobgate unit's buffered events (protocol DeviceEvent) as the server keeps them: the decision
// log event they stand for (audit + Slack, members resolved from the fob) or a plain audit record
// for unit housekeeping (list applied/rejected, command applied, errors, overflow).
import type {
  DenyReason,
  DeviceEvent,
  LogEvent,
  OopsSource,
  SecondRelayMode,
  SessionEndReason,
  UserRecord,
} from '@fobgate/shared';
import type { NewEvent } from './event-log.js';

const DENY: DenyReason[] = ['unknown', 'unauthorized', 'oopsed', 'locked_out', 'expired', 'stale_list'];
const END: SessionEndReason[] = ['removed', 'oops', 'reboot', 'swap', 'lockout', 'config', 'cleared', 'error'];
const SOURCES: OopsSource[] = ['button', 'admin', 'api'];
const MODES: SecondRelayMode[] = ['off', 'always', 'granted', 'warn', 'denied'];

function pick<T extends string>(value: string | undefined, allowed: T[], dflt: T): T {
  return value !== undefined && (allowed as string[]).indexOf(value) >= 0 ? (value as T) : dflt;
}

/**
 * The epoch ms of a unit event: its own time when the unit's clock was set, else estimated from
 * its uptime stamp against the request's uptime, else the arrival time.
 */
export function eventTime(ev: DeviceEvent, requestUp: number, now: number): number {
  if (ev.at > 0) return ev.at;
  if (ev.up >= 0 && ev.up <= requestUp) return now - (requestUp - ev.up);
  return now;
}

/** The decision log event a unit event reports, or null for unit housekeeping events. */
export function logEventOf(ev: DeviceEvent, at: number, member: UserRecord | null): LogEvent | null {
  const fob = ev.fob ?? '';
  const account = member ? member.account_id : '';
  const name = member ? member.full_name : fob !== '' ? `unknown member (fob ${fob})` : 'unknown member';
  switch (ev.type) {
    case 'boot':
      return { type: 'reboot', at };
    case 'session_start':
      return {
        type: 'session_start',
        at,
        fob,
        account_id: account,
        full_name: name,
        override: ev.reason === 'override',
        authorized: ev.reason !== 'warn_only',
      };
    case 'session_end':
      return {
        type: 'session_end',
        at,
        fob,
        account_id: account,
        full_name: name,
        duration_ms: typeof ev.dur === 'number' ? ev.dur : 0,
        reason: pick(ev.reason, END, 'removed'),
        override: false,
      };
    case 'denied':
      return {
        type: 'denied',
        at,
        fob,
        account_id: member ? member.account_id : null,
        full_name: member ? member.full_name : null,
        reason: pick(ev.reason, DENY, 'unknown'),
      };
    case 'oops': {
      const e: LogEvent = {
        type: 'oops',
        at,
        source: pick(ev.reason, SOURCES, 'button'),
        by: member ? member.full_name : ev.detail || 'unknown user',
      };
      if (fob !== '') e.fob = fob;
      return e;
    }
    case 'oops_cleared':
      return { type: 'oops_cleared', at, by: ev.detail || 'admin' };
    case 'locked_out':
      return { type: 'locked_out', at, by: ev.detail || 'admin', pending: ev.reason === 'pending' };
    case 'unlocked':
      return { type: 'unlocked', at, by: ev.detail || 'admin' };
    case 'second_relay':
      return { type: 'second_relay', at, mode: pick(ev.reason, MODES, 'off'), fob };
    default:
      return null;
  }
}

/** Audit record of a unit housekeeping event (list_applied, command_applied, error, dropped …). */
export function housekeepingEvent(machine: string, ev: DeviceEvent, at: number): NewEvent {
  let detail: string | null = ev.detail ?? null;
  if (ev.type === 'list_applied' || ev.type === 'list_rejected') {
    detail = `list version ${ev.v ?? '?'}` + (ev.detail ? `: ${ev.detail}` : '');
  } else if (ev.type === 'command_applied') {
    detail = `command ${ev.v ?? '?'}`;
  } else if (ev.type === 'dropped') {
    detail = `${ev.count ?? 0} events lost to buffer overflow`;
  }
  return {
    machine,
    at,
    type: ev.type,
    source: 'unit',
    account_id: null,
    full_name: null,
    fob: ev.fob ?? null,
    reason: ev.reason ?? null,
    duration_ms: typeof ev.dur === 'number' ? ev.dur : null,
    detail,
    unit_seq: ev.seq,
  };
}
