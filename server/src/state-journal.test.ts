// Tests of the state journal: group commits share one write, what was acknowledged is in the
// file after a reopen, a torn last line is skipped, and a compaction keeps every acknowledged
// line, also one queued after the copy ended and before the swap (it used to be lost).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateJournal, readJournalFile } from './state-journal.js';

let dir = '';
test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobgate-journal-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 1));
};

test('writes queued together share one commit; all of them are in the file after a reopen', async () => {
  const path = join(dir, 'state.journal');
  const j = await StateJournal.open(path);
  const writes = [j.write('a', '{"n":1}'), j.write('b', '{"n":2}'), j.write('a', '{"n":3}')];
  await Promise.all(writes);
  assert.ok(j.stats().commits <= 2, String(j.stats().commits));
  await j.close();
  const docs = readJournalFile(path);
  assert.equal(docs.get('a'), { n: 3 });
  assert.equal(docs.get('b'), { n: 2 });
  // a crash mid-write: a torn last line is skipped at open
  appendFileSync(path, '{"k":"a","d":{"n":');
  const again = await StateJournal.open(path);
  assert.equal(again.read('a'), { n: 3 });
  assert.is(again.stats().skippedLines, 1);
  await again.close();
});

test('a compaction keeps a line queued between the end of its copy and the swap', async () => {
  const path = join(dir, 'state.journal');
  const j = await StateJournal.open(path, { compactAtBytes: 2000 });
  const internals = j as unknown as { compacting: boolean; swap: unknown; handle: { write(t: string): Promise<unknown> } };
  const pad = 'x'.repeat(80);
  for (let i = 0; !internals.compacting; i++) {
    assert.ok(i < 1000, 'a compaction starts');
    await j.write('a', JSON.stringify({ n: i, pad }));
  }
  // the copy runs; a commit to the old file is under way (its write held here) ...
  const handle = internals.handle;
  const original = handle.write.bind(handle);
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  let writing = 0;
  handle.write = async (t: string) => {
    writing++;
    await held;
    return original(t);
  };
  const x = j.write('b', '{"x":1}');
  await until(() => writing === 1);
  // ... when the copy ends: it waits for the writer's turn, and this line is queued meanwhile
  await until(() => internals.swap !== null);
  const y = j.write('c', '{"y":1}');
  release();
  await Promise.all([x, y]);
  await until(() => !internals.compacting);
  assert.is(j.stats().compactions, 1);
  await j.close();
  const docs = readJournalFile(path);
  assert.equal(docs.get('b'), { x: 1 });
  assert.equal(docs.get('c'), { y: 1 }, 'the line queued before the swap is in the compacted journal');
  assert.ok((docs.get('a') as { n: number }).n >= 0);
});

test.run();
