// The server's globals (list version, command ids, config digest) are changed in place by their
// callers: a save writes them when they differ from what was last written, and only then.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './store.js';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobgate-store-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const open = () => Store.open({ stateDir: dir, budgetMs: 2000, idleFlushMs: 0 });

test('globals changed in place are written by the next save and read back after a restart', async () => {
  const store = await open();
  const id = store.data.next_command_id++;
  store.data.config_digest = 'abc';
  assert.is(await store.save(null), 'saved');
  await store.close();
  const again = await open();
  assert.is(again.data.next_command_id, id + 1);
  assert.is(again.data.config_digest, 'abc');
  await again.close();
});

test('a save that finds the globals as last written writes nothing; the next change is written', async () => {
  const store = await open();
  store.data.list_version += 1;
  assert.is(await store.save(null), 'saved');
  const writes = store.stats().docWrites;
  assert.is(await store.save(null), 'saved');
  assert.is(await store.save(null), 'saved');
  assert.is(store.stats().docWrites, writes, 'unchanged globals are not written again');
  store.data.list_day = '2026-12-08';
  assert.is(await store.save(null), 'saved');
  assert.is(store.stats().docWrites, writes + 1);
  // changed and changed back before a save: nothing differs from what is on disk
  store.data.list_version += 1;
  store.data.list_version -= 1;
  assert.is(await store.save(null), 'saved');
  assert.is(store.stats().docWrites, writes + 1);
  await store.close();
});

test.run();
