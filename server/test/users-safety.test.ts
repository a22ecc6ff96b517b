// An admin's mistake must not delete every member (issue 8.11): a replacement that removes more
// than max(5, 10 %) of the members, or all of them, is refused unless allow_removals; the answer
// names the members; every replaced list is kept (numbered, pruned by count, private files) and
// can be put back with a rollback, which itself can be undone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsersHistoryResponse, UsersReplaceResult } from '@fobgate/shared';
import { AUTH, USERS_RAW, makeApp, removeDir, tempDir, user, usersConfig, type TestApp } from './helpers.js';
import { removalLimit, removalsNeedConfirmation } from '../src/routes/admin-users.js';

function members(n: number, from = 1): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < from + n; i++) out.push(user(String(1000 + i), `M${i}`, String(5000000000 + i), ['Lathe']));
  return out;
}

async function withUsersFile(initial: Record<string, unknown>[], keep?: number): Promise<TestApp & { usersPath: string }> {
  const dir = tempDir();
  const usersPath = join(dir, 'users.json');
  writeFileSync(usersPath, JSON.stringify(initial, null, 2));
  const t = await makeApp({ dir, users: usersConfig(initial), usersPath, extra: keep ? { usersHistoryKeep: keep } : {} });
  return Object.assign(t, { usersPath });
}

async function put(t: TestApp, users: unknown[], query = '') {
  return t.app.inject({ method: 'PUT', url: `/api/admin/users${query}`, headers: AUTH, payload: users });
}

async function current(t: TestApp): Promise<string[]> {
  const r = await t.app.inject({ method: 'GET', url: '/api/admin/users', headers: AUTH });
  return (r.json() as { account_id: string }[]).map((u) => u.account_id).sort();
}

test('the removal limit: max(5, 10 %), never everyone', () => {
  assert.is(removalLimit(0), 5);
  assert.is(removalLimit(6), 5);
  assert.is(removalLimit(60), 6);
  assert.is(removalLimit(1000), 100);
  assert.is(removalsNeedConfirmation(5, 6), false);
  assert.is(removalsNeedConfirmation(6, 6), true, 'all six');
  assert.is(removalsNeedConfirmation(3, 3), true, 'all of a small list');
  assert.is(removalsNeedConfirmation(100, 1000), false);
  assert.is(removalsNeedConfirmation(101, 1000), true);
  assert.is(removalsNeedConfirmation(0, 0), false);
});

test('an empty list is refused with the names of the members it would remove; nothing changes; allow_removals lets it through', async () => {
  const t = await withUsersFile(USERS_RAW);
  try {
    const before = readFileSync(t.usersPath, 'utf8');
    const latest = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().list_version_latest;
    let r = await put(t, []);
    assert.is(r.statusCode, 409, r.body);
    assert.is(r.json().code, 'REMOVALS_NOT_CONFIRMED');
    assert.match(r.json().error, 'removes 3 of the 3 members');
    assert.match(r.json().error, 'Ada Tester (1)');
    assert.match(r.json().error, 'allow_removals=true');
    assert.equal(await current(t), ['1', '2', '3']);
    assert.is(readFileSync(t.usersPath, 'utf8'), before, 'users.json untouched');
    assert.is((await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().list_version_latest, latest);

    // the dry run says so without refusing, and names them
    r = await put(t, [], '?dry_run=true');
    assert.is(r.statusCode, 200);
    const dry = r.json() as UsersReplaceResult;
    assert.is(dry.removals_need_confirmation, true);
    assert.is(dry.members_before, 3);
    assert.equal(dry.removed_members.map((m) => m.full_name), ['Ada Tester', 'Bob Tester', 'Cy Tester']);

    r = await put(t, [], '?allow_removals=true');
    assert.is(r.statusCode, 200, r.body);
    assert.equal(await current(t), []);
    assert.is(r.json().previous_revision, 1);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('a truncated export (more than 10 % gone) is refused; removing a few is not', async () => {
  const t = await withUsersFile(members(60));
  try {
    let r = await put(t, members(53)); // 7 of 60 removed > 6
    assert.is(r.statusCode, 409, r.body);
    assert.match(r.json().error, 'removes 7 of the 60 members');
    assert.match(r.json().error, 'M54 Tester (1054)');
    r = await put(t, members(54)); // 6 of 60 removed
    assert.is(r.statusCode, 200, r.body);
    assert.equal(r.json().removed_members.map((m: { full_name: string }) => m.full_name), ['M55 Tester', 'M56 Tester', 'M57 Tester', 'M58 Tester', 'M59 Tester', 'M60 Tester']);
    assert.is(r.json().removals_need_confirmation, false);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('every replaced list is kept (numbered, pruned by count, private); rollback puts one back and can itself be undone', async () => {
  const t = await withUsersFile(members(3), 4);
  try {
    // five changes: each keeps the list it replaced
    for (let i = 1; i <= 5; i++) {
      const r = await put(t, members(3 + i));
      assert.is(r.statusCode, 200, r.body);
      assert.is(r.json().previous_revision, i);
    }
    let h = (await t.app.inject({ method: 'GET', url: '/api/admin/users/history', headers: AUTH })).json() as UsersHistoryResponse;
    assert.is(h.current_members, 8);
    assert.equal(h.revisions.map((x) => [x.revision, x.members]), [[5, 7], [4, 6], [3, 5], [2, 4]], 'newest first, the oldest pruned beyond 4');
    assert.equal(h.revisions[0].saved_at, t.now.value);
    assert.match(h.revisions[0].reason, 'import');
    const histDir = join(t.dir, 'users-history');
    assert.equal(readdirSync(histDir).sort(), ['index.json', 'users-000002.json', 'users-000003.json', 'users-000004.json', 'users-000005.json']);
    assert.is(lstatSync(histDir).mode & 0o777, 0o700);
    for (const f of readdirSync(histDir)) assert.is(lstatSync(join(histDir, f)).mode & 0o777, 0o600, f);
    // each kept file is a plain users.json
    assert.is((JSON.parse(readFileSync(join(histDir, 'users-000003.json'), 'utf8')) as unknown[]).length, 5);

    // rollback without a revision: the newest kept (the list before the last change)
    let r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: { dry_run: true } });
    assert.is(r.statusCode, 200, r.body);
    assert.equal(r.json().removed, ['1008']);
    assert.is((await current(t)).length, 8, 'dry run changes nothing');
    r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH });
    assert.is(r.statusCode, 200, r.body);
    assert.is((await current(t)).length, 7);
    assert.is(r.json().previous_revision, 6, 'the list in force was kept first');
    assert.is((JSON.parse(readFileSync(t.usersPath, 'utf8')) as unknown[]).length, 7, 'users.json written');
    // to a given revision, then undo that
    r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: { revision: 3 } });
    assert.is(r.statusCode, 200, r.body);
    assert.is((await current(t)).length, 5);
    r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: { revision: 7 } });
    assert.is((await current(t)).length, 7);
    h = (await t.app.inject({ method: 'GET', url: '/api/admin/users/history', headers: AUTH })).json();
    assert.match(h.revisions[0].reason, 'rollback to revision 7');
    // a revision no longer kept
    r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: { revision: 1 } });
    assert.is(r.statusCode, 404);
    assert.match(r.json().error, 'users revision 1 is not kept');
    // the events log says what happened
    const ev = (await t.app.inject({ method: 'GET', url: '/api/admin/events?limit=50', headers: AUTH })).json().events as { type: string; detail: string }[];
    assert.ok(ev.some((e) => e.type === 'users_rolled_back' && /revision 3/.test(e.detail)));
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('a rollback that removes too many members needs allow_removals too; reload-users keeps the list it replaces', async () => {
  const t = await withUsersFile(members(3));
  try {
    assert.is((await put(t, members(20))).statusCode, 200);
    let r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: {} });
    assert.is(r.statusCode, 409, 'rolling back to 3 of 20 removes 17');
    r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: { allow_removals: true } });
    assert.is(r.statusCode, 200, r.body);
    assert.is((await current(t)).length, 3);

    writeFileSync(t.usersPath, JSON.stringify(members(4)));
    r = await t.app.inject({ method: 'POST', url: '/api/reload-users', headers: AUTH });
    assert.is(r.statusCode, 200, r.body);
    const h = (await t.app.inject({ method: 'GET', url: '/api/admin/users/history', headers: AUTH })).json() as UsersHistoryResponse;
    assert.match(h.revisions[0].reason, 'reload');
    assert.is(h.revisions[0].members, 3);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test('without a users file there is no history: rollback says why', async () => {
  const t = await makeApp();
  try {
    const r = await t.app.inject({ method: 'POST', url: '/api/admin/users/rollback', headers: AUTH, payload: {} });
    assert.is(r.statusCode, 404);
    assert.match(r.json().error, 'no users history');
    const h = await t.app.inject({ method: 'GET', url: '/api/admin/users/history' });
    assert.is(h.statusCode, 401, 'the history needs the token');
  } finally {
    await t.close();
    removeDir(t.dir);
  }
});

test.run();
