// The flash tool end to end: the real espruino CLI (a child process) uploads the real built
// firmware and the unit's config to a stand-in unit over tcp://, against the real server; the
// stand-in answers the verification query from what it received and performs the first sync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flashMain } from '../src/flash.js';
import { EXIT } from '../src/exit-codes.js';
import { ensureFirmware, FIRMWARE_PATH } from '../src/firmware-build.js';
import { choosePort } from '../src/espruino-cli.js';
import { captureIo, startServer, TEST_TOKEN, type ServerProcess } from './server-process.js';
import { startStandin } from './standin-unit.js';

let server: ServerProcess;
const work = mkdtempSync(join(tmpdir(), 'fobgate-flash-test-'));
const secrets = join(work, 'secrets.json');
writeFileSync(secrets, JSON.stringify({ wifi: { ssid: 'makerspace', password: 'hunter2-wifi-pass' } }));
const env = () => ({ FOBGATE_SERVER: server.url, FOBGATE_ADMIN_TOKEN: TEST_TOKEN }) as NodeJS.ProcessEnv;

test.before(async () => {
  const b = ensureFirmware();
  if (b.error) throw new Error('firmware build failed: ' + b.error);
  server = await startServer();
});
test.after(async () => {
  await server.stop();
});

test('flashes the built firmware and config to a unit, verifies them and sees the first sync', async () => {
  const unit = await startStandin({ syncTo: server.url });
  try {
    const c = captureIo();
    const code = await flashMain(['--machine', 'lathe', '--port', `tcp://127.0.0.1:${unit.port}`, '--secrets', secrets, '--sync-timeout', '20'], c.io, env());
    const all = c.out.concat(c.err).join('\n');
    assert.is(code, EXIT.OK, all);
    // Exactly the built firmware landed in .bootcde, and the config in fobgate.json.
    assert.is(unit.files['.bootcde'], readFileSync(FIRMWARE_PATH, 'latin1'));
    const cfg = JSON.parse(unit.files['fobgate.json']);
    assert.is(cfg.machine, 'lathe');
    assert.is(cfg.server_url, server.url);
    assert.match(cfg.key, /^[0-9a-f]{64}$/);
    assert.equal(cfg.wifi, { ssid: 'makerspace', password: 'hunter2-wifi-pass' });
    assert.ok(unit.commands.some((l) => l.startsWith('reset()')));
    assert.ok(unit.loaded >= 1);
    // The key the server issued works: the stand-in's signed sync was accepted.
    assert.is(unit.syncStatus, 200);
    for (const step of ['[1/5] build', '[2/5] register', '[3/5] upload', 'upload 100%', '[4/5] verify', 'verified', '[5/5] sync', 'first sync ']) assert.match(all, step);
    // Secrets never printed.
    assert.not.match(all, cfg.key);
    assert.not.match(all, 'hunter2-wifi-pass');
  } finally {
    await unit.close();
  }
});

test('a corrupted upload fails verification with a clear message', async () => {
  const unit = await startStandin({ corrupt: true });
  try {
    const c = captureIo();
    const code = await flashMain(['--machine', 'lathe', '--port', `tcp://127.0.0.1:${unit.port}`, '--secrets', secrets, '--no-sync-wait'], c.io, env());
    assert.is(code, EXIT.FAILED);
    assert.match(c.err.join('\n'), /verification failed: firmware digest .* differs/);
  } finally {
    await unit.close();
  }
});

test('a unit that does not answer is reported with what to check', async () => {
  const unit = await startStandin({ silent: true });
  try {
    const c = captureIo();
    const code = await flashMain(['--machine', 'lathe', '--port', `tcp://127.0.0.1:${unit.port}`, '--secrets', secrets, '--no-sync-wait'], c.io, env());
    assert.is(code, EXIT.FAILED);
    assert.match(c.err.join('\n'), /did not answer|upload failed/);
  } finally {
    await unit.close();
  }
});

test('unknown machine and unreachable server', async () => {
  const c = captureIo();
  assert.is(await flashMain(['--machine', 'nope', '--port', 'tcp://127.0.0.1:1', '--secrets', secrets], c.io, env()), EXIT.FAILED);
  assert.match(c.err.join('\n'), /unknown machine "nope".*Known machines: .*lathe/);
  const d = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets], d.io, { FOBGATE_SERVER: 'http://127.0.0.1:9', FOBGATE_ADMIN_TOKEN: 'x' }), EXIT.SERVER);
  assert.match(d.err.join('\n'), 'cannot reach the fobgate server');
});

test('--dry-run writes the exact upload text to a file without a unit or server', async () => {
  const out = join(work, 'upload.js');
  const c = captureIo();
  const code = await flashMain(['--machine', 'lathe', '--dry-run', '--out', out, '--secrets', secrets], c.io, { FOBGATE_SERVER: 'http://127.0.0.1:9' });
  assert.is(code, EXIT.OK, c.err.join('\n'));
  const text = readFileSync(out, 'latin1');
  assert.match(text, 'require("Storage").write("fobgate.json"');
  assert.ok(text.includes(readFileSync(FIRMWARE_PATH, 'latin1').slice(0, 200)));
  assert.not.match(c.out.join('\n'), 'hunter2');
});

test('serial port choice: none, several (listed), permission denied (with the Linux fix)', async () => {
  const dev = join(work, 'dev');
  mkdirSync(dev, { recursive: true });
  const none = choosePort(undefined, dev);
  assert.is('code' in none && none.code, 'NO_PORT');
  writeFileSync(join(dev, 'ttyUSB0'), '');
  const one = choosePort(undefined, dev);
  assert.equal(one, { port: join(dev, 'ttyUSB0') });
  writeFileSync(join(dev, 'ttyACM0'), '');
  writeFileSync(join(dev, 'ttyS0'), '');
  const several = choosePort(undefined, dev);
  assert.ok('code' in several && several.code === 'SEVERAL_PORTS');
  assert.match((several as { message: string }).message, 'ttyACM0');
  assert.match((several as { message: string }).message, 'ttyUSB0');
  assert.not.match((several as { message: string }).message, 'ttyS0');
  const denied = choosePort(join(dev, 'ttyUSB0'), dev, () => {
    throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  });
  assert.ok('code' in denied && denied.code === 'PORT_PERMISSION');
  assert.match((denied as { message: string }).message, 'usermod -aG dialout');
  // Through the tool: several ports -> exit code for port problems, candidates listed.
  const c = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--no-sync-wait'], c.io, env(), { devDir: dev }), 4);
  assert.match(c.err.join('\n'), 'several serial ports');
  assert.ok(existsSync(FIRMWARE_PATH));
});

test.run();
