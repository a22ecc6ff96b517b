// Prometheus metrics of one app instance: dm_mac's exact names, labels and values (so the existing
// Grafana dashboard keeps working; docs/dm-mac-compat.md), fobgate's own, and Node's default
// process metrics. Gauges read the live state when scraped; counters and histograms are fed by
// the routes. render() is the /metrics text.
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Metric, type Registry } from 'prom-client';
import type { MachineConfig, MachinesConfig } from '@fobgate/shared';
import type { MachineRecord } from './store.js';
import type { NotifierStats } from './notifier.js';
import { registerSlackMetrics } from './slack-metrics.js';

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

const MACHINE_LABELS = ['machine_name', 'display_name'] as const;
const SECOND_LABELS = ['machine_name', 'display_name', 'second_relay_alias'] as const;

type Num = number | null | undefined;

/** A flag as a gauge value: 1 or 0. */
function flagValue(v: boolean | null | undefined): number {
  return v ? 1 : 0;
}

/** Epoch milliseconds as Prometheus seconds (null stays null). */
function epochSeconds(ms: Num): Num {
  return ms === null || ms === undefined ? null : ms / 1000;
}

/**
 * prom-client writes a NaN sample value as `Nan` (its event-loop lag gauges do on back-to-back
 * scrapes); the text format spells it `NaN`. Sample lines end with the value (no timestamps).
 */
export function fixSampleValues(text: string): string {
  return text.replace(/^([^#\n][^\n]*) Nan$/gm, '$1 NaN');
}

export function createMetrics(registry: Registry, src: MetricsSource): AppMetrics {
  collectDefaultMetrics({ register: registry });

  /** Visits every configured machine with its live record, in machines.json order. */
  const eachMachine = (visit: (name: string, m: MachineConfig, r: MachineRecord | null) => void): void => {
    const cfg = src.machines();
    for (const n of cfg.names) visit(n, cfg.byName[n], src.record(n));
  };

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

  const perMachine = (name: string, help: string, value: (m: MachineConfig, r: MachineRecord | null) => Num): void => {
    new Gauge({
      name,
      help,
      labelNames: MACHINE_LABELS,
      registers: [registry],
      collect() {
        this.reset();
        eachMachine((n, m, r) => {
          const v = value(m, r);
          if (v !== null && v !== undefined) this.set({ machine_name: n, display_name: m.display_name }, v);
        });
      },
    });
  };
  perMachine('machine_relay_state', 'Main relay on (1) or off (0)', (_m, r) => flagValue(r?.state.relay));
  perMachine('machine_oops_state', 'Machine oopsed', (_m, r) => flagValue(r?.state.oopsed));
  perMachine('machine_lockout_state', 'Machine locked out for maintenance', (_m, r) => flagValue(r?.state.locked_out));
  perMachine('machine_override_login_state', 'An override session is running', (_m, r) => flagValue(r?.state.override));
  perMachine('machine_unauth_warn_only_state', 'Machine lets anyone run it with a warning', (m) => flagValue(m.unauthorized_warn_only));
  // 0 for a machine never heard from: every configured machine has every sample from the start
  perMachine('machine_last_checkin_timestamp', 'Last request from the machine (epoch seconds)', (_m, r) => epochSeconds(r?.last_checkin) ?? 0);
  perMachine('machine_last_update_timestamp', 'Last update that changed the machine (epoch seconds)', (_m, r) => epochSeconds(r?.last_update) ?? 0);
  perMachine('machine_rfid_present', 'A card is in the reader', (_m, r) => flagValue(r !== null && r.state.rfid !== null));
  perMachine('machine_rfid_present_since_timestamp', 'Since when the card is in the reader (epoch seconds)', (_m, r) =>
    r && r.state.rfid !== null ? epochSeconds(r.state.rfid_since) : 0,
  );
  perMachine('machine_current_amps', 'Current draw reported by the unit', (_m, r) => r?.telemetry.amps ?? 0);
  perMachine('machine_known_user', "A known member's card is in (session, or an always-on machine's card holder)", (_m, r) =>
    flagValue(r !== null && (r.state.user !== null || (r.state.holder !== null && r.state.holder !== undefined))),
  );
  perMachine('machine_uptime_seconds', 'Unit uptime (seconds)', (_m, r) => r?.uptime_s ?? 0);
  perMachine('machine_wifi_signal_db', 'WiFi signal (dB)', (_m, r) => r?.telemetry.wifi_signal_db ?? 0);
  perMachine('machine_wifi_signal_percent', 'WiFi signal (percent)', (_m, r) => r?.telemetry.wifi_signal_percent ?? 0);
  perMachine('machine_esp_temperature_c', 'Unit internal temperature (C)', (_m, r) => r?.telemetry.internal_temperature_c ?? 0);

  new Gauge({
    name: 'machine_status_led',
    help: 'Status LED colour components and brightness',
    labelNames: ['machine_name', 'display_name', 'led_attribute'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachMachine((n, m, r) => {
        const o = r?.outputs;
        const rgb = o ? o.status_led_rgb : [0, 0, 0];
        const values: [string, number][] = [
          ['red', rgb[0]],
          ['green', rgb[1]],
          ['blue', rgb[2]],
          ['brightness', o ? o.status_led_brightness : 0],
        ];
        for (const [attr, v] of values) this.set({ machine_name: n, display_name: m.display_name, led_attribute: attr }, v);
      });
    },
  });

  // Only machines with a second relay have these, labelled with its alias ("" without one); the
  // families exist only while some machine has one (not even HELP/TYPE otherwise): render().
  const secondFamilies: Array<{ name: string; metric: Metric }> = [];
  const second = (name: string, help: string, value: (m: MachineConfig, r: MachineRecord | null) => number): void => {
    const g = new Gauge({
      name,
      help,
      labelNames: SECOND_LABELS,
      registers: [],
      collect() {
        this.reset();
        eachMachine((n, m, r) => {
          if (m.second_relay) {
            this.set({ machine_name: n, display_name: m.display_name, second_relay_alias: m.second_relay.alias ?? '' }, value(m, r));
          }
        });
      },
    });
    secondFamilies.push({ name, metric: g });
  };
  second('machine_second_relay_state', 'Second relay on', (_m, r) => flagValue(r?.state.second_relay));
  second('machine_second_relay_configured', 'Machine has a second relay', () => 1);
  second('machine_second_relay_unauth_warn_only', 'Second relay lets anyone run it with a warning', (m) =>
    flagValue(m.second_relay?.unauthorized_warn_only),
  );
  second('machine_second_relay_always_enabled', 'Second relay always on', (m) => flagValue(m.second_relay?.always_enabled));

  new Gauge({
    name: 'fobgate_unit_list_version',
    help: 'Authorization list version held by each unit',
    labelNames: ['machine_name'] as const,
    registers: [registry],
    collect() {
      this.reset();
      eachMachine((n, _m, r) => {
        const v = r?.list_version_held;
        if (v !== null && v !== undefined) this.set({ machine_name: n }, v);
      });
    },
  });

  // Lifetime counts: the persisted ones survive a restart; every configured machine has one (0).
  new Counter({
    name: 'mac_state_save_timeouts_total',
    help: 'Lifetime count of state saves that did not finish within the budget, per machine',
    labelNames: MACHINE_LABELS,
    registers: [registry],
    collect() {
      this.reset();
      const counts = src.saveTimeouts();
      eachMachine((n, m) => {
        const c = counts[n];
        this.inc({ machine_name: n, display_name: m.display_name }, typeof c === 'number' && c > 0 ? c : 0);
      });
    },
  });
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
  registerSlackMetrics(registry, src.slack);

  const syncSecondFamilies = (): void => {
    const cfg = src.machines();
    const wanted = cfg.names.some((n) => cfg.byName[n].second_relay !== null);
    for (const f of secondFamilies) {
      const registered = registry.getSingleMetric(f.name) !== undefined;
      if (wanted && !registered) registry.registerMetric(f.metric);
      else if (!wanted && registered) registry.removeSingleMetric(f.name);
    }
  };

  syncSecondFamilies();

  return {
    decision: (outcome) => decisions.inc({ outcome }),
    syncDuration: (s) => sync.observe(s),
    saveDuration: (s) => save.observe(s),
    eventsStored: (n) => stored.inc(n),
    render: async () => {
      syncSecondFamilies();
      return fixSampleValues(await registry.metrics());
    },
  };
}
