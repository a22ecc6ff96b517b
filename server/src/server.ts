// The one entry point that reads the environment: resolves the data folder (first run writes an
// example config), loads and validates the config (a bad file stops start-up with the
// validator's message, exit 1), opens the state and event log, builds the app and listens.
import { join } from 'node:path';
import {
  displayPath,
  loadAdminToken,
  loadMachinesFile,
  loadUsersFile,
  prepareDataDir,
  readSettings,
  resolvePaths,
  secureDataFiles,
  type Env,
} from './config-loader.js';
import { Store } from './store.js';
import { EventLog } from './event-log.js';
import { createNotifier } from './webhook-notifier.js';
import { buildApp } from './app.js';
import { readDashboardSettings } from './dashboard/settings.js';
import { loggerOptions, readLogSettings } from './logging.js';
import { PRIVATE_UMASK } from './private-files.js';

function fail(message: string): never {
  process.stderr.write(`fobgate: cannot start: ${message}\n`);
  process.exit(1);
}

/** Settings, data folder and config files, each checked (a problem stops start-up, exit 1). */
function loadStartup(env: Env, cwd: string) {
  const settings = readSettings(env);
  if (!settings.ok) fail(settings.message);
  const logging = readLogSettings(env, process.argv.slice(2), process.stdout.isTTY === true);
  if (!logging.ok) fail(logging.message);
  const paths = resolvePaths(env, cwd);
  let created: string[];
  try {
    created = prepareDataDir(paths);
  } catch (e) {
    fail(`data folder ${paths.dataDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const secured = secureDataFiles(paths);
  const machinesLabel = displayPath(paths.machinesPath, cwd);
  const usersLabel = displayPath(paths.usersPath, cwd);
  const machines = loadMachinesFile(paths.machinesPath, machinesLabel);
  if (!machines.ok) fail(machines.message);
  const users = loadUsersFile(paths.usersPath, usersLabel);
  if (!users.ok) fail(users.message);
  const token = loadAdminToken(env, paths.tokenPath);
  if (!token.ok) fail(token.message);
  const dash = readDashboardSettings(env);
  if (!dash.ok) fail(dash.message);
  return { s: settings.value, logging: logging.value, paths, created, secured, machinesLabel, usersLabel, machines, users, token: token.value, dash: dash.value };
}

type Startup = ReturnType<typeof loadStartup>;

/** What the server runs with, printed once it listens (never the admin token itself). */
function printBanner(address: string, st: Startup, cwd: string, out: (line: string) => void): void {
  const { s, paths, created, secured, machinesLabel, usersLabel, machines, users, token, dash } = st;
  out(`fobgate server listening on ${address}`);
  out(`  dashboard:    ${address}/ (sign in with the admin token)`);
  if (dash.dashboard.board !== 'off') out(`  status board: ${address}/board`);
  out(`  API docs:     ${address}/docs`);
  for (const f of created) out(`  created example config ${displayPath(f, cwd)} (edit it, then restart)`);
  out(`  machines:     ${machinesLabel} (${machines.value.names.length} machines)`);
  out(`  users:        ${usersLabel} (${users.value.length} users)`);
  out(`  state:        ${displayPath(paths.stateDir, cwd)}`);
  // The token itself is never printed (console output ends up in journals and CI logs).
  const tokenFile = displayPath(paths.tokenPath, cwd);
  if (token.source === 'env') out('  admin token:  from ADMIN_TOKEN');
  else if (token.source === 'generated') out(`  admin token:  new, written to ${tokenFile} (only your user can read it; the tools read it there)`);
  else out(`  admin token:  in ${tokenFile} (set ADMIN_TOKEN to choose your own)`);
  for (const p of secured.tightened) out(`  made private: ${displayPath(p, cwd)} was readable by other users`);
  for (const p of secured.failed) out(`  warning: ${displayPath(p, cwd)} is readable by other users and cannot be changed by this user`);
  for (const w of machines.warnings.concat(users.warnings)) out(`  warning: ${w}`);
  if (!s.slackControlUrl && !s.slackOopsUrl) out('  Slack:        off (set SLACK_CONTROL_WEBHOOK_URL / SLACK_OOPS_WEBHOOK_URL)');
  out(
    dash.slack
      ? `  Slack commands: ${address}/slack/commands, buttons ${address}/slack/interactivity (control channel ${dash.slack.controlChannelId})`
      : '  Slack commands: off (set SLACK_SIGNING_SECRET and SLACK_CONTROL_CHANNEL_ID)',
  );
}

/** SIGINT / SIGTERM close the app (its saves and streams end), or exit after 5 s whatever. */
function stopOnSignals(app: { close(): Promise<unknown> }, out: (line: string) => void): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`fobgate server stopping (${signal})`);
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(env: Env, cwd: string): Promise<void> {
  // Everything this process creates (state, users.json and its history, the event store, their
  // temp and journal files) is for its own user only, whatever umask it was started with.
  process.umask(PRIVATE_UMASK);
  const st = loadStartup(env, cwd);
  const { s, paths } = st;

  let store: Store;
  try {
    store = await Store.open({ stateDir: paths.stateDir, budgetMs: s.saveBudgetMs });
  } catch (e) {
    fail((e as Error).message);
  }
  const events = EventLog.open(join(paths.stateDir, 'events.db'), { retentionDays: s.eventsRetentionDays });
  // Slack delivery outcomes go to the server's log once the app (and its logger) exists.
  let logSlack: (level: 'info' | 'warn', line: string) => void = (_level, line) => process.stderr.write(line + '\n');
  const notifier = createNotifier({
    controlUrl: s.slackControlUrl ?? undefined,
    oopsUrl: s.slackOopsUrl ?? undefined,
    log: (level, line) => logSlack(level, line),
  });
  const app = await buildApp({
    store,
    events,
    notifier,
    config: { users: st.users.value, machines: st.machines.value, usersPath: paths.usersPath, usersLabel: st.usersLabel },
    usersHistoryDir: paths.usersHistoryDir,
    usersHistoryKeep: s.usersHistoryKeep,
    adminToken: st.token.token,
    budgetMs: s.saveBudgetMs,
    offlineAfterMs: s.offlineAfterS * 1000,
    syncIntervalS: s.syncIntervalS,
    dashboard: st.dash.dashboard,
    slackCommands: st.dash.slack,
    logger: loggerOptions(st.logging),
    accessLog: st.logging.accessLog,
  });

  logSlack = (level, line) => app.log[level]({ slack: true }, line);
  // After a power blip every unit reconnects at once: a backlog of 4096 (Linux caps it at
  // somaxconn) keeps 2,000 simultaneous connects from waiting out SYN retries.
  const address = await app.listen({ host: s.host, port: s.port, backlog: 4096 });
  const out = (line: string) => process.stdout.write(line + '\n');
  printBanner(address, st, cwd, out);
  stopOnSignals(app, out);
}

main(process.env, process.cwd()).catch((e: unknown) => {
  fail(e instanceof Error ? e.message : String(e));
});
