// The configuration in memory: today's date follows the clock across local midnights (it is
// worked out once per day, not per card decision), and members are found by account id, the
// first one listed when users.json lists an id twice, and the new list after a reload.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { UserRecord } from '@fobgate/shared';
import { LoadedConfig, ymdOf } from './loaded-config.js';

function user(account_id: string, full_name: string): UserRecord {
  return {
    account_id,
    full_name,
    first_name: full_name,
    last_name: '',
    preferred_name: full_name,
    email: '',
    expiration_ymd: '2099-12-31',
    fob_codes: [],
    authorizations: [],
    oops_override: false,
  };
}

function config(now: { t: number }, users: UserRecord[] = []): LoadedConfig {
  return new LoadedConfig({ users, machines: { names: [], byName: {} }, usersPath: null, clock: () => now.t, loadedAt: 0 });
}

test('today follows the clock: the same day up to local midnight, the next one from it, and back', () => {
  const midnight = new Date(2026, 2, 14).getTime(); // local time
  const now = { t: midnight - 1 };
  const c = config(now);
  assert.is(c.today(), '2026-03-13');
  now.t = midnight - 60_000;
  assert.is(c.today(), '2026-03-13');
  now.t = midnight;
  assert.is(c.today(), '2026-03-14');
  now.t = midnight + 23 * 3600_000;
  assert.is(c.today(), ymdOf(now.t));
  // a clock set back (tests, an NTP correction) is followed too
  now.t = midnight - 5 * 86400_000;
  assert.is(c.today(), '2026-03-09');
});

test('today matches ymdOf on every hour of a year, clock changes included', () => {
  const now = { t: new Date(2026, 0, 1).getTime() };
  const c = config(now);
  for (let h = 0; h < 366 * 24; h++) {
    now.t += 3600_000;
    assert.is(c.today(), ymdOf(now.t), new Date(now.t).toString());
  }
});

test('members by account id: the first listed wins, a reload replaces them, an unknown id is null', () => {
  const c = config({ t: 0 }, [user('7', 'Ada Lovelace'), user('8', 'Grace Hopper'), user('7', 'Duplicate Seven')]);
  assert.is(c.userForAccount('7')!.full_name, 'Ada Lovelace');
  assert.is(c.userForAccount('8')!.full_name, 'Grace Hopper');
  assert.is(c.userForAccount('9'), null);
  c.setUsers([user('8', 'Grace B. Hopper')]);
  assert.is(c.userForAccount('8')!.full_name, 'Grace B. Hopper');
  assert.is(c.userForAccount('7'), null);
});

test.run();
