// End to end, the simulator CLI as a technician uses it: registers the unit with ADMIN_TOKEN,
// draws the LCD and outputs, inserts a typed fob and a preset, presses oops, quits; never
// prints the unit's key.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ADMIN_TOKEN, E2EServer, ensureFirmware, FOBS, ROOT } from './harness.js';

let server: E2EServer;
const dir = mkdtempSync(join(tmpdir(), 'fobgate-sim-cli-'));

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
});

test.after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('npm run sim: register, show the unit, insert a fob, oops, quit', async () => {
  const flash = join(dir, 'lathe.flash.json');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'device', 'sim', 'cli.ts'), '--machine', 'lathe', '--server', server.url, '--register', '--flash', flash], {
    cwd: ROOT,
    env: { ...process.env, ADMIN_TOKEN, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? 1)));
  // The LCD as the CLI draws it: each 16-character row padded and framed in "|".
  const lcd = (...rows: string[]) => rows.map((r) => '\\|' + r.padEnd(16).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\|').join('\\n');
  const waitFor = async (re: RegExp, ms = 20_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > end) throw new Error('CLI output never matched ' + re + ':\n' + out.slice(-1500));
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    await waitFor(new RegExp(lcd('Please Insert', 'RFID Card')));
    await waitFor(/sync: HTTP 200/);
    child.stdin.write(FOBS.ada + '\n');
    await waitFor(new RegExp(lcd('Welcome,', 'Ada')));
    await waitFor(/relay: ON /);
    child.stdin.write('r\n');
    await waitFor(/relay: off {2}second relay: off {2}oops LED: off\nfob: none/);
    await waitFor(/presets: 1=Ada {2}2=Bob/);
    child.stdin.write('2\n');
    await waitFor(new RegExp(lcd('Unauthorized')));
    child.stdin.write('r\n');
    await waitFor(new RegExp(lcd('Please Insert', 'RFID Card') + '\\n\\+-+\\+\\nLED: rgb\\(0,0,0\\)\\nrelay: off {2}second relay: off {2}oops LED: off\\nfob: none'));
    child.stdin.write('o\n');
    await waitFor(new RegExp(lcd('Oops!! Please')));
    await waitFor(/oops LED: ON/);
    child.stdin.write('q\n');
    assert.is(await exited, 0);
  } finally {
    child.kill();
  }
  const key = (JSON.parse(readFileSync(flash, 'utf8')) as { files: Array<[string, string]> }).files.find((f) => f[0] === 'fobgate.json');
  assert.ok(key, 'the board config was written into the simulated flash');
  const cfg = JSON.parse(Buffer.from(key![1], 'base64').toString('latin1')) as { key: string; machine: string };
  assert.is(cfg.machine, 'lathe');
  assert.not.ok(out.includes(cfg.key), 'the key is never printed');
  const row = (await server.admin('GET', '/api/admin/machines')).json as { machines: Array<{ name: string; oopsed: boolean }> };
  assert.ok(row.machines.find((m) => m.name === 'lathe')!.oopsed, 'the server saw the oops');
});

test('npm run sim: bad arguments are explained, not thrown', async () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => new Promise<{ code: number; out: string }>((r) => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'device', 'sim', 'cli.ts'), ...args], { cwd: ROOT, env: { ...process.env, ADMIN_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => { out += d; });
    c.stderr.on('data', (d: Buffer) => { out += d; });
    c.on('close', (code) => r({ code: code ?? 1, out }));
  });
  let r = await run([]);
  assert.is(r.code, 2);
  assert.match(r.out, /--machine <name> is required/);
  r = await run(['--machine', 'lathe', '--register']);
  assert.is(r.code, 2);
  assert.match(r.out, /needs ADMIN_TOKEN/);
  r = await run(['--machine', 'lathe', '--key', 'xyz']);
  assert.match(r.out, /64 hex/);
  r = await run(['--machine', 'lathe', '--server', server.url, '--register'], { ADMIN_TOKEN: 'wrong-token' });
  assert.is(r.code, 1);
  assert.match(r.out, /registering lathe failed: HTTP 401/);
  assert.not.match(r.out, /\n\s+at /, 'no stack trace');
  const closed = createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', () => res()));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((res) => closed.close(() => res()));
  r = await run(['--machine', 'lathe', '--server', 'http://127.0.0.1:' + deadPort, '--register'], { ADMIN_TOKEN: 'x' });
  assert.is(r.code, 1);
  assert.match(r.out, /cannot reach the server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
});

test.run();
