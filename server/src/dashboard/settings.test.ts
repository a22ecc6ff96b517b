import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDashboardSettings } from './settings.js';

test('defaults: board off, 30 min idle, 12 h sessions, Slack commands off', () => {
  const r = readDashboardSettings({});
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.value.dashboard, { sessionIdleMs: 1_800_000, sessionMaxMs: 43_200_000, board: 'off', secureCookie: false });
  assert.is(r.value.slack, null);
});

test('Slack commands need both the signing secret and the control channel, each well-formed; messages never echo the secret', () => {
  const secret = '0123456789abcdef0123456789abcdef';
  const ok = readDashboardSettings({ SLACK_SIGNING_SECRET: secret, SLACK_CONTROL_CHANNEL_ID: 'C0123ABCD', STATUS_BOARD: 'names' });
  assert.ok(ok.ok && ok.value.slack && ok.value.slack.controlChannelId === 'C0123ABCD' && ok.value.dashboard.board === 'names');
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ SLACK_SIGNING_SECRET: secret }, /SLACK_CONTROL_CHANNEL_ID: must be set/],
    [{ SLACK_CONTROL_CHANNEL_ID: 'C0123ABCD' }, /SLACK_SIGNING_SECRET: must be set/],
    [{ SLACK_SIGNING_SECRET: 'not hex at all!', SLACK_CONTROL_CHANNEL_ID: 'C0123ABCD' }, /SLACK_SIGNING_SECRET: must be the app's signing secret/],
    [{ SLACK_SIGNING_SECRET: secret, SLACK_CONTROL_CHANNEL_ID: '#machines' }, /SLACK_CONTROL_CHANNEL_ID: must be a channel id/],
    [{ STATUS_BOARD: 'yes' }, /STATUS_BOARD: must be off, on or names/],
    [{ DASHBOARD_SESSION_IDLE_MIN: '0' }, /DASHBOARD_SESSION_IDLE_MIN: must be between/],
    [{ DASHBOARD_SESSION_MAX_H: 'ten' }, /DASHBOARD_SESSION_MAX_H: must be a whole number/],
    [{ DASHBOARD_SECURE_COOKIE: 'maybe' }, /DASHBOARD_SECURE_COOKIE/],
  ];
  for (const [env, re] of cases) {
    const r = readDashboardSettings(env);
    assert.not.ok(r.ok, JSON.stringify(env));
    if (!r.ok) {
      assert.match(r.message, re);
      assert.not.match(r.message, 'not hex at all');
    }
  }
});

test.run();
