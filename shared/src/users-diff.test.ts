import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffUsers } from './users-diff.js';
import type { UserRecord } from './config-types.js';

function user(id: string, extra: Partial<UserRecord> = {}): UserRecord {
  return {
    account_id: id,
    full_name: 'Member ' + id,
    first_name: 'Member',
    last_name: id,
    preferred_name: 'M' + id,
    email: id + '@example.org',
    expiration_ymd: '2030-01-01',
    fob_codes: ['00000000' + id.padStart(2, '0')],
    authorizations: ['Lathe'],
    oops_override: false,
    ...extra,
  };
}

test('identical lists have no difference', () => {
  const a = [user('1'), user('2')];
  assert.equal(diffUsers(a, a.map((u) => ({ ...u }))), { added: [], removed: [], changed: [] });
});

test('added and removed members are listed by account id', () => {
  const d = diffUsers([user('1'), user('2')], [user('2'), user('3')]);
  assert.equal(d.added, ['3']);
  assert.equal(d.removed, ['1']);
  assert.equal(d.changed, []);
});

test('fobs and authorizations gained and lost, and other fields, are reported', () => {
  const before = [user('1', { fob_codes: ['0000000001', '0000000002'], authorizations: ['Lathe', 'Laser'] })];
  const after = [user('1', { fob_codes: ['0000000002', '0000000009'], authorizations: ['Laser', 'Saw'], email: 'new@example.org', oops_override: true })];
  const d = diffUsers(before, after);
  assert.is(d.changed.length, 1);
  const c = d.changed[0];
  assert.equal(c.fobs_added, ['0000000009']);
  assert.equal(c.fobs_removed, ['0000000001']);
  assert.equal(c.authorizations_added, ['Saw']);
  assert.equal(c.authorizations_removed, ['Lathe']);
  assert.equal(c.fields, ['email', 'oops_override']);
  assert.is(c.full_name, 'Member 1');
});

test('reordering fobs or authorizations is not a change', () => {
  const before = [user('1', { authorizations: ['A', 'B'] })];
  const after = [user('1', { authorizations: ['B', 'A'] })];
  assert.equal(diffUsers(before, after).changed, []);
});

test.run();
