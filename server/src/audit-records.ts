// What goes into the audit log (events.db) and in which shape: a decision's log event as an
// audit record (storedFromLog) and the server's own events (serverEvent: offline, back online,
// unit keys, users changes...). Pure functions; the audit trail (audit-trail.ts) stores them.
import type { LogEvent, StoredEvent } from '@fobgate/shared';
import type { NewEvent } from './event-log.js';

/** Who caused an audit event: a legacy update, a fobgate unit, an admin, the server itself. */
export type EventSource = StoredEvent['source'];

export function serverEvent(machine: string, at: number, type: string, detail: string): NewEvent {
  return {
    machine,
    at,
    type,
    source: 'server',
    account_id: null,
    full_name: null,
    fob: null,
    reason: null,
    duration_ms: null,
    detail,
    unit_seq: null,
  };
}

/** A decision log event as an audit-log record. */
export function storedFromLog(machine: string, e: LogEvent, source: EventSource, unitSeq: number | null): NewEvent {
  const ev: NewEvent = {
    machine,
    at: e.at,
    type: e.type,
    source,
    account_id: null,
    full_name: null,
    fob: null,
    reason: null,
    duration_ms: null,
    detail: null,
    unit_seq: unitSeq,
  };
  switch (e.type) {
    case 'session_start':
      ev.account_id = e.account_id || null;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.override ? 'override' : e.authorized ? 'authorized' : 'warn_only';
      ev.detail = e.override ? 'override' : null;
      break;
    case 'session_end':
      ev.account_id = e.account_id || null;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.reason;
      ev.duration_ms = e.duration_ms;
      ev.detail = e.override ? 'override' : null;
      break;
    case 'denied':
      ev.account_id = e.account_id;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.reason;
      if (e.blocked) ev.detail = 'machine oopsed or locked out';
      break;
    case 'card_removed':
      ev.fob = e.fob;
      ev.duration_ms = e.held_ms;
      break;
    case 'oops':
      ev.reason = e.source;
      ev.fob = e.fob || null;
      ev.detail = `by ${e.by}`;
      break;
    case 'oops_cleared':
    case 'unlocked':
      ev.detail = `by ${e.by}`;
      break;
    case 'locked_out':
      ev.reason = e.pending ? 'pending' : null;
      ev.detail = `by ${e.by}`;
      break;
    case 'second_relay':
      ev.fob = e.fob;
      ev.reason = e.mode;
      break;
    case 'card_audit':
      ev.account_id = e.account_id;
      ev.full_name = e.full_name;
      ev.fob = e.fob;
      ev.reason = e.inserted ? 'inserted' : 'removed';
      break;
    case 'error':
      ev.detail = e.message;
      break;
    default:
      break;
  }
  return ev;
}
