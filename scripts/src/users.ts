// `npm run users -- import <file>` — for an admin syncing the member database: validates a
// dm_mac users.json or a CSV export with the shared parser, shows what would change against the
// server's list, pushes it (unless --dry-run), prints the new list version and which units have
// picked it up (--wait: until every online unit holds it).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FleetResponse, UsersReplaceResult } from '@fobgate/shared';
import { adminExitCode, AdminError, clientFrom, NO_TOKEN } from './admin-client.js';
import { num, parseArgs, str, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { CSV_HELP, readMembers } from './members-file.js';
import { consoleIo, type Io } from './output.js';

export const USERS_HELP = `Usage: npm run users -- import <file> [--dry-run] [--wait] [--timeout S]
                         [--server URL] [--token TOKEN]

Imports the members list into the fobgate server. <file> is dm_mac's users.json
(a JSON array) or a CSV export (.csv). Every problem is listed with its line (CSV)
or JSON path; nothing is changed on the server when validation fails.

  --dry-run       validate and show the changes, change nothing
  --wait          after pushing, wait until every online unit holds the new list
  --timeout S     how long --wait waits (default 120 s)
  --server URL    fobgate server (default $FOBGATE_SERVER or http://127.0.0.1:3000)
  --token TOKEN   admin token (default $FOBGATE_ADMIN_TOKEN, $ADMIN_TOKEN, or ./data/admin-token)

${CSV_HELP}

Exit codes: 0 ok, 1 validation failed or the server rejected the list, 2 bad usage,
3 server unreachable or token refused, 5 --wait timed out.`;

export function diffLines(r: UsersReplaceResult): string[] {
  const lines: string[] = [];
  for (const id of r.added) lines.push(`  + ${id}`);
  for (const id of r.removed) lines.push(`  - ${id}`);
  for (const c of r.changed) {
    const parts: string[] = [];
    const fobs = [...c.fobs_added.map((f) => '+' + f), ...c.fobs_removed.map((f) => '-' + f)];
    if (fobs.length) parts.push(`fobs ${fobs.join(' ')}`);
    const auth = [...c.authorizations_added.map((a) => '+' + a), ...c.authorizations_removed.map((a) => '-' + a)];
    if (auth.length) parts.push(`authorizations ${auth.join(' ')}`);
    if (c.fields.length) parts.push(c.fields.join(', '));
    lines.push(`  ~ ${c.account_id} ${c.full_name}: ${parts.join('; ')}`);
  }
  lines.push(`${r.added.length} added, ${r.removed.length} removed, ${r.changed.length} changed`);
  return lines;
}

/** Units that report to us (fobgate units that have checked in) and whether they hold `version`. */
export function pickup(f: FleetResponse, version: number): { lines: string[]; waiting: string[] } {
  const lines: string[] = [];
  const waiting: string[] = [];
  for (const m of f.machines) {
    if (m.kind !== 'fobgate') continue;
    const held = m.list_version_held;
    // a list this server did not issue does not count, whatever number it carries
    const has = held !== null && held >= version && !m.list_unrecognized;
    if (!has && m.online) waiting.push(m.name);
    const state = has ? 'has it' : m.online ? 'not yet' : 'offline, will get it at its next sync';
    lines.push(`  ${m.name.padEnd(20)} holds ${held === null ? '-' : 'v' + held}  ${state}`);
  }
  return { lines, waiting };
}

export async function usersMain(argv: string[], io: Io = consoleIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { values: ['server', 'token', 'timeout', 'interval'], switches: ['dry-run', 'wait'] });
  } catch (e) {
    io.err(`users: ${(e as Error).message}`);
    return EXIT.USAGE;
  }
  if (args.flags.help) {
    io.out(USERS_HELP);
    return EXIT.OK;
  }
  const [cmd, file, extra] = args.positionals;
  if (cmd !== 'import' || !file || extra !== undefined) {
    io.err(`users: expected "import <file>" (see --help)`);
    return EXIT.USAGE;
  }
  let timeoutS: number;
  let intervalS: number;
  try {
    timeoutS = num(args, 'timeout', 120);
    intervalS = num(args, 'interval', 1);
  } catch (e) {
    io.err(`users: ${(e as UsageError).message}`);
    return EXIT.USAGE;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    io.err(`users: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return EXIT.USAGE;
  }
  const members = readMembers(text, file);
  for (const w of members.warnings) io.err(`warning: ${w}`);
  if (!members.users) {
    for (const e of members.errors) io.err(`error: ${e}`);
    io.err(`users: ${members.errors.length} problem(s) in ${file}; nothing was sent to the server`);
    return EXIT.FAILED;
  }
  io.out(`${file}: ${members.users.length} members, valid`);
  const client = clientFrom(str(args, 'server'), str(args, 'token'), env);
  if (!client) {
    io.err(`users: ${NO_TOKEN}`);
    return EXIT.USAGE;
  }
  const dryRun = args.flags['dry-run'] === true;
  try {
    const result = await client.replaceUsers(members.users, dryRun);
    for (const w of result.warnings) io.err(`warning: ${w}`);
    io.out(dryRun ? 'Changes this import would make:' : 'Changes made:');
    for (const l of diffLines(result)) io.out(l);
    if (dryRun) {
      io.out('Dry run: nothing was changed on the server.');
      return EXIT.OK;
    }
    io.out(`New authorization list version: ${result.version}`);
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const p = pickup(await client.fleet(), result.version);
      if (!args.flags.wait || p.waiting.length === 0) {
        for (const l of p.lines) io.out(l);
        if (args.flags.wait) io.out('Every online unit holds the new list.');
        return EXIT.OK;
      }
      if (Date.now() >= deadline) {
        for (const l of p.lines) io.out(l);
        io.err(`users: after ${timeoutS} s, ${p.waiting.length} online unit(s) still do not hold v${result.version}: ${p.waiting.join(', ')}`);
        return EXIT.TIMEOUT;
      }
      io.err(`waiting for ${p.waiting.length} unit(s): ${p.waiting.join(', ')}`);
      await new Promise((r) => setTimeout(r, intervalS * 1000));
    }
  } catch (e) {
    if (e instanceof AdminError) {
      io.err(`users: ${e.message}`);
      return adminExitCode(e);
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  usersMain(process.argv.slice(2)).then((code) => process.exit(code));
}
