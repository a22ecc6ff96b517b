// Tests of the atomic JSON file adapter: lowdb round trip, missing and corrupt files, serialized
// writes, and a writer killed mid-write that never leaves a torn or empty file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Low } from 'lowdb';
import { createAtomicFileAdapter, StateFileError } from './atomic-file.js';

const here = dirname(fileURLToPath(import.meta.url));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fobgate-atomic-'));
}

test('lowdb round trip through the adapter; a missing file reads as null', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'state.json');
    const adapter = createAtomicFileAdapter<{ machines: Record<string, { oopsed: boolean }> }>(path);
    assert.is(await adapter.read(), null);
    const db = new Low(adapter, { machines: {} });
    await db.read();
    assert.equal(db.data, { machines: {} }, 'defaults kept for a fresh data folder');
    db.data.machines.lathe = { oopsed: true };
    await db.write();
    const again = new Low(createAtomicFileAdapter<typeof db.data>(path), { machines: {} });
    await again.read();
    assert.equal(again.data, { machines: { lathe: { oopsed: true } } });
    assert.equal(readdirSync(dir), ['state.json'], 'no tmp file left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt or empty state file is reported with a code, naming the file', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"machines": {"lathe": ');
    const adapter = createAtomicFileAdapter(path);
    let err: unknown = null;
    try {
      await adapter.read();
    } catch (e) {
      err = e;
    }
    assert.instance(err, StateFileError);
    assert.is((err as StateFileError).code, 'STATE_FILE_CORRUPT');
    assert.match((err as Error).message, path);
    assert.match((err as Error).message, /not valid JSON/);

    writeFileSync(path, '');
    err = null;
    try {
      await adapter.read();
    } catch (e) {
      err = e;
    }
    assert.is((err as StateFileError).code, 'STATE_FILE_CORRUPT');
    assert.match((err as Error).message, /empty/);

    err = null;
    try {
      await createAtomicFileAdapter(dir).read();
    } catch (e) {
      err = e;
    }
    assert.is((err as StateFileError).code, 'STATE_FILE_UNREADABLE', 'a folder where the file should be');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('overlapping writes through one adapter run in order; the last one wins', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'state.json');
    const adapter = createAtomicFileAdapter<{ n: number; pad: string }>(path);
    const pad = 'x'.repeat(200_000);
    await Promise.all([1, 2, 3, 4, 5].map((n) => adapter.write({ n, pad })));
    assert.is((await adapter.read())?.n, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves the old file intact and removes the tmp file', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'state.json');
    const adapter = createAtomicFileAdapter<unknown>(path);
    await adapter.write({ ok: 1 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    let failed = false;
    await adapter.write(circular).catch(() => {
      failed = true;
    });
    assert.ok(failed, 'unserializable data rejects');
    // a stale tmp (e.g. from a crash) does not matter either
    writeFileSync(`${path}.tmp`, '{"torn": ');
    assert.equal(await adapter.read(), { ok: 1 });
    await adapter.write({ ok: 2 });
    assert.equal(JSON.parse(readFileSync(path, 'utf8')), { ok: 2 });
    assert.not.ok(existsSync(`${path}.tmp`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a writer process killed mid-write never leaves a corrupt or empty file', async () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'state.json');
    writeFileSync(path, JSON.stringify({ gen: 0, pad: '' }));
    const script = join(here, '..', 'test', 'atomic-writer-child.ts');
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      // wait until it has started writing, then kill it hard at an arbitrary point
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 50 + round * 70));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const text = readFileSync(path, 'utf8');
      assert.ok(text.length > 0, 'never empty');
      const data = JSON.parse(text) as { gen: number; pad: string };
      assert.type(data.gen, 'number');
      assert.is(data.pad.length, data.gen === 0 ? 0 : 300_000, 'a whole generation');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
