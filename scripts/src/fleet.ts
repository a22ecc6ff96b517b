// `npm run fleet` — the fleet table for admins: which machines are online and since when, who is
// using them, oops/lockout, the authorization list each unit holds versus the latest, firmware,
// Wi-Fi signal and the last event. `--json` prints the server's answer for scripts.
import { pathToFileURL } from 'node:url';
import type { FleetResponse, FleetRow } from '@fobgate/shared';
import { adminExitCode, AdminError, clientFrom, NO_TOKEN } from './admin-client.js';
import { parseArgs, str } from './args.js';
import { EXIT } from './exit-codes.js';
import { ago, consoleIo, table, type Io } from './output.js';

export const FLEET_HELP = `Usage: npm run fleet -- [--json] [--server URL] [--token TOKEN]

Shows every machine the server knows: online/offline and since when, current user,
OOPS/LOCKOUT flags, LOST:n (events the unit lost to a full buffer), authorization list version held by the unit vs the latest,
firmware version, Wi-Fi signal and the last event.

  --json          print the raw JSON (for scripts)
  --server URL    fobgate server (default $FOBGATE_SERVER or http://127.0.0.1:3000)
  --token TOKEN   admin token (default $FOBGATE_ADMIN_TOKEN, $ADMIN_TOKEN, or ./data/admin-token)

Exit codes: 0 ok, 2 bad usage, 3 server unreachable or token refused.`;

function status(r: FleetRow, now: number): string {
  if (r.kind === 'none' || r.last_checkin === null) return 'never seen';
  const since = r.status_since === null ? '' : ` ${ago(now - r.status_since)}`;
  return r.online ? `online${since}` : `OFFLINE${since}`;
}

function listCell(r: FleetRow): string {
  if (r.kind === 'legacy') return 'legacy';
  if (r.list_version_held === null) return `-/${r.list_version_latest}`;
  if (r.list_unrecognized) return `${r.list_version_held}?/${r.list_version_latest} (not issued here)`;
  const mark = r.list_version_held < r.list_version_latest ? ' (behind)' : '';
  return `${r.list_version_held}/${r.list_version_latest}${mark}`;
}

export function fleetTable(f: FleetResponse): string[] {
  const rows = f.machines.map((r) => [
    r.display_name === r.name ? r.name : `${r.name} (${r.display_name})`,
    status(r, f.time),
    r.user ? r.user.full_name : r.relay ? '(always on)' : '',
    [r.oopsed ? 'OOPS' : '', r.locked_out ? 'LOCKOUT' : '', r.events_dropped > 0 ? `LOST:${r.events_dropped}` : ''].filter(Boolean).join(' '),
    r.relay ? (r.second_relay ? 'on+2nd' : 'on') : 'off',
    listCell(r),
    r.firmware ?? '',
    r.wifi_signal_db === null ? '' : `${r.wifi_signal_db} dB`,
    r.last_event ? `${r.last_event.summary} (${ago(f.time - r.last_event.at)} ago)` : '',
  ]);
  const online = f.machines.filter((m) => m.online).length;
  const lost = f.machines
    .filter((m) => m.events_dropped > 0)
    .map((m) => `${m.name} lost ${m.events_dropped} event${m.events_dropped === 1 ? '' : 's'} to a full buffer` + (m.events_dropped_at !== null ? ` (last ${ago(f.time - m.events_dropped_at)} ago)` : ''));
  return [
    ...table(['MACHINE', 'STATUS', 'USER', 'FLAGS', 'RELAY', 'LIST', 'FIRMWARE', 'WIFI', 'LAST EVENT'], rows),
    '',
    `${f.machines.length} machines, ${online} online; latest list version ${f.list_version_latest}`,
    ...lost.map((l) => `warning: ${l}: those sessions and alerts are missing from the audit log`),
  ];
}

export async function fleetMain(argv: string[], io: Io = consoleIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { values: ['server', 'token'], switches: ['json'] });
  } catch (e) {
    io.err(`fleet: ${(e as Error).message}`);
    return EXIT.USAGE;
  }
  if (args.flags.help) {
    io.out(FLEET_HELP);
    return EXIT.OK;
  }
  if (args.positionals.length) {
    io.err(`fleet: unexpected argument "${args.positionals[0]}" (see --help)`);
    return EXIT.USAGE;
  }
  const client = clientFrom(str(args, 'server'), str(args, 'token'), env);
  if (!client) {
    io.err(`fleet: ${NO_TOKEN}`);
    return EXIT.USAGE;
  }
  try {
    const f = await client.fleet();
    if (args.flags.json) io.out(JSON.stringify(f, null, 2));
    else for (const l of fleetTable(f)) io.out(l);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof AdminError) {
      io.err(`fleet: ${e.message}`);
      return adminExitCode(e);
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  fleetMain(process.argv.slice(2)).then((code) => process.exit(code));
}
