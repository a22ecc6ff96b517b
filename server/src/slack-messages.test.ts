// Tests of the Slack catalog: docs/dm-mac-compat.md's exact texts and channels for every log event,
// human durations, and the save-timeout / offline alerts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogEvent } from '@fobgate/shared';
import {
  messagesFor,
  humanDuration,
  saveTimeoutMachineText,
  saveTimeoutFleetText,
  offlineText,
  backOnlineText,
} from './slack-messages.js';

const who = { at: 0, fob: '0001234567', account_id: 'a1', full_name: 'Ada Lovelace' };

test('humanDuration', () => {
  assert.is(humanDuration(0), '0 seconds');
  assert.is(humanDuration(999), '0 seconds');
  assert.is(humanDuration(1000), '1 second');
  assert.is(humanDuration(3_723_000), '1 hour, 2 minutes, 3 seconds');
  assert.is(humanDuration(7_200_000), '2 hours');
  assert.is(humanDuration(90_061_000), '1 day, 1 hour, 1 minute, 1 second');
  assert.is(humanDuration(61_500), '1 minute, 1 second');
  assert.is(humanDuration(-5), '0 seconds');
  assert.is(humanDuration(Number.NaN), '0 seconds');
});

test('logins, logouts, overrides and denials go to the control channel with the exact texts', () => {
  const cases: Array<[LogEvent, string]> = [
    [{ type: 'session_start', ...who, override: false, authorized: true }, 'RFID login on Lathe by authorized user Ada Lovelace'],
    [{ type: 'session_start', ...who, override: true, authorized: true }, 'Override login on Lathe by Ada Lovelace.'],
    [{ type: 'session_end', ...who, duration_ms: 3_723_000, reason: 'removed', override: false }, 'RFID logout on Lathe by Ada Lovelace; session duration 1 hour, 2 minutes, 3 seconds'],
    [{ type: 'denied', at: 0, fob: '0000000001', account_id: 'a1', full_name: 'Ada Lovelace', reason: 'unauthorized' }, 'rejected RFID login on Lathe by UNAUTHORIZED user Ada Lovelace'],
    [{ type: 'denied', at: 0, fob: '0000000001', account_id: null, full_name: null, reason: 'unknown' }, 'RFID login attempt on Lathe by unknown fob'],
    [{ type: 'reboot', at: 0 }, 'Machine Lathe has rebooted.'],
  ];
  for (const [e, text] of cases) assert.equal(messagesFor('Lathe', e), [{ channel: 'control', text }], e.type);
});

test('warn-only logins and expired / stale / blocked denials warn on control', () => {
  const warn = messagesFor('Saw', { type: 'session_start', ...who, override: false, authorized: false });
  assert.is(warn.length, 1);
  assert.is(warn[0].channel, 'control');
  assert.match(warn[0].text, /^WARNING: RFID login on Saw by UNAUTHORIZED user Ada Lovelace/);
  for (const reason of ['expired', 'stale_list', 'oopsed', 'locked_out'] as const) {
    const m = messagesFor('Saw', { type: 'denied', at: 0, fob: '1', account_id: 'a1', full_name: 'Ada Lovelace', reason });
    assert.is(m.length, 1, reason);
    assert.is(m[0].channel, 'control');
    assert.match(m[0].text, /^rejected RFID login on Saw by .*Ada Lovelace/);
  }
  assert.match(messagesFor('Saw', { type: 'denied', at: 0, fob: '1', account_id: 'a1', full_name: 'Ada Lovelace', reason: 'expired' })[0].text, /EXPIRED/);
});

test('oops, clear, lockout and unlock go to both channels', () => {
  assert.equal(messagesFor('Lathe', { type: 'oops', at: 0, source: 'button', by: 'unknown user' }), [
    { channel: 'control', text: 'Machine Lathe oopsed via button by unknown user.' },
    { channel: 'oops', text: "Machine Lathe has been Oops'ed!" },
  ]);
  assert.is(messagesFor('Lathe', { type: 'oops', at: 0, source: 'api', by: 'admin' })[0].text, 'Machine Lathe oopsed via API by admin.');
  assert.equal(messagesFor('Lathe', { type: 'oops_cleared', at: 0, by: 'admin' }), [
    { channel: 'control', text: 'Machine Lathe oops has been cleared.' },
    { channel: 'oops', text: 'Machine Lathe oops has been cleared.' },
  ]);
  assert.equal(messagesFor('Lathe', { type: 'locked_out', at: 0, by: 'admin', pending: false }), [
    { channel: 'control', text: 'Machine Lathe is locked-out for maintenance.' },
    { channel: 'oops', text: 'Machine Lathe is locked-out for maintenance.' },
  ]);
  assert.equal(messagesFor('Lathe', { type: 'unlocked', at: 0, by: 'admin' }), [
    { channel: 'control', text: 'Machine Lathe is no longer locked-out for maintenance.' },
    { channel: 'oops', text: 'Machine Lathe is no longer locked-out for maintenance.' },
  ]);
  const pending = messagesFor('Lathe', { type: 'locked_out', at: 0, by: 'admin', pending: true });
  assert.equal(pending.map((m) => m.channel), ['control'], 'a pending lockout only tells the admins');
});

test('second relay: a warn-only grant is reported, routine modes are quiet', () => {
  const warn = messagesFor('Mill', { type: 'second_relay', at: 0, mode: 'warn', fob: '1' });
  assert.equal(warn.map((m) => m.channel), ['control']);
  assert.match(warn[0].text, /^WARNING: second relay on Mill/);
  assert.equal(messagesFor('Mill', { type: 'second_relay', at: 0, mode: 'denied', fob: '1' }), []);
  assert.equal(messagesFor('Mill', { type: 'second_relay', at: 0, mode: 'always', fob: '1' }), []);
  assert.equal(messagesFor('Mill', { type: 'second_relay', at: 0, mode: 'granted', fob: '1' }), []);
  assert.equal(messagesFor('Mill', { type: 'second_relay', at: 0, mode: 'off', fob: '1' }), []);
});

test('save-timeout and liveness texts', () => {
  assert.is(saveTimeoutMachineText('Lathe', 2), "Machine Lathe has had 2 state save timeouts; the server's disk may be failing.");
  assert.is(
    saveTimeoutFleetText(['lathe', 'saw'], 60),
    "State save timeouts on 2 machines within 60 seconds (lathe, saw); the server's disk may be failing.",
  );
  assert.is(offlineText('Lathe', 300_000), 'Machine Lathe is offline: no check-in for 5 minutes.');
  assert.is(backOnlineText('Lathe', 3_660_000), 'Machine Lathe is back online after 1 hour, 1 minute without a check-in.');
});

test.run();
