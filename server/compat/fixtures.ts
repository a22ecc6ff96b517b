// The configuration both servers run with in the comparison: one machine of every kind dm_mac
// knows (aliases, warn-only, always-enabled, each second-relay mode, combinations) and members
// covering every authorization path (primary only, secondary only, override, nothing, short fob
// codes as ESPHome sends them, two fobs for one member).

export type UsersRaw = Record<string, unknown>[];
export type MachinesRaw = Record<string, Record<string, unknown>>;

export function member(
  id: string,
  first: string,
  fobs: string[],
  authorizations: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    account_id: id,
    full_name: `${first} Member`,
    first_name: first,
    last_name: 'Member',
    preferred_name: first,
    email: `${first.toLowerCase()}@example.org`,
    expiration_ymd: '2099-12-31',
    fob_codes: fobs,
    authorizations,
    ...extra,
  };
}

export const MACHINES: MachinesRaw = {
  lathe: { authorizations_or: ['Lathe'], alias: 'Metal Lathe' },
  drill: { authorizations_or: ['Drill'], unauthorized_warn_only: true },
  lights: { authorizations_or: [], always_enabled: true, alias: 'Shop Lights' },
  saw: { authorizations_or: ['Saw'], second_relay: { authorizations_or: ['Dust'], alias: 'Dust collector' } },
  router: { authorizations_or: ['Router'], second_relay: { authorizations_or: ['Vac'], unauthorized_warn_only: true } },
  laser: {
    authorizations_or: ['Laser'],
    second_relay: { authorizations_or: ['Fume'], always_enabled: true, alias: 'Fume extractor' },
  },
  kiln: {
    authorizations_or: [],
    always_enabled: true,
    second_relay: { authorizations_or: ['Kiln2'], unauthorized_warn_only: true, alias: 'Kiln vent' },
  },
  mill: { authorizations_or: [], always_enabled: true, second_relay: { authorizations_or: ['Coolant'] } },
  press: {
    authorizations_or: ['Press'],
    unauthorized_warn_only: true,
    second_relay: { authorizations_or: ['Guard'], alias: 'Guard' },
  },
};

/** Ada holds everything; Bob only the machines' primary authorizations; Cy may override. */
export const USERS: UsersRaw = [
  member('1', 'Ada', ['0000000001', '0014916441'], [
    'Lathe', 'Drill', 'Saw', 'Dust', 'Router', 'Vac', 'Laser', 'Fume', 'Kiln2', 'Coolant', 'Press', 'Guard',
  ]),
  member('2', 'Bob', ['0000000002'], ['Lathe', 'Saw', 'Router', 'Laser', 'Press']),
  member('3', 'Cy', ['0000000003'], [], { oops_override: true }),
  member('4', 'Dee', ['0000000004'], []),
  member('5', 'Eve', ['0000000005'], ['Lathe', 'Saw'], { oops_override: true }),
];

/** Fob codes as ESPHome posts them (leading zeros stripped). */
export const FOB = {
  ada: '1',
  adaSecond: '14916441',
  bob: '2',
  cy: '3',
  dee: '4',
  eve: '5',
  unknown: '99',
};

/** A single-relay fleet (the second-relay families must be absent). */
export const SINGLE_RELAY_MACHINES: MachinesRaw = {
  lathe: MACHINES.lathe,
  drill: MACHINES.drill,
  lights: MACHINES.lights,
};

/** users.json's mtime in both folders, so `user_config_file_mtime` can be compared exactly. */
export const USERS_MTIME_S = 1_700_000_000;
