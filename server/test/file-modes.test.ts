// Secrets and member data on the server's disk (issue 8.6): the real server, started under
// umask 022, keeps its folders 0700 and its files 0600 (state.json with every unit key, users.json
// and its history, the event log, the admin token); files an older version left readable are made
// private at start; the admin token, unit keys and signatures never reach the console or the log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIGNATURE_HEADER, SYNC_PATH } from '@fobgate/shared';
import { hmacHex } from '../src/auth.js';
import { removeDir, tempDir } from './helpers.js';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

interface Run {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** The real server in `cwd` under umask 022 (what a default login shell gives it). */
function start(cwd: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'trace' };
  for (const k of ['USERS_CONFIG', 'MACHINES_CONFIG', 'MACHINE_STATE_DIR', 'ADMIN_TOKEN', 'FOBGATE_DATA_DIR', 'SLACK_CONTROL_WEBHOOK_URL', 'SLACK_OOPS_WEBHOOK_URL']) delete env[k];
  const cmd = `umask 022 && exec "${process.execPath}" --import "${TSX}" "${SERVER}"`;
  const child = spawn('/bin/sh', ['-c', cmd], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

async function listening(run: Run): Promise<string> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.out());
    if (m) return m[1];
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start:\n' + run.out());
}

/** Waits until the start-up lines are out (they follow "listening on"). */
async function printed(run: Run, re: RegExp): Promise<void> {
  const until = Date.now() + 60_000;
  while (!re.test(run.out())) {
    if (Date.now() > until || run.child.exitCode !== null) throw new Error(`no ${re} in:\n${run.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(run: Run): Promise<void> {
  if (run.child.exitCode === null) run.child.kill('SIGTERM');
  await run.exited;
}

/** Every file and folder under `dir` whose mode lets group or others in, with its mode. */
function looseModes(dir: string): string[] {
  const loose: string[] = [];
  const walk = (p: string) => {
    const st = lstatSync(p);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want) loose.push(`${p.slice(dir.length) || '/'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return loose;
}

test('under umask 022 every folder is 0700 and every file 0600; older loose files are tightened; no secret is printed or logged', async () => {
  const cwd = tempDir();
  const data = join(cwd, 'data');
  let run = start(cwd);
  try {
    const url = await listening(run);
    await printed(run, /admin token:.*\n/);
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.match(run.out(), 'admin token:  new, written to data/admin-token');
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    // a unit key in the state journal, member data in users.json (and its history), events in the log
    let r = await fetch(`${url}/api/admin/units`, { method: 'POST', headers: auth, body: JSON.stringify({ machine: 'lathe' }) });
    assert.is(r.status, 200);
    const key = ((await r.json()) as { key: string }).key;
    const users = (await (await fetch(`${url}/api/admin/users`, { headers: auth })).json()) as Array<Record<string, unknown>>;
    users[0] = { ...users[0], preferred_name: 'Countess' };
    r = await fetch(`${url}/api/admin/users`, { method: 'PUT', headers: auth, body: JSON.stringify(users) });
    assert.is(r.status, 200, await r.text());
    const body = JSON.stringify({
      machine: 'lathe', counter: 1, fw: 't', up: 1000, boot_count: 1, list_version: 0, list_digest: '', command_ack: 0,
      state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: 'x' },
      telemetry: { wifi_signal_db: null, free_vars: null, temp_c10: null },
      events: [{ seq: 1, type: 'boot', at: 0, up: 0 }], dropped_events: 0,
    });
    const sig = hmacHex(key, body);
    r = await fetch(`${url}${SYNC_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sig }, body });
    assert.is(r.status, 200, await r.text());
    await stop(run);

    assert.ok(readFileSync(join(data, 'state', 'state.journal'), 'utf8').includes(key), 'the key is in the state journal');
    assert.ok(readdirSync(join(data, 'users-history')).length >= 1, 'the previous users.json was kept');
    assert.equal(looseModes(data), [], 'folders 0700, files 0600');
    const logged = run.out();
    assert.match(logged, 'incoming request', 'trace logging was on');
    for (const [what, secret] of [['admin token', token], ['unit key', key], ['signature', sig]]) {
      assert.not.ok(logged.includes(secret), `${what} in the console or log`);
    }

    // an older version left things readable: the next start makes them private again
    chmodSync(data, 0o755);
    chmodSync(join(data, 'state'), 0o755);
    for (const f of ['state/state.journal', 'state/events.db', 'users.json', 'admin-token']) chmodSync(join(data, f), 0o644);
    writeFileSync(join(data, 'state', 'state.journal.tmp'), '{}', { mode: 0o644 });
    run = start(cwd);
    await listening(run);
    await printed(run, /admin token:.*\n[\s\S]*made private: .*\n/);
    assert.match(run.out(), 'admin token:  in data/admin-token');
    assert.match(run.out(), 'made private: data/state/state.journal was readable by other users');
    assert.not.ok(run.out().includes(token), 'the token is not printed on later starts either');
    await stop(run);
    assert.equal(looseModes(data), []);
  } finally {
    await stop(run);
    removeDir(cwd);
  }
});

test.run();
