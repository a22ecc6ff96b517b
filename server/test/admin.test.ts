// HTTP tests of the admin API: bearer auth, users read/replace with the diff, the fleet view,
// admin actions on legacy machines, and event/session queries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { AUTH, TOKEN, USERS_RAW, makeApp, postUpdate, removeDir, update, user, type TestApp } from './helpers.js';

let t: TestApp;
test.before.each(async () => {
  t = await makeApp();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

const ROUTES: [string, string, unknown?][] = [
  ['POST', '/api/admin/units', { machine: 'lathe' }],
  ['GET', '/api/admin/users'],
  ['PUT', '/api/admin/users', USERS_RAW],
  ['GET', '/api/admin/machines'],
  ['POST', '/api/admin/machines/lathe/oops', {}],
  ['DELETE', '/api/admin/machines/lathe/oops'],
  ['POST', '/api/admin/machines/lathe/lockout', {}],
  ['DELETE', '/api/admin/machines/lathe/lockout'],
  ['GET', '/api/admin/events'],
  ['GET', '/api/admin/sessions'],
];

test('every admin route: missing, malformed or wrong token -> 401 JSON; right token -> 200', async () => {
  for (const [method, url, payload] of ROUTES) {
    const m = method as 'GET' | 'POST' | 'PUT' | 'DELETE';
    for (const headers of [{}, { authorization: TOKEN }, { authorization: 'Bearer nope-nope-nope-nope' }, { authorization: `Bearer ${TOKEN}x` }]) {
      const r = await t.app.inject({ method: m, url, headers, payload: payload as object });
      assert.is(r.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`);
      assert.type(r.json().error, 'string');
    }
    const ok = await t.app.inject({ method: m, url, headers: AUTH, payload: payload as object });
    assert.is(ok.statusCode, 200, `${method} ${url}: ${ok.body}`);
  }
});

test('GET users, PUT users answers the diff and new version, persists users.json, rejects bad lists', async () => {
  const path = join(t.dir, 'users.json');
  writeFileSync(path, JSON.stringify(USERS_RAW));
  const t2 = await makeApp({ usersPath: path });
  try {
    let r = await t2.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH });
    assert.equal(r.json().map((u: { account_id: string }) => u.account_id), ['1', '2', '3']);
    const fleet0 = (await t2.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    const v0 = fleet0.list_version_latest;
    const next = [
      { ...USERS_RAW[0], fob_codes: ['0000000001', '0000000011'], authorizations: ['Lathe'] },
      { ...USERS_RAW[1], email: 'bob@new.example.org' },
      user('4', 'Dee', '4', ['Lathe', 'Typo Auth']),
    ];
    // dry run: the diff and the version it would get, nothing changed
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users?dry_run=true', headers: AUTH, payload: next });
    assert.is(r.statusCode, 200, r.body);
    assert.equal([r.json().version, r.json().added, r.json().removed], [v0 + 1, ['4'], ['3']]);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).length, 3, 'dry run wrote nothing');
    const still = (await t2.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json();
    assert.is(still.list_version_latest, v0);
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users?dry_run=maybe', headers: AUTH, payload: next });
    assert.is(r.statusCode, 400);
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: next });
    assert.is(r.statusCode, 200, r.body);
    const res = r.json();
    assert.is(res.version, v0 + 1);
    assert.equal(res.added, ['4']);
    assert.equal(res.removed, ['3']);
    assert.equal(res.changed, [
      {
        account_id: '1',
        full_name: 'Ada Tester',
        fobs_added: ['0000000011'],
        fobs_removed: [],
        authorizations_added: [],
        authorizations_removed: ['Saw', 'Dust'],
        fields: [],
      },
      {
        account_id: '2',
        full_name: 'Bob Tester',
        fobs_added: [],
        fobs_removed: [],
        authorizations_added: [],
        authorizations_removed: [],
        fields: ['email'],
      },
    ]);
    assert.ok(res.warnings.some((w: string) => w.includes('Typo Auth')), JSON.stringify(res.warnings));
    const onDisk = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(onDisk.map((u: { account_id: string }) => u.account_id), ['1', '2', '4']);
    assert.equal(onDisk[2].fob_codes, ['0000000004'], 'stored canonical');
    // the new member works at once on a legacy machine
    const b = await postUpdate(t2.app, update('lathe', { rfid_value: '4' }));
    assert.is(b.json().display, 'Welcome,\nDee');
    // same list again: nothing changes, version stays
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: next });
    assert.is(r.json().version, v0 + 1);
    assert.equal([r.json().added, r.json().removed, r.json().changed], [[], [], []]);
    // invalid lists: the validator's message, nothing replaced
    const dup = [user('1', 'Ada', '1', []), user('2', 'Bob', '0000000001', [])];
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: dup });
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, 'users.json');
    assert.match(r.json().error, '0000000001');
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [{ account_id: '9' }] });
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, 'users.json: /0');
    r = await t2.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: { users: [] } });
    assert.is(r.statusCode, 400);
    assert.match(r.json().error, 'body');
    r = await t2.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH });
    assert.equal(r.json().map((u: { account_id: string }) => u.account_id), ['1', '2', '4']);
  } finally {
    await t2.close();
    removeDir(t2.dir);
  }
});

test('fleet view lists every machine with state, check-in and versions', async () => {
  await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  assert.is(r.statusCode, 200);
  const f = r.json();
  assert.is(f.time, t.now.value);
  assert.equal(f.machines.map((m: { name: string }) => m.name), ['lathe', 'saw', 'drill', 'lights', 'unit1']);
  const lathe = f.machines[0];
  assert.equal(
    [lathe.display_name, lathe.kind, lathe.registered, lathe.online, lathe.last_checkin, lathe.relay, lathe.display],
    ['Metal Lathe', 'legacy', false, true, t.now.value, true, 'Welcome,\nAda'],
  );
  assert.equal(lathe.user, { account_id: '1', full_name: 'Ada Tester' });
  assert.is(lathe.last_event.type, 'session_start');
  assert.match(lathe.last_event.summary, 'Ada Tester');
  const saw = f.machines[1];
  assert.equal([saw.kind, saw.online, saw.last_checkin, saw.list_version_held], ['none', false, null, null]);
});

test('admin actions on a legacy machine are decided at once and audited; pending lockout without cut', async () => {
  await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  let r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/lockout', headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  assert.equal(r.json(), { success: true });
  let b = await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  assert.is(b.json().relay, true, 'session continues: lockout waits for it to end');
  await postUpdate(t.app, update('lathe', { rfid_value: '' }));
  b = await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  assert.is(b.json().display, 'Down for\nmaintenance');
  await t.app.inject({ method: 'DELETE', url: '/api/admin/machines/lathe/lockout', headers: AUTH });
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/oops', headers: AUTH, payload: { by: 'Pat' } });
  b = await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  assert.is(b.json().display, 'Oops!! Please\ncheck/post Slack');
  assert.ok(t.notifier.sent.some((s) => s.text === 'Machine Metal Lathe oopsed via API by Pat.'));
  r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/nope/oops', headers: AUTH });
  assert.is(r.statusCode, 404);
  r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/oops', headers: AUTH, payload: { cut: 'yes' } });
  assert.is(r.statusCode, 400);
  assert.match(r.json().error, 'body/cut');
});

test('events and sessions queries by machine, member and time range', async () => {
  const t0 = t.now.value;
  await postUpdate(t.app, update('lathe', { rfid_value: '1' }));
  t.now.value += 60000;
  await postUpdate(t.app, update('lathe', { rfid_value: '' }));
  t.now.value += 60000;
  await postUpdate(t.app, update('saw', { rfid_value: '2' }));
  t.now.value += 1000;
  await postUpdate(t.app, update('lathe', { rfid_value: '99' }));
  const q = async (url: string) => {
    const r = await t.app.inject({ method: 'GET', url, headers: AUTH });
    assert.is(r.statusCode, 200, r.body);
    return r.json();
  };
  let e = (await q('/api/admin/events?machine=lathe')).events;
  assert.equal(e.map((x: { type: string }) => x.type), ['denied', 'session_end', 'session_start']);
  assert.is(e[0].reason, 'unknown');
  e = (await q('/api/admin/events?member=Bob%20Tester')).events;
  assert.equal(e.map((x: { type: string }) => x.type), ['session_start']);
  e = (await q(`/api/admin/events?from=${t0 + 1}&to=${t0 + 60000}`)).events;
  assert.equal(e.map((x: { type: string }) => x.type), ['session_end']);
  e = (await q('/api/admin/events?limit=1')).events;
  assert.is(e.length, 1);
  let s = (await q('/api/admin/sessions?machine=lathe')).sessions;
  assert.equal(s, [
    { machine: 'lathe', account_id: '1', full_name: 'Ada Tester', fob: '0000000001', start: t0, end: t0 + 60000, duration_ms: 60000, override: false },
  ]);
  s = (await q('/api/admin/sessions?member=2')).sessions;
  assert.is(s.length, 1);
  assert.is(s[0].end, null, 'running session');
  for (const bad of ['limit=0', 'limit=abc', 'from=-1', 'from=5&to=1', 'color=red']) {
    const r = await t.app.inject({ method: 'GET', url: `/api/admin/events?${bad}`, headers: AUTH });
    assert.is(r.statusCode, 400, bad);
    assert.match(r.json().error, 'querystring');
  }
});

test.run();
