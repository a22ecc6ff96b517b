// subjectFor (a member as one machine sees them), LCD-safe names and the pure YYYY-MM-DD arithmetic
// behind the expiry check.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineConfig as baseMachine, user as baseUser } from '../test/decision-fixtures.js';
import { isExpired, lcdSafeName, subjectFor, ymdToDays } from './decision.js';
import type { MachineConfig, UserRecord } from './config-types.js';

function machineConfig(over?: Partial<MachineConfig>): MachineConfig {
  return baseMachine(Object.assign({ authorizations_or: ['Lathe', 'Metal Shop'] }, over || {}));
}

const DUST = { authorizations_or: ['Dust Collector'], unauthorized_warn_only: false, always_enabled: false, alias: null, display_name: 'dust' };

function user(over?: Partial<UserRecord>): UserRecord {
  const annie: Partial<UserRecord> = {
    account_id: '42',
    preferred_name: 'Annie',
    fob_codes: ['0000000001', '0000000002'],
    authorizations: ['Metal Shop'],
  };
  return baseUser(Object.assign(annie, over || {}));
}

test('subjectFor: holding any one of authorizations_or grants the main relay', () => {
  const s = subjectFor(user(), machineConfig(), '0000000002', '2026-01-01');
  assert.equal(s, { fob: '0000000002', account_id: '42', name: 'Annie', full_name: 'Ann Smith', main: true, second: false, override: false, expired: false });
  assert.is(subjectFor(user({ authorizations: ['Wood Shop'] }), machineConfig(), '0000000001', '2026-01-01').main, false);
  assert.is(subjectFor(user({ authorizations: [] }), machineConfig(), '0000000001', '2026-01-01').main, false);
});

test('subjectFor: authorization names must match exactly (case matters, as in dm_mac)', () => {
  assert.is(subjectFor(user({ authorizations: ['lathe'] }), machineConfig(), '0000000001', '2026-01-01').main, false);
});

test('subjectFor: second relay from second_relay.authorizations_or; false without a second relay', () => {
  const m = machineConfig({ second_relay: DUST });
  assert.is(subjectFor(user({ authorizations: ['Dust Collector'] }), m, '0000000001', '2026-01-01').second, true);
  assert.is(subjectFor(user({ authorizations: ['Dust Collector'] }), m, '0000000001', '2026-01-01').main, false);
  assert.is(subjectFor(user(), m, '0000000001', '2026-01-01').second, false);
  assert.is(subjectFor(user({ authorizations: ['Dust Collector'] }), machineConfig(), '0000000001', '2026-01-01').second, false);
});

test('subjectFor: oops_override gives override', () => {
  assert.is(subjectFor(user({ oops_override: true }), machineConfig(), '0000000001', '2026-01-01').override, true);
});

test('subjectFor: the LCD name is ASCII only (others become ?) and cut to 16; full_name kept as is', () => {
  const s = subjectFor(user({ preferred_name: 'Zoë Ünter', full_name: 'Zoë Ünter-Müller' }), machineConfig(), '0000000001', '2026-01-01');
  assert.is(s.name, 'Zo? ?nter');
  assert.is(s.full_name, 'Zoë Ünter-Müller');
  assert.is(subjectFor(user({ preferred_name: 'Maximilian-Alexander' }), machineConfig(), '0000000001', '2026-01-01').name, 'Maximilian-Alexa');
  assert.is(subjectFor(user({ preferred_name: '' }), machineConfig(), '0000000001', '2026-01-01').name, 'Ann');
});

test('lcdSafeName: control characters and newlines cannot reach the LCD; one ? per emoji', () => {
  assert.is(lcdSafeName('a\nb\tc'), 'a?b?c');
  assert.is(lcdSafeName('x\uD83D\uDE00y'), 'x?y');
  assert.is(lcdSafeName('12345678901234567890'), '1234567890123456');
  assert.is(lcdSafeName(undefined as unknown as string), '');
});

test('subjectFor never throws on garbage and grants nothing', () => {
  const s = subjectFor(null as unknown as UserRecord, null as unknown as MachineConfig, '0000000001', '2026-01-01');
  assert.is(s.main, false);
  assert.is(s.second, false);
  assert.is(s.override, false);
  const t = subjectFor(user({ authorizations: 'Lathe' as unknown as string[] }), machineConfig(), '0000000001', '2026-01-01');
  assert.is(t.main, false);
});

test('ymdToDays: epoch, leap days, invalid dates', () => {
  assert.is(ymdToDays('1970-01-01'), 0);
  assert.is(ymdToDays('1970-01-02'), 1);
  assert.is(ymdToDays('1969-12-31'), -1);
  assert.is(ymdToDays('2000-03-01'), 11017);
  assert.is(ymdToDays('2024-02-29')! - ymdToDays('2024-02-28')!, 1);
  assert.is(ymdToDays('2024-03-01')! - ymdToDays('2024-02-29')!, 1);
  assert.is(ymdToDays('2025-01-01')! - ymdToDays('2024-01-01')!, 366);
  assert.is(ymdToDays('2026-01-01')! - ymdToDays('2025-01-01')!, 365);
  assert.is(ymdToDays('2100-03-01')! - ymdToDays('2100-02-28')!, 1); // 2100 is not a leap year
  assert.is(ymdToDays('2023-02-29'), null);
  assert.is(ymdToDays('2024-13-01'), null);
  assert.is(ymdToDays('2024-04-31'), null);
  assert.is(ymdToDays('2024-1-01'), null);
  assert.is(ymdToDays('20240101'), null);
  assert.is(ymdToDays(''), null);
  assert.is(ymdToDays('2024-0a-01'), null);
  assert.is(ymdToDays('+024-01-01'), null);
  assert.is(ymdToDays('2024-01-01T00'), null);
  assert.is(ymdToDays('2024/01/01'), null);
});

test('ymdToDays agrees with the calendar for every day of 1999-2031', () => {
  let n = ymdToDays('1999-01-01')!;
  for (let t = Date.UTC(1999, 0, 1); t < Date.UTC(2032, 0, 1); t += 86400000) {
    const iso = new Date(t).toISOString().substring(0, 10);
    assert.is(ymdToDays(iso), n, iso);
    assert.is(n, Math.round(t / 86400000), iso);
    n++;
  }
});

test('isExpired: off when grace is null/undefined; more than grace days after expiration', () => {
  assert.is(isExpired('2000-01-01', '2026-01-01', null), false);
  assert.is(isExpired('2000-01-01', '2026-01-01', undefined), false);
  assert.is(isExpired('2024-02-01', '2024-03-02', 30), false); // leap February: exactly 30 days
  assert.is(isExpired('2024-02-01', '2024-03-03', 30), true);
  assert.is(isExpired('2025-12-20', '2026-01-19', 30), false); // across the year
  assert.is(isExpired('2025-12-20', '2026-01-20', 30), true);
  assert.is(isExpired('2030-01-01', '2026-01-01', 0), false);
});

test('isExpired fails closed on an unreadable date when checking is on', () => {
  assert.is(isExpired('someday', '2026-01-01', 0), true);
  assert.is(isExpired('2030-01-01', '', 0), true);
  assert.is(isExpired('someday', '2026-01-01', null), false);
});

test('subjectFor applies the machine expiry grace', () => {
  const m = machineConfig({ expiry_grace_days: 14 });
  assert.is(subjectFor(user({ expiration_ymd: '2026-01-01' }), m, '0000000001', '2026-01-15').expired, false);
  assert.is(subjectFor(user({ expiration_ymd: '2026-01-01' }), m, '0000000001', '2026-01-16').expired, true);
  assert.is(subjectFor(user({ expiration_ymd: '2026-01-01' }), machineConfig(), '0000000001', '2099-01-01').expired, false);
});

test.run();
