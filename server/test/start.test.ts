// The real entry point (server.ts) in a child process on a real socket: first run creates the
// data folder and example config, prints URL, where the token is kept (never the token) and the
// config location; the token survives a restart; a bad config file stops start-up with the validator's message and exit code 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from './helpers.js';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['USERS_CONFIG', 'MACHINES_CONFIG', 'MACHINE_STATE_DIR', 'HOST', 'PORT', 'ADMIN_TOKEN', 'FOBGATE_DATA_DIR',
    'SLACK_CONTROL_WEBHOOK_URL', 'SLACK_OOPS_WEBHOOK_URL', 'OFFLINE_AFTER_S', 'SYNC_INTERVAL_S', 'SLACK_SIGNING_SECRET', 'SLACK_CONTROL_CHANNEL_ID',
    'STATUS_BOARD', 'DASHBOARD_SESSION_IDLE_MIN', 'DASHBOARD_SESSION_MAX_H', 'DASHBOARD_SECURE_COOKIE']) delete env[k];
  return { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extra };
}

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function start(cwd: string, extra: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', TSX, SERVER], { cwd, env: cleanEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor(run: Run, re: RegExp, ms = 30000): Promise<RegExpMatchArray> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const m = run.out().match(re);
    if (m) return m;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${re} in output:\n${run.out()}\n${run.err()}`);
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  await run.exited;
}

test('first run: creates ./data with example config, prints URL, token file and config paths; serves on a real socket', async () => {
  const cwd = tempDir();
  const run = start(cwd, { LOG_LEVEL: 'debug' });
  try {
    const url = (await waitFor(run, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1];
    await waitFor(run, /admin token:\s+new, written to data\/admin-token/);
    const token = readFileSync(join(cwd, 'data/admin-token'), 'utf8').trim();
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.match(run.out(), 'created example config data/machines.json');
    assert.match(run.out(), 'created example config data/users.json');
    assert.match(run.out(), 'machines:     data/machines.json');
    assert.ok(existsSync(join(cwd, 'data/machines.json')));
    assert.ok(existsSync(join(cwd, 'data/users.json')));
    // real socket: a legacy update for an example machine and an admin read
    let r = await fetch(`${url}/api/machine/update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ machine_name: 'lathe', oops: false, rfid_value: '0091703745', uptime: 10 }),
    });
    assert.is(r.status, 200);
    assert.equal(await r.json(), {
      relay: true,
      display: 'Welcome,\nAda',
      oops_led: false,
      status_led_rgb: [0, 1, 0],
      status_led_brightness: 0.5,
      second_relay: false,
    });
    r = await fetch(`${url}/api/admin/machines`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(r.status, 200);
    assert.is(((await r.json()) as { machines: unknown[] }).machines.length, 4);
    r = await fetch(`${url}/api/admin/machines`, { headers: { authorization: 'Bearer wrong-secret-guess' } });
    assert.is(r.status, 401);
    await stop(run);
    assert.ok(existsSync(join(cwd, 'data/state/state.journal')));
    // request logs (debug level) never carry the credential: the token appears once, at start-up
    const all = run.out() + run.err();
    assert.match(all, 'incoming request');
    assert.not.ok(all.includes(token), 'the token is never printed');
    assert.not.match(all, 'wrong-secret-guess');

    // second run: same token, no new example files
    const again = start(cwd);
    try {
      await waitFor(again, /admin token:\s+in data\/admin-token/);
      assert.is(readFileSync(join(cwd, 'data/admin-token'), 'utf8').trim(), token);
      assert.not.ok(again.out().includes(token));
      assert.not.match(again.out(), 'created example config');
    } finally {
      await stop(again);
    }
  } finally {
    await stop(run);
    removeDir(cwd);
  }
});

test('a bad config file stops start-up with the validator message, exit code 1, no stack trace', async () => {
  const cwd = tempDir();
  try {
    writeFileSync(join(cwd, 'machines.json'), JSON.stringify({ lathe: { authorizations_or: 'Lathe' } }));
    writeFileSync(join(cwd, 'users.json'), '[]');
    const run = start(cwd, { MACHINES_CONFIG: 'machines.json', USERS_CONFIG: 'users.json' });
    const code = await run.exited;
    assert.is(code, 1);
    assert.match(run.err(), 'machines.json: /lathe/authorizations_or');
    assert.not.match(run.err(), /\n\s+at /);
    const missing = start(cwd, { MACHINES_CONFIG: 'nope.json', USERS_CONFIG: 'users.json' });
    assert.is(await missing.exited, 1);
    assert.match(missing.err(), 'nope.json: file not found');
    const port = start(cwd, { PORT: 'eighty' });
    assert.is(await port.exited, 1);
    assert.match(port.err(), 'PORT: must be a whole number');
    const interval = start(cwd, { SYNC_INTERVAL_S: '0' });
    assert.is(await interval.exited, 1);
    assert.match(interval.err(), 'SYNC_INTERVAL_S: must be between 1 and 3600, got 0');
  } finally {
    removeDir(cwd);
  }
});

test('the dashboard at / and the Slack endpoints on the same port; a half-configured Slack app stops start-up', async () => {
  const cwd = tempDir();
  const secret = 'fedcba9876543210fedcba9876543210';
  try {
    const half = start(cwd, { SLACK_SIGNING_SECRET: secret });
    assert.is(await half.exited, 1);
    assert.match(half.err(), 'SLACK_CONTROL_CHANNEL_ID: must be set together with SLACK_SIGNING_SECRET');
    assert.not.match(half.err() + half.out(), secret);
    const run = start(cwd, { SLACK_SIGNING_SECRET: secret, SLACK_CONTROL_CHANNEL_ID: 'C0CONTROL', STATUS_BOARD: 'on' });
    try {
      const url = (await waitFor(run, /listening on (http:\/\/127\.0\.0\.1:\d+)/))[1];
      await waitFor(run, /Slack commands: http:\/\/127\.0\.0\.1:\d+\/slack\/commands/);
      assert.match(run.out(), `dashboard:    ${url}/`);
      assert.match(run.out(), `status board: ${url}/board`);
      assert.not.match(run.out(), secret);
      const page = await fetch(url + '/');
      assert.is(page.status, 200);
      assert.match(String(page.headers.get('content-security-policy')), "script-src 'self'");
      assert.match(await page.text(), '/assets/dashboard.js');
      const js = await fetch(url + '/assets/dashboard.js');
      assert.is(js.status, 200);
      assert.ok((await js.text()).length > 5000, 'the bundled page script');
      const unsigned = await fetch(url + '/slack/commands', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Ffobgate&text=status' });
      assert.is(unsigned.status, 401);
      assert.is((await fetch(url + '/board')).status, 200);
    } finally {
      await stop(run);
    }
  } finally {
    removeDir(cwd);
  }
});

test.run();
