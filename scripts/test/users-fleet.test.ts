// The users import and fleet tools against the real server (a child process on loopback).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usersMain } from '../src/users.js';
import { fleetMain } from '../src/fleet.js';
import { EXIT } from '../src/exit-codes.js';
import { captureIo, startServer, TEST_TOKEN, type ServerProcess } from './server-process.js';
import { startSimUnit } from './sim-unit.js';

let server: ServerProcess;
const dir = mkdtempSync(join(tmpdir(), 'fobgate-users-'));
const env = () => ({ FOBGATE_SERVER: server.url, FOBGATE_ADMIN_TOKEN: TEST_TOKEN }) as NodeJS.ProcessEnv;

const HEADER = 'account_id,full_name,first_name,last_name,preferred_name,email,expiration_ymd,fob_codes,authorizations,oops_override';
function csv(rows: string[]): string {
  const p = join(dir, `members-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(p, [HEADER].concat(rows).join('\n') + '\n');
  return p;
}
const ADA = '1001,Ada Lovelace,Ada,Lovelace,Ada,ada@example.org,2099-12-31,91703745,Table Saw;Dust Collector;Metal Lathe,';
const GRACE = '1002,Grace Hopper,Grace,Hopper,Grace,grace@example.org,2099-12-31,12345678;0000000777,Drill Press;Wood Lathe,no';

test.before(async () => {
  server = await startServer();
});
test.after(async () => {
  await server.stop();
});

test('--help documents the CSV columns and exit codes', async () => {
  const c = captureIo();
  assert.is(await usersMain(['--help'], c.io, env()), EXIT.OK);
  const text = c.out.join('\n');
  for (const col of ['account_id', 'fob_codes', 'authorizations', 'oops_override', 'Exit codes']) assert.match(text, col);
});

test('invalid CSV: every problem listed with its line, nothing sent to the server', async () => {
  const before = await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json());
  const p = csv([ADA, '1002,Grace Hopper,Grace,Hopper,Grace,grace@example.org,2099-13-45,12ab,Drill Press,', '1003,Dup,Dup,Dup,Dup,d@example.org,2099-01-01,91703745,,']);
  const c = captureIo();
  assert.is(await usersMain(['import', p], c.io, env()), EXIT.FAILED);
  const err = c.err.join('\n');
  assert.match(err, /line 3: expiration_ymd/);
  assert.match(err, /line 3: fob_codes: .*12ab/);
  assert.match(err, /line 4: fob_codes: .*1001.*1003|line 4: fob_codes: .*Ada Lovelace/);
  assert.match(err, 'nothing was sent to the server');
  const after = await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json());
  assert.equal(after, before);
});

test('dry run shows the diff against the server and changes nothing', async () => {
  const p = csv([ADA, GRACE]);
  const c = captureIo();
  assert.is(await usersMain(['import', p, '--dry-run'], c.io, env()), EXIT.OK);
  const out = c.out.join('\n');
  assert.match(out, '- 1003');
  assert.match(out, /~ 1002 Grace Hopper: fobs \+0000000777; authorizations \+Wood Lathe/);
  assert.match(out, 'Dry run: nothing was changed');
  const users = (await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json())) as { account_id: string }[];
  assert.ok(users.some((u) => u.account_id === '1003'));
});

test('a header-only CSV is refused with the names it would remove; --allow-removals goes through; history and rollback bring the members back', async () => {
  const usersFile = join(server.dataDir, 'users.json');
  const onDisk = readFileSync(usersFile, 'utf8');
  const empty = csv([]);
  const c = captureIo();
  assert.is(await usersMain(['import', empty], c.io, env()), EXIT.FAILED);
  const out = c.out.join('\n');
  const err = c.err.join('\n');
  assert.match(out, '0 members, valid');
  assert.match(out, '- 1001 Ada Lovelace');
  assert.match(out, '- 1003 Margaret Hamilton');
  assert.match(out, '0 added, 3 removed, 0 changed');
  assert.match(err, 'refusing this import: it removes 3 of the 3 members (every member: is the file empty or cut off?)');
  assert.match(err, '--allow-removals');
  assert.match(err, 'nothing was changed on the server');
  const still = (await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json())) as { account_id: string }[];
  assert.equal(still.map((u) => u.account_id).sort(), ['1001', '1002', '1003']);
  assert.is(readFileSync(usersFile, 'utf8'), onDisk, 'users.json untouched');

  const forced = captureIo();
  assert.is(await usersMain(['import', empty, '--allow-removals'], forced.io, env()), EXIT.OK);
  const kept = /kept as revision (\d+) \(undo: npm run users -- rollback (\d+)\)/.exec(forced.out.join('\n'));
  assert.ok(kept, forced.out.join('\n'));
  assert.equal(JSON.parse(readFileSync(usersFile, 'utf8')), []);

  const h = captureIo();
  assert.is(await usersMain(['history'], h.io, env()), EXIT.OK);
  const listing = h.out.join('\n');
  assert.match(listing, 'In force now: 0 members');
  assert.match(listing, new RegExp(`^${kept![1]}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\s+3\\s+replaced by an import`, 'm'));

  const bad = captureIo();
  assert.is(await usersMain(['rollback', 'latest'], bad.io, env()), EXIT.USAGE);
  const back = captureIo();
  assert.is(await usersMain(['rollback'], back.io, env()), EXIT.OK);
  assert.match(back.out.join('\n'), '+ 1002 Grace Hopper');
  assert.match(back.out.join('\n'), '3 added, 0 removed');
  const restored = (await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json())) as { account_id: string }[];
  assert.equal(restored.map((u) => u.account_id).sort(), ['1001', '1002', '1003']);
});

test('import pushes the list, prints the new version; fleet shows machines', async () => {
  const p = csv([ADA, GRACE]);
  const c = captureIo();
  assert.is(await usersMain(['import', p], c.io, env()), EXIT.OK);
  const out = c.out.join('\n');
  assert.match(out, /New authorization list version: \d+/);
  assert.match(out, '1 removed');
  const users = (await fetch(server.url + '/api/admin/users', { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.json())) as { account_id: string }[];
  assert.equal(users.map((u) => u.account_id).sort(), ['1001', '1002']);

  const f = captureIo();
  assert.is(await fleetMain([], f.io, env()), EXIT.OK);
  const table = f.out.join('\n');
  for (const m of ['MACHINE', 'table-saw', 'lathe', 'drill-press', 'never seen']) assert.match(table, m);
  const j = captureIo();
  assert.is(await fleetMain(['--json'], j.io, env()), EXIT.OK);
  const parsed = JSON.parse(j.out.join('\n'));
  assert.ok(Array.isArray(parsed.machines));
});

test('a JSON users file in dm_mac format is accepted too', async () => {
  const p = join(dir, 'users.json');
  writeFileSync(
    p,
    JSON.stringify([
      { account_id: '1001', full_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', preferred_name: 'Ada', email: 'ada@example.org', expiration_ymd: '2099-12-31', fob_codes: ['0091703745'], authorizations: ['Table Saw'] },
    ]),
  );
  const c = captureIo();
  assert.is(await usersMain(['import', p, '--dry-run'], c.io, env()), EXIT.OK);
  assert.match(c.out.join('\n'), /~ 1001 Ada Lovelace: authorizations -Dust Collector -Metal Lathe/);
});

test('server unreachable, wrong token and bad usage have distinct exit codes and clear messages', async () => {
  const p = csv([ADA]);
  const down = captureIo();
  assert.is(await usersMain(['import', p], down.io, { FOBGATE_SERVER: 'http://127.0.0.1:9', FOBGATE_ADMIN_TOKEN: 'x' }), EXIT.SERVER);
  assert.match(down.err.join('\n'), 'cannot reach the fobgate server');
  const bad = captureIo();
  assert.is(await fleetMain([], bad.io, { FOBGATE_SERVER: server.url, FOBGATE_ADMIN_TOKEN: 'wrong' }), EXIT.SERVER);
  assert.match(bad.err.join('\n'), 'refused the admin token');
  const usage = captureIo();
  assert.is(await usersMain(['export'], usage.io, env()), EXIT.USAGE);
  assert.is(await fleetMain(['--bogus'], usage.io, env()), EXIT.USAGE);
  assert.match(usage.err.join('\n'), 'unknown option --bogus');
  const missing = captureIo();
  assert.is(await usersMain(['import', join(dir, 'nope.csv')], missing.io, env()), EXIT.USAGE);
  assert.match(missing.err.join('\n'), 'no such file');
});

test('--wait reports units picking up the new list, and times out when one does not', async () => {
  const p = csv([ADA]);
  const c = captureIo();
  // No fobgate unit has synced in this server: nothing to wait for, so --wait returns at once.
  assert.is(await usersMain(['import', p, '--wait', '--timeout', '2'], c.io, env()), EXIT.OK);
  assert.match(c.out.join('\n'), 'Every online unit holds the new list.');
});

test('--wait waits until an online unit holds the new list; fleet shows the unit online with its list version', async () => {
  // The built firmware in the simulator: it verifies every list it is sent before it holds it.
  const unit = await startSimUnit(server.url, TEST_TOKEN, 'lathe');
  try {
    const c = captureIo();
    assert.is(await usersMain(['import', csv([ADA, GRACE]), '--wait', '--timeout', '20', '--interval', '0.2'], c.io, env()), EXIT.OK);
    const out = c.out.join('\n');
    const version = Number(/New authorization list version: (\d+)/.exec(out)![1]);
    assert.match(out, new RegExp(`lathe\\s+holds v${version}\\s+has it`));
    assert.match(out, 'Every online unit holds the new list.');
    assert.ok(await unit.until(() => unit.heldVersion() >= version, 10_000), 'the unit reports holding v' + version);
    const f = captureIo();
    assert.is(await fleetMain([], f.io, env()), EXIT.OK);
    assert.match(f.out.join('\n'), new RegExp(`lathe \\(Lathe\\)\\s+online.*${version}/${version}`));
  } finally {
    unit.stop();
  }
});

test('--wait times out with exit code 5 when an online unit does not pick the list up', async () => {
  const unit = await startSimUnit(server.url, TEST_TOKEN, 'drill-press');
  unit.stop(); // it synced (online) and then went quiet before the new version
  const c = captureIo();
  assert.is(await usersMain(['import', csv([ADA]), '--wait', '--timeout', '1', '--interval', '0.2'], c.io, env()), EXIT.TIMEOUT);
  assert.match(c.err.join('\n'), /still do not hold v\d+: .*drill-press/);
});

test.run();
