// The per-machine metric families of /metrics: dm_mac's machine_* gauges (one sample per
// configured machine, in machines.json order), the second-relay families (present only while
// some machine has a second relay), each unit's list version and the lifetime save timeouts.
// Gauges read the live state when scraped.
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { MachineConfig } from '@fobgate/shared';
import type { MachineRecord } from './store.js';

export const MACHINE_LABELS = ['machine_name', 'display_name'] as const;
const SECOND_LABELS = ['machine_name', 'display_name', 'second_relay_alias'] as const;

export type Num = number | null | undefined;

/** A flag as a gauge value: 1 or 0. */
export function flagValue(v: boolean | null | undefined): number {
  return v ? 1 : 0;
}

/** Epoch milliseconds as Prometheus seconds (null stays null). */
export function epochSeconds(ms: Num): Num {
  return ms === null || ms === undefined ? null : ms / 1000;
}

/** Visits every configured machine with its live record, in machines.json order. */
export type EachMachine = (visit: (name: string, m: MachineConfig, r: MachineRecord | null) => void) => void;

/** dm_mac's machine_* gauges, machine_status_led included. */
export function registerMachineGauges(registry: Registry, eachMachine: EachMachine): void {
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

}

/** A second-relay family, built unregistered: syncSecondFamilies() adds or removes it. */
export interface SecondFamily {
  name: string;
  metric: Metric;
}

/**
 * machine_second_relay_*: only machines with a second relay have these, labelled with its alias
 * ("" without one); the families exist only while some machine has one (not even HELP/TYPE
 * otherwise).
 */
export function secondRelayFamilies(eachMachine: EachMachine): SecondFamily[] {
  const secondFamilies: SecondFamily[] = [];
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

  return secondFamilies;
}

/** Registers the second-relay families while some machine has a second relay, removes them otherwise. */
export function syncSecondFamilies(registry: Registry, families: SecondFamily[], wanted: boolean): void {
  for (const f of families) {
    const registered = registry.getSingleMetric(f.name) !== undefined;
    if (wanted && !registered) registry.registerMetric(f.metric);
    else if (!wanted && registered) registry.removeSingleMetric(f.name);
  }
}

/** Each unit's list version and the lifetime save timeouts per machine. */
export function registerUnitFamilies(registry: Registry, eachMachine: EachMachine, saveTimeouts: () => Record<string, number>): void {
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
      const counts = saveTimeouts();
      eachMachine((n, m) => {
        const c = counts[n];
        this.inc({ machine_name: n, display_name: m.display_name }, typeof c === 'number' && c > 0 ? c : 0);
      });
    },
  });
}
