// Test fixtures for the decision tests: a machines.json entry and a users.json member with
// dm_mac's defaults, overridable field by field. Not part of the package's exports.
import type { MachineConfig, UserRecord } from '../src/config-types.js';

/** A fixed "now" for decisions (epoch ms). */
export const T0 = 1700000000000;

/** The lathe: main relay needs "Lathe", no second relay, dm_mac defaults. */
export function machineConfig(over?: Partial<MachineConfig>): MachineConfig {
  const m: MachineConfig = {
    name: 'lathe',
    alias: null,
    display_name: 'lathe',
    authorizations_or: ['Lathe'],
    unauthorized_warn_only: false,
    always_enabled: false,
    second_relay: null,
    offline_grace_hours: 72,
    expiry_grace_days: null,
    legacy_updates: true,
  };
  return Object.assign(m, over || {});
}

/** Ann Smith, fob 0000000001, authorized on the lathe. */
export function user(over?: Partial<UserRecord>): UserRecord {
  return Object.assign(
    {
      account_id: '1',
      full_name: 'Ann Smith',
      first_name: 'Ann',
      last_name: 'Smith',
      preferred_name: 'Ann',
      email: 'ann@example.org',
      expiration_ymd: '2030-01-01',
      fob_codes: ['0000000001'],
      authorizations: ['Lathe'],
      oops_override: false,
    },
    over || {},
  );
}
