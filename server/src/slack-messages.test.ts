// Tests of the Slack catalog: dm_mac's exact texts and channels for every log event (the second
// relay's login clause and suffixes included), naturalDelta against Python humanize's
// naturaldelta, and the save-timeout / offline alerts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogEvent } from '@fobgate/shared';
import {
  messagesFor,
  naturalDelta,
  humanDuration,
  saveTimeoutMachineText,
  saveTimeoutFleetText,
  offlineText,
  backOnlineText,
  type SlackMachine,
} from './slack-messages.js';

const LATHE: SlackMachine = { display_name: 'Lathe', second_relay: null };
const SAW: SlackMachine = { display_name: 'Table Saw', second_relay: { alias: 'Dust Collector' } };
const SAW_NO_ALIAS: SlackMachine = { display_name: 'saw', second_relay: { alias: null } };

const who = { at: 0, fob: '0001234567', account_id: 'a1', full_name: 'Ada Lovelace' };
const login = (authorized = true): LogEvent => ({ type: 'session_start', ...who, override: false, authorized });
const texts = (m: SlackMachine, log: LogEvent[]) => messagesFor(m, log).map((x) => x.text);

test('naturalDelta writes durations as Python humanize.naturaldelta does', () => {
  const S = 1000;
  const cases: Array<[number, string]> = [
    [0, 'a moment'],
    [999, 'a moment'],
    [1 * S, 'a second'],
    [1999, 'a second'],
    [8 * S, '8 seconds'],
    [59 * S, '59 seconds'],
    [60 * S, 'a minute'],
    [65 * S, 'a minute'],
    [119 * S, 'a minute'],
    [120 * S, '2 minutes'],
    [3599 * S, '59 minutes'],
    [3600 * S, 'an hour'],
    [7199 * S, 'an hour'],
    [7200 * S, '2 hours'],
    [86399 * S, '23 hours'],
    [86400 * S, 'a day'],
    [2 * 86400 * S + 5, '2 days'],
    [30 * 86400 * S, '30 days'],
    [31 * 86400 * S, 'a month'],
    [61 * 86400 * S, '2 months'],
    [364 * 86400 * S, '11 months'],
    [365 * 86400 * S, 'a year'],
    [366 * 86400 * S, '1 year, 1 day'],
    [380 * 86400 * S, '1 year, 15 days'],
    [400 * 86400 * S, '1 year, 1 month'],
    [500 * 86400 * S, '1 year, 4 months'],
    [3 * 365 * 86400 * S, '3 years'],
    [1500 * 365 * 86400 * S, '1,500 years'],
    [-5, 'a moment'],
    [Number.NaN, 'a moment'],
  ];
  for (const [ms, text] of cases) assert.is(naturalDelta(ms), text, String(ms));
});

test('humanDuration (fobgate alerts) keeps every unit', () => {
  assert.is(humanDuration(0), '0 seconds');
  assert.is(humanDuration(3_723_000), '1 hour, 2 minutes, 3 seconds');
  assert.is(humanDuration(90_061_000), '1 day, 1 hour, 1 minute, 1 second');
});

test('logins: authorized, override, and the warn-only pair of messages, all on the control channel', () => {
  assert.equal(messagesFor(LATHE, [login()]), [{ channel: 'control', text: 'RFID login on Lathe by authorized user Ada Lovelace' }]);
  assert.equal(messagesFor(LATHE, [{ type: 'session_start', ...who, override: true, authorized: false }]), [
    { channel: 'control', text: 'Override login on Lathe by Ada Lovelace.' },
  ]);
  assert.equal(messagesFor(LATHE, [login(false)]), [
    {
      channel: 'control',
      text: 'WARNING - Authorizing user Ada Lovelace for Lathe based on unauthorized_warn_only setting for machine. User is NOT authorized for this machine.',
    },
    { channel: 'control', text: 'RFID login on Lathe by authorized user Ada Lovelace' },
  ]);
});

test('second-relay machines: the login line carries the second relay verdict (alias, or "second relay")', () => {
  const sr = (mode: 'granted' | 'denied' | 'warn' | 'always'): LogEvent => ({ type: 'second_relay', at: 0, mode, fob: who.fob });
  assert.equal(texts(SAW, [login(), sr('granted')]), ['RFID login on Table Saw by authorized user Ada Lovelace; Dust Collector authorized']);
  assert.equal(texts(SAW, [login(), sr('denied')]), ['RFID login on Table Saw by authorized user Ada Lovelace; Dust Collector NOT authorized — relay off']);
  assert.equal(texts(SAW, [login(), sr('warn')]), ['RFID login on Table Saw by authorized user Ada Lovelace; Dust Collector WARN-ONLY override — relay on']);
  assert.equal(texts(SAW, [login(), sr('always')]), ['RFID login on Table Saw by authorized user Ada Lovelace; Dust Collector always-enabled — relay on']);
  assert.equal(texts(SAW_NO_ALIAS, [login(), sr('granted')]), ['RFID login on saw by authorized user Ada Lovelace; second relay authorized']);
  assert.equal(texts(SAW, [sr('warn')]), [], 'a verdict on its own posts nothing');
  assert.equal(texts(SAW, [{ type: 'session_start', ...who, override: true, authorized: false }, sr('granted')]), ['Override login on Table Saw by Ada Lovelace.']);
});

test('logouts: only a pulled card posts one; " (override session)" and "; both relays off"', () => {
  const end = (reason: 'removed' | 'oops' | 'reboot' | 'lockout' | 'swap' | 'cleared', override = false, ms = 65_000): LogEvent => ({
    type: 'session_end',
    ...who,
    duration_ms: ms,
    reason,
    override,
  });
  assert.equal(messagesFor(LATHE, [end('removed')]), [{ channel: 'control', text: 'RFID logout on Lathe by Ada Lovelace; session duration a minute' }]);
  assert.equal(texts(LATHE, [end('removed', true, 500)]), ['RFID logout on Lathe by Ada Lovelace; session duration a moment (override session)']);
  assert.equal(texts(SAW, [end('removed', false, 8000)]), ['RFID logout on Table Saw by Ada Lovelace; session duration 8 seconds; both relays off']);
  assert.equal(texts(SAW, [end('removed', true, 7_200_000)]), ['RFID logout on Table Saw by Ada Lovelace; session duration 2 hours (override session); both relays off']);
  for (const reason of ['oops', 'reboot', 'lockout', 'swap', 'cleared'] as const) assert.equal(texts(LATHE, [end(reason)]), [], reason);
  // the card of a session an oops ended, or a refused card, pulled later
  assert.equal(texts(LATHE, [{ type: 'card_removed', at: 0, fob: who.fob, held_ms: 300_000 }]), ['RFID logout on Lathe by unknown; session duration 5 minutes']);
  assert.equal(texts(SAW, [{ type: 'card_removed', at: 0, fob: who.fob, held_ms: 0 }]), ['RFID logout on Table Saw by unknown; session duration a moment; both relays off']);
});

test('refusals: unauthorized, unknown fob, and while oopsed / locked out', () => {
  const denied = (reason: 'unknown' | 'unauthorized' | 'oopsed' | 'locked_out', known: boolean, blocked?: boolean): LogEvent => {
    const e: LogEvent = { type: 'denied', at: 0, fob: who.fob, account_id: known ? 'a1' : null, full_name: known ? 'Ada Lovelace' : null, reason };
    if (blocked) e.blocked = true;
    return e;
  };
  assert.equal(texts(LATHE, [denied('unauthorized', true)]), ['rejected RFID login on Lathe by UNAUTHORIZED user Ada Lovelace']);
  assert.equal(texts(LATHE, [denied('unknown', false)]), ['RFID login attempt on Lathe by unknown fob']);
  assert.equal(texts(LATHE, [denied('unknown', false, true)]), ['RFID login attempt on Lathe by unknown fob when oopsed or locked out.']);
  assert.equal(texts(LATHE, [denied('oopsed', true, true)]), ['RFID login attempt on Lathe by Ada Lovelace when oopsed.']);
  assert.equal(texts(LATHE, [denied('locked_out', true, true)]), ['RFID login attempt on Lathe by Ada Lovelace when machine locked-out.']);
  for (const m of messagesFor(LATHE, [denied('unauthorized', true), denied('unknown', false)])) assert.is(m.channel, 'control');
});

test("fobgate's own refusals (expired member, stale list) keep their texts", () => {
  const e = (reason: 'expired' | 'stale_list'): LogEvent => ({ type: 'denied', at: 0, fob: who.fob, account_id: 'a1', full_name: 'Ada Lovelace', reason });
  assert.equal(texts(LATHE, [e('expired')]), ['rejected RFID login on Lathe by EXPIRED member Ada Lovelace']);
  assert.equal(texts(LATHE, [e('stale_list')]), ["rejected RFID login on Lathe by Ada Lovelace: the unit's authorization list is out of date"]);
});

test('oops: the source says whether a card was present; admin actions via API; both channels', () => {
  assert.equal(messagesFor(LATHE, [{ type: 'oops', at: 0, source: 'button', by: 'unknown user' }]), [
    { channel: 'control', text: 'Machine Lathe oopsed via Oops button without RFID present by unknown user.' },
    { channel: 'oops', text: "Machine Lathe has been Oops'ed!" },
  ]);
  assert.equal(texts(LATHE, [{ type: 'oops', at: 0, source: 'button', by: 'Ada Lovelace', fob: who.fob }])[0], 'Machine Lathe oopsed via Oops button with RFID present by Ada Lovelace.');
  assert.equal(texts(LATHE, [{ type: 'oops', at: 0, source: 'button', by: 'unknown user', fob: '0099999999' }])[0], 'Machine Lathe oopsed via Oops button with RFID present by unknown user.');
  assert.equal(texts(LATHE, [{ type: 'oops', at: 0, source: 'api', by: 'unknown user' }])[0], 'Machine Lathe oopsed via API by unknown user.');
  assert.equal(texts(SAW, [{ type: 'oops', at: 0, source: 'api', by: 'unknown user' }]), [
    'Machine Table Saw oopsed via API by unknown user (both relays).',
    "Machine Table Saw has been Oops'ed!",
  ]);
});

test('clear, lockout and unlock: dm_mac\'s API lines on control, the notices on the oops channel', () => {
  assert.equal(messagesFor(LATHE, [{ type: 'oops_cleared', at: 0, by: 'unknown user' }]), [
    { channel: 'control', text: 'Machine Lathe un-oopsed via API.' },
    { channel: 'oops', text: 'Machine Lathe oops has been cleared.' },
  ]);
  assert.equal(messagesFor(LATHE, [{ type: 'locked_out', at: 0, by: 'unknown user', pending: false }]), [
    { channel: 'control', text: 'Machine Lathe locked-out via API.' },
    { channel: 'oops', text: 'Machine Lathe is locked-out for maintenance.' },
  ]);
  assert.equal(messagesFor(LATHE, [{ type: 'unlocked', at: 0, by: 'unknown user' }]), [
    { channel: 'control', text: 'Machine Lathe locked-out cleared via API.' },
    { channel: 'oops', text: 'Machine Lathe is no longer locked-out for maintenance.' },
  ]);
  assert.equal(texts(SAW, [{ type: 'oops_cleared', at: 0, by: 'x' }, { type: 'locked_out', at: 0, by: 'x', pending: false }, { type: 'unlocked', at: 0, by: 'x' }]), [
    'Machine Table Saw un-oopsed via API (both relays).',
    'Machine Table Saw oops has been cleared.',
    'Machine Table Saw locked-out via API (both relays).',
    'Machine Table Saw is locked-out for maintenance.',
    'Machine Table Saw locked-out cleared via API (both relays).',
    'Machine Table Saw is no longer locked-out for maintenance.',
  ]);
  const pending = messagesFor(LATHE, [{ type: 'locked_out', at: 0, by: 'Pat', pending: true }]);
  assert.equal(pending, [{ channel: 'control', text: 'Machine Lathe will be locked-out for maintenance when the current session ends (by Pat).' }]);
});

test('reboot; audit-only events post nothing', () => {
  assert.equal(messagesFor(LATHE, [{ type: 'reboot', at: 0 }]), [{ channel: 'control', text: 'Machine Lathe has rebooted.' }]);
  assert.equal(messagesFor(LATHE, [{ type: 'card_audit', at: 0, fob: who.fob, account_id: null, full_name: null, inserted: true }]), []);
  assert.equal(messagesFor(LATHE, [{ type: 'error', at: 0, message: 'x' }]), []);
});

test("save-timeout alerts are dm_mac's texts; liveness texts are ours", () => {
  assert.is(
    saveTimeoutMachineText('Lathe', 2, 2000),
    ':warning: Machine `Lathe` had a state-save timeout (>2.0s); lifetime count is now 2. Disk may be hung; firmware was returned HTTP 503.',
  );
  assert.is(
    saveTimeoutFleetText(3, 60),
    ':rotating_light: Fleet-wide state-save timeouts: 3 distinct machines hit state-save timeouts within 60s. Disk on the mac-server host is likely saturated or hung. See `mac_state_save_timeouts_total` in Prometheus.',
  );
  assert.is(offlineText('Lathe', 300_000), 'Machine Lathe is offline: no check-in for 5 minutes.');
  assert.is(backOnlineText('Lathe', 3_660_000), 'Machine Lathe is back online after 1 hour, 1 minute without a check-in.');
});

test.run();
