// Unit keys across a unit swap (issue 8.10): a registration issues a pending key; the machine's
// working unit keeps its key until a request signed with the new key arrives; a pending key can
// be withdrawn after a failed flash; commands and the legacy path behave across the window; the
// pending key survives a restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AUTH, TestUnit, makeApp, postUpdate, removeDir, update, type TestApp } from './helpers.js';

let t: TestApp;
test.before.each(async () => {
  t = await makeApp();
});
test.after.each(async () => {
  await t.close();
  removeDir(t.dir);
});

async function status(machine: string): Promise<{ unit: { unit_id: string } | null; pending: { unit_id: string } | null }> {
  const r = await t.app.inject({ method: 'GET', url: `/api/admin/units/${machine}`, headers: AUTH });
  assert.is(r.statusCode, 200, r.body);
  return r.json();
}

async function register(unit: TestUnit, hold = false): Promise<{ unit_id: string; replaces: string | null }> {
  const payload = hold ? { machine: unit.machine, hold_until_verified: true } : { machine: unit.machine };
  const r = await t.app.inject({ method: 'POST', url: '/api/admin/units', headers: AUTH, payload });
  assert.is(r.statusCode, 200, r.body);
  const j = r.json();
  assert.match(j.key, /^[0-9a-f]{64}$/);
  unit.key = j.key;
  return j;
}

async function eventTypes(machine: string): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: `/api/admin/events?machine=${machine}`, headers: AUTH });
  return (r.json().events as { type: string }[]).map((e) => e.type).reverse();
}

test('a first registration is pending until the unit signs its first request', async () => {
  const a = new TestUnit(t.app, 'lathe');
  const reg = await register(a);
  assert.is(reg.replaces, null);
  assert.equal(await status('lathe'), { machine: 'lathe', unit: null, pending: { unit_id: reg.unit_id, registered_at: t.now.value, verified: true } } as never);
  const s = await a.sync();
  assert.is(s.res.statusCode, 200, s.res.body);
  const st = await status('lathe');
  assert.is(st.unit!.unit_id, reg.unit_id);
  assert.is(st.pending, null);
  assert.equal(await eventTypes('lathe'), ['unit_key_issued', 'unit_registered']);
  // the answer carries no key
  assert.not.match(JSON.stringify(st), a.key);
});

test('replacing a unit: the old key keeps syncing until the new unit signs, then gets 401', async () => {
  const old = new TestUnit(t.app, 'lathe');
  const first = await register(old);
  assert.is((await old.sync()).res.statusCode, 200);

  const next = new TestUnit(t.app, 'lathe');
  const reg = await register(next);
  assert.is(reg.replaces, first.unit_id);
  assert.is.not(reg.unit_id, first.unit_id);
  // The flash is under way (or failed): the working unit is not cut off.
  for (let i = 0; i < 3; i++) assert.is((await old.sync()).res.statusCode, 200, 'old unit keeps working');
  assert.equal((await status('lathe')).unit!.unit_id, first.unit_id);

  // The new unit's first signed sync makes its key the machine's key.
  const s = await next.sync();
  assert.is(s.res.statusCode, 200, s.res.body);
  const after = await old.sync();
  assert.is(after.res.statusCode, 401);
  assert.is(after.res.json().code, 'BAD_SIGNATURE');
  assert.is((await next.sync()).res.statusCode, 200);
  const st = await status('lathe');
  assert.is(st.unit!.unit_id, reg.unit_id);
  assert.is(st.pending, null);
  const types = await eventTypes('lathe');
  assert.equal(types.filter((x) => x.startsWith('unit_')), ['unit_key_issued', 'unit_registered', 'unit_key_issued', 'unit_key_rotated']);
});

test('withdrawing a pending key (failed flash): the new key is refused, the old unit untouched', async () => {
  const old = new TestUnit(t.app, 'lathe');
  await register(old);
  assert.is((await old.sync()).res.statusCode, 200);
  const next = new TestUnit(t.app, 'lathe');
  await register(next);
  const del = await t.app.inject({ method: 'DELETE', url: '/api/admin/units/lathe/pending', headers: AUTH });
  assert.equal(del.json(), { success: true, cancelled: true });
  assert.is((await next.sync()).res.statusCode, 401);
  assert.is((await old.sync()).res.statusCode, 200);
  const again = await t.app.inject({ method: 'DELETE', url: '/api/admin/units/lathe/pending', headers: AUTH });
  assert.equal(again.json(), { success: true, cancelled: false });
  assert.ok((await eventTypes('lathe')).includes('unit_key_cancelled'));
  // without a token: 401 like every admin route; unknown machine: 404
  assert.is((await t.app.inject({ method: 'DELETE', url: '/api/admin/units/lathe/pending' })).statusCode, 401);
  assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/units/nope', headers: AUTH })).statusCode, 404);
});

test('held until verified (the flash tool): the new key is refused until the upload is verified', async () => {
  const old = new TestUnit(t.app, 'lathe');
  await register(old);
  assert.is((await old.sync()).res.statusCode, 200);
  const next = new TestUnit(t.app, 'lathe');
  const reg = await register(next, true);
  assert.is((await status('lathe')).pending!.unit_id, reg.unit_id);
  const early = await next.sync();
  assert.is(early.res.statusCode, 401);
  assert.is(early.res.json().code, 'UNIT_NOT_VERIFIED');
  assert.match(early.res.json().error, 'waiting for the flash tool');
  assert.is((await old.sync()).res.statusCode, 200, 'the working unit is untouched');
  const v = await t.app.inject({ method: 'POST', url: '/api/admin/units/lathe/pending/verified', headers: AUTH });
  assert.equal(v.json(), { success: true, unit_id: reg.unit_id });
  assert.is((await next.sync()).res.statusCode, 200);
  assert.is((await old.sync()).res.statusCode, 401);
  // nothing pending any more
  const none = await t.app.inject({ method: 'POST', url: '/api/admin/units/lathe/pending/verified', headers: AUTH });
  assert.is(none.statusCode, 404);
  assert.is(none.json().code, 'NO_PENDING_UNIT');
  assert.ok((await eventTypes('lathe')).includes('unit_verified'));
});

test('a registration that replaces an earlier pending one: only the latest pending key works', async () => {
  const a = new TestUnit(t.app, 'lathe');
  await register(a);
  const b = new TestUnit(t.app, 'lathe');
  await register(b);
  assert.is((await a.sync()).res.statusCode, 401);
  assert.is((await b.sync()).res.statusCode, 200);
});

test('legacy (dm_mac) updates keep working until the first fobgate unit has signed a request', async () => {
  assert.is((await postUpdate(t.app, update('lathe'))).statusCode, 200);
  const a = new TestUnit(t.app, 'lathe');
  await register(a);
  assert.is((await postUpdate(t.app, update('lathe'))).statusCode, 200, 'a pending unit does not cut off the ESPHome unit');
  assert.is((await a.sync()).res.statusCode, 200);
  assert.is((await postUpdate(t.app, update('lathe'))).statusCode, 403);
});

test('admin commands wait for a pending first unit; a withdrawn one hands them back to the server', async () => {
  const a = new TestUnit(t.app, 'lathe');
  await register(a);
  const r = await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/oops', headers: AUTH, payload: { by: 'Tess' } });
  assert.is(r.json().queued, true);
  const s = await a.sync();
  assert.equal(s.body!.commands.map((c) => [c.type, c.by]), [['oops', 'Tess']]);

  const b = new TestUnit(t.app, 'drill');
  await register(b);
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/drill/lockout', headers: AUTH, payload: {} });
  await t.app.inject({ method: 'DELETE', url: '/api/admin/units/drill/pending', headers: AUTH });
  const fleet = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  const drill = (fleet.json().machines as { name: string; locked_out: boolean }[]).find((m) => m.name === 'drill')!;
  assert.is(drill.locked_out, true, 'the lockout still applies to the machine');
});

test('a pending key survives a server restart', async () => {
  const old = new TestUnit(t.app, 'lathe');
  await register(old);
  assert.is((await old.sync()).res.statusCode, 200);
  const next = new TestUnit(t.app, 'lathe');
  const reg = await register(next);
  const dir = t.dir;
  await t.close();
  t = await makeApp({ dir });
  const old2 = Object.assign(new TestUnit(t.app, 'lathe'), { key: old.key, counter: old.counter });
  const next2 = Object.assign(new TestUnit(t.app, 'lathe'), { key: next.key, counter: next.counter });
  assert.is((await old2.sync()).res.statusCode, 200);
  assert.is((await status('lathe')).pending!.unit_id, reg.unit_id);
  assert.is((await next2.sync()).res.statusCode, 200);
  assert.is((await old2.sync()).res.statusCode, 401);
});

test.run();
