// The app's default logging (info, no access log): a heartbeat that changes nothing writes no
// line; a login and a logout write one line each, naming machine and member, without the fob or
// any credential; with the access log on, every request is logged (credentials redacted).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, TOKEN, makeApp, postUpdate, removeDir, update } from './helpers.js';
import { REDACTED_PATHS } from '../src/logging.js';

function capture(): { lines: string[]; logger: object } {
  const lines: string[] = [];
  return { lines, logger: { level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, stream: { write: (s: string) => void lines.push(s) } } };
}

test('default: one line per meaningful event, none per heartbeat, no fob', async () => {
  const log = capture();
  const t = await makeApp({ extra: { logger: log.logger as never } });
  try {
    await postUpdate(t.app, update('lathe', { uptime: 10 }));
    const before = log.lines.length;
    for (let i = 0; i < 50; i++) await postUpdate(t.app, update('lathe', { uptime: 11 + i }));
    assert.is(log.lines.length, before, 'heartbeats logged nothing');
    await postUpdate(t.app, update('lathe', { uptime: 100, rfid_value: '1' }));
    await postUpdate(t.app, update('lathe', { uptime: 101, rfid_value: '' }));
    const events = log.lines.slice(before).map((l) => JSON.parse(l) as { msg: string; event: string });
    assert.equal(events.map((e) => e.event), ['session_start', 'session_end']);
    assert.is(events[0].msg, 'session_start on lathe by Ada Tester [authorized]');
    assert.not.match(log.lines.join(''), '0000000001');
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('access log on request: every request, the admin token redacted', async () => {
  const log = capture();
  const t = await makeApp({ extra: { logger: log.logger as never, accessLog: true } });
  try {
    await postUpdate(t.app, update('lathe', { uptime: 10 }));
    await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
    const text = log.lines.join('');
    assert.is(log.lines.filter((l) => l.includes('incoming request')).length, 2);
    assert.not.match(text, TOKEN);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
