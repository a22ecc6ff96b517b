// Events a unit lost to its ring buffer overflowing (it reports its lifetime total on every sync)
// are shown where an admin looks: a per-machine counter in /metrics, the fleet fields (total and
// when it last grew) and a control-channel Slack alert when the total grows, at most once per
// machine per DROP_ALERT_INTERVAL_MS (a later growth reports everything since the last alert).
import { Counter, type Registry } from 'prom-client';
import type { MachineConfig } from '@fobgate/shared';
import type { Core } from './core-services.js';
import type { UnitRecord } from './store.js';
import { eventsLostText } from './slack-messages.js';

export const DROP_ALERT_INTERVAL_MS = 10 * 60_000;

export class UnitDrops {
  private readonly core: Core;
  /** Per machine: events lost since the last alert, and when that alert was sent. */
  private readonly unalerted = new Map<string, { lost: number; at: number }>();

  constructor(core: Core, registry: Registry) {
    this.core = core;
    const self = this;
    new Counter({
      name: 'fobgate_unit_events_dropped_total',
      help: 'Events a unit lost because its event buffer overflowed (as the unit reports it; restarts at re-registration)',
      labelNames: ['machine_name', 'display_name'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const name of self.core.machines.names) {
          const unit = self.core.store.unit(name);
          this.inc({ machine_name: name, display_name: self.core.machines.byName[name].display_name }, unit ? unit.dropped_events : 0);
        }
      },
    });
  }

  /**
   * A sync reported the unit's lifetime total of dropped events. Returns true when it changed
   * (worth saving). A total below the one held means the unit's buffer was reset: it counts anew.
   */
  report(m: MachineConfig, unit: UnitRecord, total: number, now: number): boolean {
    if (total === unit.dropped_events) return false;
    const grew = total - unit.dropped_events;
    unit.dropped_events = total;
    if (grew < 0) return true;
    unit.dropped_at = now;
    const a = this.unalerted.get(m.name) ?? { lost: 0, at: -Infinity };
    a.lost += grew;
    if (now - a.at >= DROP_ALERT_INTERVAL_MS) {
      this.core.notifier.notify('control', eventsLostText(m.display_name, a.lost, total));
      a.lost = 0;
      a.at = now;
    }
    this.unalerted.set(m.name, a);
    return true;
  }
}
