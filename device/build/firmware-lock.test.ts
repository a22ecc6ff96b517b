// The one firmware build lock and freshness check (issue 12.6): builders in parallel processes
// take turns; a lock left by a process that died is taken over; a build started by a lock
// holder (FIRMWARE_LOCK_ENV) does not wait for its own parent; a change under device/board makes
// the firmware stale as a change under device/src does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireFirmwareLock, FIRMWARE_LOCK_ENV, holderRecord, lockPath, LOCK_NAME } from './firmware-lock.js';
import { ensureFirmware, FIRMWARE_PATH, FIRMWARE_SOURCES, firmwareStale } from './ensure-firmware.js';

const LOCK_MODULE = join(import.meta.dirname, 'firmware-lock.ts');

/** A process that holds the lock of `dir` for `holdMs` and logs when it has it. */
function holder(dir: string, log: string, holdMs: number, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const code = `
    import { acquireFirmwareLock } from ${JSON.stringify(LOCK_MODULE)};
    import { appendFileSync } from 'node:fs';
    const release = acquireFirmwareLock(${JSON.stringify(dir)}, 60000);
    appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});
    appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
    release();
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('close', (c) => resolve(c ?? 1));
  });
}

test('builders in parallel processes hold the lock one at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-lock-'));
  const log = join(dir, 'log');
  writeFileSync(log, '');
  const codes = await Promise.all([holder(dir, log, 300), holder(dir, log, 300), holder(dir, log, 300)]);
  assert.equal(codes, [0, 0, 0]);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.is(lines.length, 6);
  for (let i = 0; i < 6; i += 2) {
    assert.ok(lines[i].startsWith('in '), lines.join(' | '));
    assert.is(lines[i + 1], 'out ' + lines[i].slice(3), 'no one got in while another held it: ' + lines.join(' | '));
  }
  assert.not.ok(existsSync(join(dir, LOCK_NAME)), 'released');
  rmSync(dir, { recursive: true, force: true });
});

test('a lock left by a process that is gone is taken over; the holder\'s own build does not wait', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-lock-'));
  mkdirSync(join(dir, LOCK_NAME));
  writeFileSync(join(dir, LOCK_NAME, 'pid'), '2147483646'); // no such process
  const release = acquireFirmwareLock(dir, 5000);
  assert.is(readFileSync(join(dir, LOCK_NAME, 'pid'), 'utf8'), holderRecord());
  assert.match(holderRecord(), new RegExp('^' + process.pid + ' pid:\\[\\d+\\]$'));
  // A build run by the holder gets FIRMWARE_LOCK_ENV and goes ahead at once.
  const before = process.env[FIRMWARE_LOCK_ENV];
  process.env[FIRMWARE_LOCK_ENV] = lockPath(dir);
  try {
    const inner = acquireFirmwareLock(dir, 100);
    inner();
    assert.ok(existsSync(join(dir, LOCK_NAME)), 'the inner release leaves the holder\'s lock alone');
  } finally {
    if (before === undefined) delete process.env[FIRMWARE_LOCK_ENV];
    else process.env[FIRMWARE_LOCK_ENV] = before;
  }
  // Someone alive holds it: a short wait gives up with a message naming the lock.
  assert.throws(() => acquireFirmwareLock(dir, 300), /waited 0 s for another firmware build to finish/);
  release();
  assert.not.ok(existsSync(join(dir, LOCK_NAME)));
  rmSync(dir, { recursive: true, force: true });
});

test('a holder in another PID namespace (a netns test file) is not judged by a pid that means another process here', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-lock-'));
  mkdirSync(join(dir, LOCK_NAME));
  // pid 2147483646 does not exist here, but in its own namespace it names a live builder
  writeFileSync(join(dir, LOCK_NAME, 'pid'), '2147483646 pid:[1]');
  assert.throws(() => acquireFirmwareLock(dir, 300), /waited 0 s for another firmware build to finish/);
  assert.is(readFileSync(join(dir, LOCK_NAME, 'pid'), 'utf8'), '2147483646 pid:[1]', 'left alone');
  // once it is older than the stale age it is taken over all the same
  const old = new Date(Date.now() - 10 * 60_000);
  utimesSync(join(dir, LOCK_NAME), old, old);
  const release = acquireFirmwareLock(dir, 5000);
  assert.is(readFileSync(join(dir, LOCK_NAME, 'pid'), 'utf8'), holderRecord());
  release();
  rmSync(dir, { recursive: true, force: true });
});

test('freshness: a newer file under device/board, device/src, device/build or shared/src makes the firmware stale', () => {
  // a scratch tree with the real layout: touching the real sources would make every other test
  // process running now rebuild the firmware
  const root = mkdtempSync(join(tmpdir(), 'fobgate-fresh-'));
  const firmware = join(root, 'device', 'dist', 'firmware.js');
  const sources = FIRMWARE_SOURCES.map((d) => join(root, d, 'some-source.ts'));
  for (const f of sources) {
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, '');
  }
  assert.ok(firmwareStale(root, firmware), 'missing firmware is stale');
  mkdirSync(join(firmware, '..'), { recursive: true });
  writeFileSync(firmware, '');
  const built = statSync(firmware).mtime;
  const earlier = new Date(built.getTime() - 60_000);
  for (const f of sources) utimesSync(f, earlier, earlier);
  assert.not.ok(firmwareStale(root, firmware), 'every source older than the build');
  for (const f of sources) {
    const later = new Date(built.getTime() + 60_000);
    utimesSync(f, later, later);
    assert.ok(firmwareStale(root, firmware), f + ' newer than the build');
    utimesSync(f, earlier, earlier);
  }
  assert.not.ok(firmwareStale(root, firmware));
  // and the real firmware, built by ensureFirmware, is fresh against the real sources
  ensureFirmware();
  assert.not.ok(firmwareStale());
  assert.ok(existsSync(FIRMWARE_PATH));
  rmSync(root, { recursive: true, force: true });
});

test.run();
