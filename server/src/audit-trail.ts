// The audit path of every decision and server event: stored in the event log (events.db),
// counted in the metrics, the machine's dashboard row touched, and the decision's Slack messages
// sent (oops, lockout and their clearing ahead of waiting chatter).
import type { LogEvent, MachineConfig, StoredEvent } from '@fobgate/shared';
import type { EventLog, NewEvent } from './event-log.js';
import type { Notifier } from './notifier.js';
import type { AppMetrics } from './metrics.js';
import type { FleetFeed } from './dashboard/fleet-feed.js';
import { messagesFor } from './slack-messages.js';
import { storedFromLog, type EventSource } from './audit-records.js';

/** Log events whose Slack messages go ahead of control chatter (logins, logouts, denials). */
const URGENT_EVENTS: LogEvent['type'][] = ['oops', 'oops_cleared', 'locked_out', 'unlocked'];

/** Outcome label of the decisions counter for one log event, or null when it is no decision. */
function outcomeOf(e: LogEvent): string | null {
  if (e.type === 'session_start') return e.override ? 'override' : e.authorized ? 'granted' : 'warn_only';
  if (e.type === 'denied') return `denied_${e.reason}`;
  return null;
}

export class AuditTrail {
  /** Told about every stored audit event (the app logs one line each). */
  onEvent: ((e: StoredEvent) => void) | null = null;

  constructor(
    private readonly events: EventLog,
    private readonly notifier: Notifier,
    private readonly metrics: () => AppMetrics,
    private readonly feed: FleetFeed,
  ) {}

  /** Stores one event in the audit log. */
  storeEvent(ev: NewEvent): StoredEvent {
    const stored = this.events.append(ev);
    this.metrics().eventsStored(1);
    this.feed.touch(ev.machine);
    if (this.onEvent) this.onEvent(stored);
    return stored;
  }

  /** Audit + Slack + metrics for a decision's log events. */
  recordLog(m: MachineConfig, log: LogEvent[], source: EventSource, unitSeq: number | null): void {
    for (const e of log) this.storeEvent(storedFromLog(m.name, e, source, unitSeq));
    this.announce(m, log);
  }

  /**
   * Slack messages and decision metrics for the log events of one request (no audit), together:
   * a login line carries the second relay's verdict logged after it.
   */
  announce(m: MachineConfig, log: LogEvent[]): void {
    const metrics = this.metrics();
    for (const e of log) {
      const outcome = outcomeOf(e);
      if (outcome) metrics.decision(outcome);
    }
    // oops, lockout and their clearing go ahead of waiting chatter (logins, denials)
    const priority = log.some((e) => URGENT_EVENTS.indexOf(e.type) >= 0) ? 'urgent' : 'normal';
    for (const msg of messagesFor(m, log)) this.notifier.notify(msg.channel, msg.text, priority);
  }
}
