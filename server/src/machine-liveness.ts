// Which machines are online: every request from a machine is a check-in; a machine silent for
// longer than the offline limit gets one offline alert per outage, and a back-online alert (with
// the outage's length) when it is heard again. Both alerts go to Slack's control channel and the
// audit log.
import type { MachineConfig } from '@fobgate/shared';
import type { Store } from './store.js';
import type { Notifier } from './notifier.js';
import type { NewEvent } from './event-log.js';
import { createOfflineMonitor, type OfflineMonitor } from './offline-monitor.js';
import { offlineText, backOnlineText } from './slack-messages.js';
import { serverEvent } from './audit-records.js';

export interface LivenessDeps {
  store: Store;
  notifier: Notifier;
  /** Stores an audit event (the audit trail). */
  storeEvent: (ev: NewEvent) => unknown;
  machine: (name: string) => MachineConfig | null;
  offlineAfterMs: number;
}

export class MachineLiveness {
  readonly monitor: OfflineMonitor;

  constructor(
    private readonly o: LivenessDeps,
    machineNames: readonly string[],
    startedAt: number,
  ) {
    this.monitor = createOfflineMonitor({ offlineAfterMs: o.offlineAfterMs });
    for (const name of machineNames) {
      const r = o.store.machine(name);
      if (r && r.last_checkin !== null) this.monitor.seed(name, r.last_checkin, startedAt);
    }
  }

  /** A request from machine `m` arrived: liveness, back-online alert. */
  checkin(m: MachineConfig, now: number): void {
    const rec = this.o.store.ensureMachine(m.name);
    rec.last_checkin = now;
    if (this.monitor.checkin(m.name, now) === 'back_online') {
      const outage = this.monitor.status(m.name).lastOutageMs ?? 0;
      this.o.notifier.notify('control', backOnlineText(m.display_name, outage), 'urgent');
      this.o.storeEvent(serverEvent(m.name, now, 'online', `back online after ${Math.round(outage / 1000)} s`));
    }
  }

  /** Machines that went silent get an offline alert (once per outage). */
  alertOffline(now: number): void {
    for (const name of this.monitor.tick(now)) {
      const m = this.o.machine(name);
      if (!m) continue;
      const last = this.monitor.status(name).lastSeen ?? now;
      this.o.notifier.notify('control', offlineText(m.display_name, now - last), 'urgent');
      this.o.storeEvent(serverEvent(name, now, 'offline', `no check-in since ${new Date(last).toISOString()}`));
    }
  }

  online(name: string): { online: boolean; since: number | null } {
    const s = this.monitor.status(name);
    if (s.state === 'unknown') return { online: false, since: null };
    if (s.state === 'offline') return { online: false, since: s.offlineSince };
    return { online: true, since: s.lastSeen };
  }
}
