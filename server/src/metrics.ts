// Prometheus metrics of one app instance: dm_mac's exact names, labels and values (so the existing
// Grafana dashboard keeps working; docs/dm-mac-compat.md), fobgate's own, and Node's default
// process metrics. Gauges read the live state when scraped; counters and histograms are fed by
// the routes. render() is the /metrics text. The per-machine families are in machine-metrics.ts.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { MachinesConfig } from '@fobgate/shared';
import type { MachineRecord } from './store.js';
import type { NotifierStats } from './notifier.js';
import { registerSlackMetrics } from './slack-metrics.js';
import { epochSeconds, registerMachineGauges, registerUnitFamilies, secondRelayFamilies, syncSecondFamilies, type EachMachine, type Num } from './machine-metrics.js';

export interface MetricsSource {
  machines(): MachinesConfig;
  record(name: string): MachineRecord | null;
  userCount(): number;
  fobCount(): number;
  /** Epoch ms. */
  machineConfigLoadedAt(): number;
  userConfigLoadedAt(): number;
  /** Epoch ms of users.json's mtime, or null. */
  userConfigMtime(): number | null;
  appStartedAt: number;
  listVersionLatest(): number;
  slack(): NotifierStats;
  /** Lifetime state-save timeouts per machine name (persisted ones included). */
  saveTimeouts(): Record<string, number>;
}

export interface AppMetrics {
  decision(outcome: string): void;
  syncDuration(seconds: number): void;
  saveDuration(seconds: number): void;
  eventsStored(n: number): void;
  /** The Prometheus text exposition of the registry. */
  render(): Promise<string>;
}

/**
 * prom-client writes a NaN sample value as `Nan` (its event-loop lag gauges do on back-to-back
 * scrapes); the text format spells it `NaN`. Sample lines end with the value (no timestamps).
 */
export function fixSampleValues(text: string): string {
  return text.replace(/^([^#\n][^\n]*) Nan$/gm, '$1 NaN');
}

/** The counters and histograms the routes feed. */
function registerRequestMetrics(registry: Registry) {
  const decisions = new Counter({
    name: 'fobgate_decisions_total',
    help: 'Access decisions by outcome (granted, override, warn_only, denied_<reason>)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sync = new Histogram({
    name: 'fobgate_sync_duration_seconds',
    help: 'Time to answer a unit sync request',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5],
    registers: [registry],
  });
  const save = new Histogram({
    name: 'fobgate_state_save_duration_seconds',
    help: 'Time from a save request to the state file being durable',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const stored = new Counter({
    name: 'fobgate_events_stored_total',
    help: 'Events written to the audit log',
    registers: [registry],
  });
  return { decisions, sync, save, stored };
}

/** When the configs were loaded, the app started, how many users and fobs, the latest list version. */
function registerConfigGauges(registry: Registry, src: MetricsSource): void {
  const plain = (name: string, help: string, value: () => Num): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        const v = value();
        if (v !== null && v !== undefined) this.set(v);
      },
    });
  };
  plain('machine_config_load_timestamp', 'When machines.json was loaded (epoch seconds)', () => epochSeconds(src.machineConfigLoadedAt()));
  plain('user_config_load_timestamp', 'When users.json was loaded (epoch seconds)', () => epochSeconds(src.userConfigLoadedAt()));
  plain('user_config_file_mtime', 'Modification time of users.json (epoch seconds; 0 when users are not from a file)', () => epochSeconds(src.userConfigMtime()) ?? 0);
  plain('app_start_timestamp', 'When the server started (epoch seconds)', () => epochSeconds(src.appStartedAt));
  plain('user_count', 'Users in users.json', () => src.userCount());
  plain('fob_count', 'Fob codes in users.json', () => src.fobCount());
  plain('fobgate_list_version_latest', 'Latest authorization list version', () => src.listVersionLatest());

}

export function createMetrics(registry: Registry, src: MetricsSource): AppMetrics {
  collectDefaultMetrics({ register: registry });
  const eachMachine: EachMachine = (visit) => {
    const cfg = src.machines();
    for (const n of cfg.names) visit(n, cfg.byName[n], src.record(n));
  };
  registerConfigGauges(registry, src);
  registerMachineGauges(registry, eachMachine);
  const secondFamilies = secondRelayFamilies(eachMachine);
  registerUnitFamilies(registry, eachMachine, () => src.saveTimeouts());
  const { decisions, sync, save, stored } = registerRequestMetrics(registry);
  registerSlackMetrics(registry, src.slack);
  const syncSecond = (): void => {
    const cfg = src.machines();
    syncSecondFamilies(registry, secondFamilies, cfg.names.some((n) => cfg.byName[n].second_relay !== null));
  };

  syncSecond();

  return {
    decision: (outcome) => decisions.inc({ outcome }),
    syncDuration: (s) => sync.observe(s),
    saveDuration: (s) => save.observe(s),
    eventsStored: (n) => stored.inc(n),
    render: async () => {
      syncSecond();
      return fixSampleValues(await registry.metrics());
    },
  };
}
