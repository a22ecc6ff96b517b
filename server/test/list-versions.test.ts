// The server alone decides list versions (issue 8.2): what a unit reports about its list is
// checked against what this server issued. One unit's report cannot move every unit's version
// out of range, a server whose state was restored from an older copy moves past the versions it
// lost by a number of its own choosing, and an admin change still works afterwards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyList, type AuthList, type ListUpdate } from '@fobgate/shared';
import { AUTH, MACHINES_RAW, USERS_RAW, TestUnit, machinesConfig, makeApp, removeDir, tempDir, user } from './helpers.js';
import { hmacHex, sha256Hex } from '../src/auth.js';
import { clockVersion, RECOVERY_MIN_INTERVAL_MS } from '../src/list-versions.js';
import { MAX_COUNT } from '../src/routes/schemas.js';

/** The full list an update carries inline, checked as a unit checks it (signature with its key, digest). */
function decoded(u: ListUpdate | null, key: string): AuthList {
  assert.ok(u && u.kind === 'full' && typeof u.data === 'string', `expected a full list inline, got ${JSON.stringify(u)}`);
  const full = u as ListUpdate;
  const text = Buffer.from(full.data as string, 'base64').toString('latin1');
  const d = verifyList(text, full.sig, key, hmacHex, sha256Hex);
  assert.ok(d.ok, 'list signed with the unit key, content matching its digest');
  return (d as { ok: true; value: AuthList }).value;
}

async function fleetRow(t: Awaited<ReturnType<typeof makeApp>>, name: string) {
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH });
  return r.json().machines.find((m: { name: string }) => m.name === name);
}

test('one unit reporting list v2^31-1 moves nothing: every unit keeps syncing and an admin change still bumps by one', async () => {
  const t = await makeApp();
  try {
    const liar = new TestUnit(t.app, 'unit1');
    await liar.register();
    const other = new TestUnit(t.app, 'lathe');
    await other.register();
    const first = await other.sync();
    const latest = first.body!.latest_list_version;
    const held = decoded(first.body!.list, other.key);
    other.listVersion = held.version;
    other.listDigest = held.digest;

    for (let i = 0; i < 6; i++) {
      // the same claim, and one changing every sync (a liar changing its story)
      const r = await liar.sync({ list_version: i < 3 ? MAX_COUNT : MAX_COUNT - i, list_digest: 'f'.repeat(64) });
      assert.is(r.res.statusCode, 200, r.res.body);
      assert.is(r.body!.latest_list_version, latest, 'the report is not adopted');
    }
    const o = await other.sync();
    assert.is(o.res.statusCode, 200, o.res.body);
    assert.is(o.body!.latest_list_version, latest);
    assert.is(o.body!.list, null, 'the honest unit still holds the latest list');

    // the admin's change goes through, by one version, and reaches the honest unit
    const put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, user('4', 'Dee', '0000000004', ['Lathe'])] });
    assert.is(put.statusCode, 200, put.body);
    assert.is(put.json().version, latest + 1);
    const o2 = await other.sync();
    assert.is(o2.body!.latest_list_version, latest + 1);
    assert.is(o2.body!.list!.kind, 'delta');

    // the report is visible where an admin looks, once (not once per sync)
    const row = await fleetRow(t, 'unit1');
    assert.is(row.list_version_held, MAX_COUNT - 5);
    assert.is(row.list_unrecognized, true);
    assert.is((await fleetRow(t, 'lathe')).list_unrecognized, false);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_unit_list_unrecognized{machine_name="unit1",display_name="unit1"} 1');
    assert.match(metrics, 'fobgate_unit_list_unrecognized{machine_name="lathe",display_name="Metal Lathe"} 0');
    assert.match(metrics, 'fobgate_list_version_recoveries_total 0');
    const alerts = t.notifier.sent.filter((s) => /did not issue/.test(s.text));
    assert.is(alerts.length, 1, 'one alert per machine per interval: ' + alerts.map((a) => a.text).join('|'));
    assert.match(alerts[0].text, `reports authorization list v${MAX_COUNT}`);
    const ev = await t.app.inject({ method: 'GET', url: '/api/admin/events?machine=unit1', headers: AUTH });
    assert.is(ev.json().events.filter((e: { type: string }) => e.type === 'list_unrecognized').length, 1);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('state restored from an older copy: the unit holding the lost version gets a newer one, chosen by the server', async () => {
  const dir = tempDir();
  const backup = join(dir, 'state.backup.journal');
  let t = await makeApp({ dir });
  const a = new TestUnit(t.app, 'unit1');
  const b = new TestUnit(t.app, 'lathe');
  try {
    await a.register();
    await b.register();
    let s = await a.sync();
    const v1 = decoded(s.body!.list, a.key);
    s = await b.sync();
    const b1 = decoded(s.body!.list, b.key);
    b.listVersion = b1.version;
    b.listDigest = b1.digest;
    await t.app.inject({ method: 'POST', url: '/api/admin/machines/lathe/oops', headers: AUTH }); // forces a save
    copyFileSync(join(dir, 'state.journal'), backup);

    // two admin changes the backup will not know about; unit1 takes the newest list
    for (const extra of [user('4', 'Dee', '0000000004', ['Lathe']), user('5', 'Eve', '0000000005', ['Lathe'])]) {
      const put = await t.app.inject({ method: 'PUT', url: '/api/admin/users', headers: AUTH, payload: [...USERS_RAW, extra] });
      assert.is(put.statusCode, 200, put.body);
    }
    s = await a.sync();
    const lost = decoded(s.body!.list, a.key);
    assert.is(lost.version, v1.version + 2);
    a.listVersion = lost.version;
    a.listDigest = lost.digest;
    await t.close();

    // the disk died; the admin restores last night's state journal
    copyFileSync(backup, join(dir, 'state.journal'));
    t = await makeApp({ dir });
    const restored = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().list_version_latest;
    assert.ok(restored < lost.version, `restored state is behind (${restored} < ${lost.version})`);
    const a2 = Object.assign(new TestUnit(t.app, 'unit1'), { key: a.key, counter: a.counter + 100, listVersion: a.listVersion, listDigest: a.listDigest });
    const b2 = Object.assign(new TestUnit(t.app, 'lathe'), { key: b.key, counter: b.counter + 100, listVersion: b.listVersion, listDigest: b.listDigest });

    s = await a2.sync();
    assert.is(s.res.statusCode, 200, s.res.body);
    const next = clockVersion(t.now.value);
    assert.is(s.body!.latest_list_version, next, 'the server jumps to its clock version, not to anything the unit said');
    const fresh = decoded(s.body!.list, a.key);
    assert.ok(fresh.version > lost.version, 'a version the unit accepts (newer than the one it holds)');
    assert.ok(t.notifier.sent.some((m) => /restored from an older copy/.test(m.text)));
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_list_version_recoveries_total 1');

    // the other unit (on the restored version) simply gets the new list
    s = await b2.sync();
    assert.is(s.body!.latest_list_version, next);
    assert.is(decoded(s.body!.list, b.key).version, next);

    // the same unit claiming more right after gets no second jump
    a2.listVersion = next + 5;
    s = await a2.sync();
    assert.is(s.body!.latest_list_version, next);
    assert.is((await fleetRow(t, 'unit1')).list_unrecognized, true);
    // nor does another unit within the interval
    t.now.value += 60_000;
    b2.listVersion = next;
    b2.listDigest = 'e'.repeat(64);
    s = await b2.sync();
    assert.is(s.body!.latest_list_version, next);
    t.now.value += RECOVERY_MIN_INTERVAL_MS;
    // after the interval another (plausible) report may recover again, never to its own number
    s = await b2.sync();
    assert.is(s.body!.latest_list_version, clockVersion(t.now.value));
  } finally {
    await t.close();
    removeDir(dir);
  }
});

test('the latest version with other content (a bump lost in a crash) gets a newer list, not the same number twice', async () => {
  const t = await makeApp();
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const s0 = await u.sync();
    const latest = s0.body!.latest_list_version;
    const s = await u.sync({ list_version: latest, list_digest: 'f'.repeat(64) });
    assert.is(s.res.statusCode, 200);
    const l = decoded(s.body!.list, u.key);
    assert.ok(l.version > latest);
    assert.is(s.body!.latest_list_version, l.version);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('a new day with membership expiry on moves the version by one: not mistaken for a lost version', async () => {
  const t = await makeApp({ machines: machinesConfig({ ...MACHINES_RAW, unit1: { authorizations_or: ['Lathe'], expiry_grace_days: 1 } }) });
  try {
    const u = new TestUnit(t.app, 'unit1');
    await u.register();
    const s0 = await u.sync();
    const held = decoded(s0.body!.list, u.key);
    u.listVersion = held.version;
    u.listDigest = held.digest;
    t.now.value += 24 * 3600_000;
    const s = await u.sync();
    assert.is(s.body!.latest_list_version, held.version + 1);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, 'fobgate_list_version_recoveries_total 0');
    assert.not.ok(t.notifier.sent.some((m) => /did not issue|restored from an older copy/.test(m.text)));
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
