// Turns the shared decision's log events into the protocol's device events (what the ring
// buffer stores and the sync sends). Times are filled in by the caller's stamp.
import type { LogEvent } from '@fobgate/shared';
import type { NewEvent } from './event-ring.js';

/** One device event for a decision log entry, or null for entries the server does not need. */
export function deviceEventOf(e: LogEvent): NewEvent | null {
  const ev: NewEvent = { type: 'error', at: 0, up: 0 };
  if (e.type === 'session_start') {
    ev.type = 'session_start';
    ev.fob = e.fob;
    ev.reason = e.override ? 'override' : e.authorized ? 'authorized' : 'warn_only';
  } else if (e.type === 'session_end') {
    ev.type = 'session_end';
    ev.fob = e.fob;
    ev.dur = Math.max(0, Math.round(e.duration_ms));
    ev.reason = e.reason;
  } else if (e.type === 'denied') {
    ev.type = 'denied';
    ev.fob = e.fob;
    ev.reason = e.reason;
  } else if (e.type === 'oops') {
    ev.type = 'oops';
    ev.reason = e.source;
    ev.detail = e.by;
    // the card in the reader at the press (the server's Slack line says with/without RFID present)
    if (typeof e.fob === 'string' && e.fob !== '') ev.fob = e.fob;
  } else if (e.type === 'oops_cleared') {
    ev.type = 'oops_cleared';
    ev.detail = e.by;
  } else if (e.type === 'locked_out') {
    ev.type = 'locked_out';
    ev.reason = e.pending ? 'pending' : 'now';
    ev.detail = e.by;
  } else if (e.type === 'unlocked') {
    ev.type = 'unlocked';
    ev.detail = e.by;
  } else if (e.type === 'second_relay') {
    ev.type = 'second_relay';
    ev.fob = e.fob;
    ev.reason = e.mode;
  } else if (e.type === 'error') {
    ev.type = 'error';
    ev.reason = 'decision';
    ev.detail = e.message;
  } else {
    // 'reboot' is reported by the unit's own boot event; 'card_audit' (always-on machines) and
    // 'card_removed' (a card pulled with no session) have no device event type.
    return null;
  }
  return ev;
}
