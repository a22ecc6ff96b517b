// Prometheus series of the Slack notifier, per channel: every message ends counted as sent,
// dropped (queue full or shutdown) or failed (given up), retries are counted, and the queue
// length is a gauge. Read from the notifier's counters when scraped.
import { Counter, Gauge, type Registry } from 'prom-client';
import { CHANNELS, type NotifierStats } from './notifier.js';

type Outcome = 'sent' | 'retried' | 'dropped' | 'failed';

const SERIES: Array<[string, Outcome, string]> = [
  ['fobgate_slack_messages_sent_total', 'sent', 'Slack messages delivered, per channel'],
  ['fobgate_slack_messages_retried_total', 'retried', 'Slack message retries (429, 5xx, timeouts, network errors), per channel'],
  ['fobgate_slack_messages_dropped_total', 'dropped', 'Slack messages dropped because the channel queue was full (or at shutdown), per channel'],
  ['fobgate_slack_messages_failed_total', 'failed', 'Slack messages given up (retries exhausted, permanent error or past the give-up time), per channel'],
];

export function registerSlackMetrics(registry: Registry, stats: () => NotifierStats): void {
  for (const [name, outcome, help] of SERIES) {
    new Counter({
      name,
      help,
      labelNames: ['channel'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const s = stats();
        for (const c of CHANNELS) this.inc({ channel: c }, s.channels[c][outcome]);
      },
    });
  }
  new Gauge({
    name: 'fobgate_slack_queue_length',
    help: 'Slack messages waiting to be sent (the one being sent included), per channel',
    labelNames: ['channel'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const s = stats();
      for (const c of CHANNELS) this.set({ channel: c }, s.channels[c].queued);
    },
  });
}
