// Upgrading a server that still has the single state.json of earlier versions: the first start
// moves every machine into the state journal (state-migration.ts) and keeps the old file as
// state.json.migrated. A fleet must come through it whole: units keep their keys and counters
// (a replayed request stays refused), machines keep their oops and mirrored state, a pending unit
// and the lifetime save-timeout totals survive, and the list version does not move. The old file
// is built from what a real app wrote, so its shape is the one earlier versions saved.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTH, TestUnit, makeApp, removeDir, stateOnDisk, tempDir, update } from './helpers.js';
import { readJournalFile } from '../src/state-journal.js';
import { Store } from '../src/store.js';
import type { MachineDoc, PersistedState } from '../src/state-documents.js';

const JOURNAL = 'state.journal';

/** Replaces `dir`'s journal with the equivalent old state.json (what an upgrade starts from). */
function downgrade(dir: string, edit: (old: PersistedState) => void = () => undefined): PersistedState {
  const old = stateOnDisk(dir);
  edit(old);
  rmSync(join(dir, JOURNAL));
  writeFileSync(join(dir, 'state.json'), JSON.stringify(old, null, 2), { mode: 0o600 });
  return old;
}

/** A fleet with a syncing unit (lathe), a legacy machine in oops (saw) and a pending unit (drill). */
async function runningFleet(dir: string) {
  const t = await makeApp({ dir });
  const lathe = new TestUnit(t.app, 'lathe');
  await lathe.register();
  for (let i = 0; i < 3; i++) assert.is((await lathe.sync()).res.statusCode, 200);
  assert.is((await t.app.inject({ method: 'POST', url: '/api/machine/update', payload: update('saw', { oops: true }) })).statusCode, 200);
  const drill = new TestUnit(t.app, 'drill');
  await drill.register();
  await t.close();
  return { lathe, drill };
}

async function fleetRow(t: Awaited<ReturnType<typeof makeApp>>, name: string) {
  const rows = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines as Array<{ name: string; oopsed: boolean }>;
  return rows.find((m) => m.name === name);
}

test('an old state.json moves into the journal once: keys, counters, oops, pending unit, save timeouts and list version survive', async () => {
  const dir = tempDir();
  try {
    const { lathe, drill } = await runningFleet(dir);
    const old = downgrade(dir, (o) => {
      o.save_timeouts.saw = 3;
    });
    const t = await makeApp({ dir });
    try {
      assert.not.ok(existsSync(join(dir, 'state.json')), 'state.json is moved aside');
      assert.is(readFileSync(join(dir, 'state.json.migrated'), 'utf8'), JSON.stringify(old, null, 2), 'the old file is kept as it was');
      const disk = stateOnDisk(dir);
      assert.is(disk.list_version, old.list_version);
      assert.is(disk.units.lathe.key, old.units.lathe.key);
      assert.is(disk.units.lathe.counter, lathe.counter);
      assert.is(disk.save_timeouts.saw, 3);
      assert.is((readJournalFile(join(dir, JOURNAL)).get('machine/drill') as MachineDoc).pending_unit!.key, drill.key);
      assert.is((await fleetRow(t, 'saw'))!.oopsed, true, 'the legacy oops survives');
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /mac_state_save_timeouts_total\{machine_name="saw"[^}]*\} 3\n/);
      // the unit carries on with its key and counter; a replay of its last request is still refused
      const again = new TestUnit(t.app, 'lathe');
      again.key = lathe.key;
      again.counter = lathe.counter;
      const s = await again.sync();
      assert.is(s.res.statusCode, 200, s.res.body);
      const replay = await again.sendRaw(JSON.stringify(again.request({ counter: lathe.counter })));
      assert.is(replay.statusCode, 409, replay.body);
      lathe.counter = again.counter;
    } finally {
      await t.close();
    }
    // a second start reads the journal; nothing is migrated again and the counter goes on
    const t2 = await makeApp({ dir });
    try {
      assert.ok(existsSync(join(dir, 'state.json.migrated')));
      assert.not.ok(existsSync(join(dir, 'state.json')));
      const again = new TestUnit(t2.app, 'lathe');
      again.key = lathe.key;
      again.counter = lathe.counter;
      assert.is((await again.sync()).res.statusCode, 200);
      lathe.counter = again.counter;
    } finally {
      await t2.close();
    }
    assert.is(stateOnDisk(dir).units.lathe.counter, lathe.counter, 'the counter is saved at close');
  } finally {
    removeDir(dir);
  }
});

test('a start that crashed after writing the journal but before moving state.json: the journal wins', async () => {
  const dir = tempDir();
  try {
    const { lathe } = await runningFleet(dir);
    const journal = readFileSync(join(dir, JOURNAL), 'utf8');
    // an older state.json beside the newer journal (its counter is behind)
    const stale = stateOnDisk(dir);
    stale.units.lathe.counter = 1;
    writeFileSync(join(dir, 'state.json'), JSON.stringify(stale), { mode: 0o600 });
    const t = await makeApp({ dir });
    try {
      assert.ok(existsSync(join(dir, 'state.json.migrated')));
      assert.not.ok(existsSync(join(dir, 'state.json')));
      assert.ok(readFileSync(join(dir, JOURNAL), 'utf8').startsWith(journal), 'the journal is not rewritten from the old file');
      assert.is(stateOnDisk(dir).units.lathe.counter, lathe.counter);
      const again = new TestUnit(t.app, 'lathe');
      again.key = lathe.key;
      const replay = await again.sendRaw(JSON.stringify(again.request({ counter: 2 })));
      assert.is(replay.statusCode, 409, 'the stale counter from state.json is not taken');
    } finally {
      await t.close();
    }
  } finally {
    removeDir(dir);
  }
});

test('a state.json that is not JSON stops start-up naming the file, and is left untouched', async () => {
  const dir = tempDir();
  try {
    const broken = '{"format": 1, "machines": {"lathe": ';
    writeFileSync(join(dir, 'state.json'), broken, { mode: 0o600 });
    let err: unknown = null;
    try {
      const s = await Store.open({ stateDir: dir, budgetMs: 2000 });
      await s.close();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, 'start-up refused');
    assert.is((err as Error & { code?: string }).code, 'STATE_FILE_CORRUPT');
    assert.match((err as Error).message, join(dir, 'state.json'));
    assert.is(readFileSync(join(dir, 'state.json'), 'utf8'), broken, 'nothing is lost');
    assert.not.ok(existsSync(join(dir, JOURNAL)), 'no journal is made from a broken file');
    assert.not.ok(existsSync(join(dir, 'state.json.migrated')));
  } finally {
    removeDir(dir);
  }
});

test.run();
