// Log settings: defaults (info, events only, pretty only on a terminal), the access log on
// request, bad values refused with what is wrong; event lines never carry a fob code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { eventLogLine, readLogSettings } from './logging.js';

test('defaults: info, no access log, pretty only on a terminal', () => {
  assert.equal(readLogSettings({}, [], false), { ok: true, value: { level: 'info', accessLog: false, pretty: false } });
  assert.equal(readLogSettings({}, [], true), { ok: true, value: { level: 'info', accessLog: false, pretty: true } });
  assert.equal(readLogSettings({ LOG_FORMAT: 'json' }, [], true), { ok: true, value: { level: 'info', accessLog: false, pretty: false } });
});

test('the access log when asked for: ACCESS_LOG, --access-log, debug/trace levels', () => {
  const on = (env: Record<string, string>, argv: string[] = []) => {
    const r = readLogSettings(env, argv, false);
    return r.ok && r.value.accessLog;
  };
  assert.ok(on({ ACCESS_LOG: '1' }));
  assert.ok(on({}, ['--access-log']));
  assert.ok(on({ LOG_LEVEL: 'debug' }));
  assert.not.ok(on({ LOG_LEVEL: 'debug', ACCESS_LOG: 'off' }));
  assert.not.ok(on({ LOG_LEVEL: 'warn' }));
});

test('bad values say what is wrong', () => {
  assert.equal(readLogSettings({ LOG_LEVEL: 'loud' }, [], false), {
    ok: false,
    message: 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
  });
  assert.match(String((readLogSettings({ ACCESS_LOG: 'maybe' }, [], false) as { message: string }).message), 'ACCESS_LOG');
  assert.match(String((readLogSettings({ LOG_FORMAT: 'xml' }, [], false) as { message: string }).message), 'LOG_FORMAT');
});

test('event lines name the member, never a fob code', () => {
  const base = { id: 1, machine: 'lathe', at: 0, source: 'unit' as const, account_id: null, fob: '0000012345', duration_ms: null, unit_seq: 1 };
  assert.is(eventLogLine({ ...base, type: 'denied', full_name: 'unknown member (fob 0000012345)', reason: 'unknown', detail: null }), 'denied on lathe by unknown member (fob …) [unknown]');
  assert.is(eventLogLine({ ...base, type: 'session_start', full_name: 'Ada Tester', reason: 'authorized', detail: null }), 'session_start on lathe by Ada Tester [authorized]');
});

test.run();
