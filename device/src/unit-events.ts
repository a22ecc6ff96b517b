// The unit's events on their way into the ring and out to the server: times as the protocol
// wants them (uptime always, wall time once a sync told the clock), texts cut to what it accepts,
// and faults that are reported once per boot.
import { EVENT_DETAIL_MAX, EVENT_REASON_MAX } from '@fobgate/shared';
import type { DeviceEvent } from '@fobgate/shared';
import type { NewEvent } from './event-ring.js';
import type { UnitContext } from './unit-context.js';

/** Times as whole milliseconds and text fields cut to what the protocol accepts. */
export function stampEvent(u: UnitContext, ev: NewEvent): NewEvent {
  const now = u.hal.clock.now();
  ev.up = Math.max(0, Math.floor(now - u.bootMs));
  ev.at = u.wallOffset ? Math.floor(now + u.wallOffset) : 0;
  if (typeof ev.reason === 'string' && ev.reason.length > EVENT_REASON_MAX) ev.reason = ev.reason.substring(0, EVENT_REASON_MAX);
  if (typeof ev.detail === 'string' && ev.detail.length > EVENT_DETAIL_MAX) ev.detail = ev.detail.substring(0, EVENT_DETAIL_MAX);
  if (typeof ev.dur === 'number') ev.dur = Math.max(0, Math.floor(ev.dur));
  return ev;
}

/** Events of this boot logged before the clock was known get their wall time now. */
export function withWallTime(u: UnitContext, events: DeviceEvent[]): DeviceEvent[] {
  if (!u.wallOffset) return events;
  for (const e of events) {
    if (e.at === 0 && e.seq >= u.bootSeq) e.at = Math.floor(u.bootMs + e.up + u.wallOffset);
  }
  return events;
}

/** A fault found by the unit's loop, as one error event per boot. */
export function reportOnce(u: UnitContext, reason: string, detail: string): void {
  if (u.reported[reason]) return;
  u.reported[reason] = true;
  u.event({ type: 'error', at: 0, up: 0, reason: reason, detail: detail });
}
