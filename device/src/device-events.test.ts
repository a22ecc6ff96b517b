// Decision log events -> protocol device events, one case per log type.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogEvent } from '@fobgate/shared';
import { deviceEventOf } from './device-events.js';
import { machineEventOf } from './command-events.js';

const FOB = '0091703745';

test('sessions, denials and the second relay carry fob, reason and duration', () => {
  assert.equal(deviceEventOf({ type: 'session_start', at: 5, fob: FOB, account_id: '', full_name: 'Ada', override: false, authorized: true }), { type: 'session_start', at: 0, up: 0, fob: FOB, reason: 'authorized' });
  assert.is(deviceEventOf({ type: 'session_start', at: 5, fob: FOB, account_id: '', full_name: 'Ada', override: true, authorized: true })!.reason, 'override');
  assert.is(deviceEventOf({ type: 'session_start', at: 5, fob: FOB, account_id: '', full_name: 'Ada', override: false, authorized: false })!.reason, 'warn_only');
  assert.equal(deviceEventOf({ type: 'session_end', at: 9, fob: FOB, account_id: '', full_name: 'Ada', duration_ms: 61234.7, reason: 'removed', override: false }), { type: 'session_end', at: 0, up: 0, fob: FOB, dur: 61235, reason: 'removed' });
  assert.equal(deviceEventOf({ type: 'denied', at: 1, fob: FOB, account_id: null, full_name: null, reason: 'stale_list' }), { type: 'denied', at: 0, up: 0, fob: FOB, reason: 'stale_list' });
  assert.equal(deviceEventOf({ type: 'second_relay', at: 1, mode: 'warn', fob: FOB }), { type: 'second_relay', at: 0, up: 0, fob: FOB, reason: 'warn' });
});

test('oops, clear, lockout and unlock name who did it', () => {
  assert.equal(deviceEventOf({ type: 'oops', at: 1, source: 'button', by: 'unknown user' }), { type: 'oops', at: 0, up: 0, reason: 'button', detail: 'unknown user' });
  assert.equal(deviceEventOf({ type: 'oops', at: 1, source: 'button', by: 'Ada', fob: FOB }), { type: 'oops', at: 0, up: 0, reason: 'button', detail: 'Ada', fob: FOB });
  assert.equal(deviceEventOf({ type: 'oops_cleared', at: 1, by: 'admin' }), { type: 'oops_cleared', at: 0, up: 0, detail: 'admin' });
  assert.equal(deviceEventOf({ type: 'locked_out', at: 1, by: 'admin', pending: true }), { type: 'locked_out', at: 0, up: 0, reason: 'pending', detail: 'admin' });
  assert.is(deviceEventOf({ type: 'locked_out', at: 1, by: 'admin', pending: false })!.reason, 'now');
  assert.equal(deviceEventOf({ type: 'unlocked', at: 1, by: 'admin' }), { type: 'unlocked', at: 0, up: 0, detail: 'admin' });
  assert.equal(deviceEventOf({ type: 'error', at: 1, message: 'event is not an object' }), { type: 'error', at: 0, up: 0, reason: 'decision', detail: 'event is not an object' });
});

test('the decision reboot and always-on card audit have no device event of their own', () => {
  assert.is(deviceEventOf({ type: 'reboot', at: 1 }), null);
  const audit: LogEvent = { type: 'card_audit', at: 1, fob: FOB, account_id: null, full_name: null, inserted: true };
  assert.is(deviceEventOf(audit), null);
  assert.is(deviceEventOf({ type: 'card_removed', at: 1, fob: FOB, held_ms: 5 }), null);
});

test('admin commands become decision events; a lockout cuts only when the command says so', () => {
  assert.equal(machineEventOf({ id: 1, type: 'oops', cut: false, by: 'Sam' }), { type: 'admin_oops', by: 'Sam', source: 'admin' });
  assert.equal(machineEventOf({ id: 2, type: 'clear_oops', cut: false, by: '' }), { type: 'admin_clear_oops', by: 'admin' });
  assert.equal(machineEventOf({ id: 3, type: 'lockout', cut: false, by: 'Sam' }), { type: 'admin_lockout', by: 'Sam', cut: false });
  assert.equal(machineEventOf({ id: 4, type: 'lockout', cut: true, by: 'Sam' }), { type: 'admin_lockout', by: 'Sam', cut: true });
  assert.equal(machineEventOf({ id: 5, type: 'unlock', cut: false, by: 'Sam' }), { type: 'admin_unlock', by: 'Sam' });
  assert.is(machineEventOf({ id: 6, type: 'reboot' as never, cut: false, by: 'Sam' }), null);
});

test.run();
