// `npm run users -- import <file>` — for an admin syncing the member database: validates a
// dm_mac users.json or a CSV export with the shared parser, shows what would change against the
// server's list (members by name), refuses a change that removes too many members unless
// --allow-removals, pushes it (unless --dry-run), prints the new list version and which units have
// picked it up (--wait: until every online unit holds it). `history` lists the earlier lists the
// server kept and `rollback [revision]` puts one back.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FleetResponse, MemberName, UserRecord, UsersReplaceResult } from '@fobgate/shared';
import { adminExitCode, AdminError, clientFrom, NO_TOKEN } from './admin-client.js';
import { num, parseArgs, str, UsageError } from './args.js';
import { EXIT } from './exit-codes.js';
import { CSV_HELP, readMembers } from './members-file.js';
import { consoleIo, table, type Io } from './output.js';

export const USERS_HELP = `Usage: npm run users -- import <file> [--dry-run] [--allow-removals] [--wait] [--timeout S]
       npm run users -- history
       npm run users -- rollback [revision] [--dry-run] [--allow-removals]
       (all take [--server URL] [--token TOKEN])

import    Imports the members list into the fobgate server. <file> is dm_mac's users.json
          (a JSON array) or a CSV export (.csv). Every problem is listed with its line (CSV)
          or JSON path; nothing is changed on the server when validation fails. A list that
          removes more than max(5, 10 %) of the members, or all of them (an empty or cut-off
          export), is refused unless --allow-removals is given; the members it would remove
          are listed by name.
history   Lists the earlier members lists the server kept (every list an import, rollback or
          reload replaced), newest first.
rollback  Puts an earlier members list back in force: the given revision, or the newest one
          kept (the list before the last change). The list in force is kept as a new
          revision first, so a rollback can be undone the same way.

  --dry-run         validate and show the changes, change nothing
  --allow-removals  let this change remove more members than the limit
  --wait            after pushing, wait until every online unit holds the new list
  --timeout S       how long --wait waits (default 120 s)
  --server URL      fobgate server (default $FOBGATE_SERVER or http://127.0.0.1:3000)
  --token TOKEN     admin token (default $FOBGATE_ADMIN_TOKEN, $ADMIN_TOKEN, or ./data/admin-token)

${CSV_HELP}

Exit codes: 0 ok, 1 validation failed, too many removals or the server rejected the list,
2 bad usage, 3 server unreachable or token refused, 5 --wait timed out.`;

function who(m: MemberName): string {
  return m.full_name ? `${m.account_id} ${m.full_name}` : m.account_id;
}

export function diffLines(r: UsersReplaceResult): string[] {
  const lines: string[] = [];
  const added = r.added_members ?? r.added.map((id) => ({ account_id: id, full_name: '' }));
  const removed = r.removed_members ?? r.removed.map((id) => ({ account_id: id, full_name: '' }));
  for (const m of added) lines.push(`  + ${who(m)}`);
  for (const m of removed) lines.push(`  - ${who(m)}`);
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

/** Why a change is refused without --allow-removals (one line per reason). */
export function removalRefusal(r: UsersReplaceResult, what: string): string[] {
  const current = r.members_before;
  const all = current > 0 && r.removed.length === current;
  return [
    `users: refusing ${what}: it removes ${r.removed.length} of the ${current} members` +
      (all ? ' (every member: is the file empty or cut off?)' : `, more than the ${r.removal_limit} one change may remove`) +
      '.',
    'users: check the members listed with "-" above; if removing them is intended, run again with --allow-removals.',
  ];
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

type Client = NonNullable<ReturnType<typeof clientFrom>>;

/** The subcommand and its argument, or what is wrong with them (a usage message). */
function commandOf(positionals: string[]): { cmd: 'import' | 'history' | 'rollback'; arg: string | undefined; revision: number | null } | string {
  const [cmd, arg, extra] = positionals;
  if (cmd === 'import') {
    if (!arg || extra !== undefined) return 'expected "import <file>"';
    return { cmd, arg, revision: null };
  }
  if (cmd === 'history') {
    if (arg !== undefined) return '"history" takes no argument';
    return { cmd, arg, revision: null };
  }
  if (cmd === 'rollback') {
    if (extra !== undefined) return 'expected "rollback [revision]"';
    if (arg === undefined) return { cmd, arg, revision: null };
    if (!/^[1-9][0-9]{0,8}$/.test(arg)) return `revision must be a whole number (see "users -- history"), got "${arg}"`;
    return { cmd, arg, revision: Number(arg) };
  }
  return 'expected "import <file>", "history" or "rollback [revision]"';
}

/** The members file, read and checked here (nothing is sent when it has a problem): the members, or the exit code. */
function readImport(file: string, io: Io): UserRecord[] | number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    io.err(`users: cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return EXIT.USAGE;
  }
  const read = readMembers(text, file);
  for (const w of read.warnings) io.err(`warning: ${w}`);
  if (!read.users) {
    for (const e of read.errors) io.err(`error: ${e}`);
    io.err(`users: ${read.errors.length} problem(s) in ${file}; nothing was sent to the server`);
    return EXIT.FAILED;
  }
  io.out(`${file}: ${read.users.length} members, valid`);
  return read.users;
}

/** Which units hold the new list version; with `wait`, until every online unit does (or the timeout). */
async function reportPickup(client: Client, version: number, wait: boolean, timeoutS: number, intervalS: number, io: Io): Promise<number> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const p = pickup(await client.fleet(), version);
    if (!wait || p.waiting.length === 0) {
      for (const l of p.lines) io.out(l);
      if (wait) io.out('Every online unit holds the new list.');
      return EXIT.OK;
    }
    if (Date.now() >= deadline) {
      for (const l of p.lines) io.out(l);
      io.err(`users: after ${timeoutS} s, ${p.waiting.length} online unit(s) still do not hold v${version}: ${p.waiting.join(', ')}`);
      return EXIT.TIMEOUT;
    }
    io.err(`waiting for ${p.waiting.length} unit(s): ${p.waiting.join(', ')}`);
    await new Promise((r) => setTimeout(r, intervalS * 1000));
  }
}

export async function usersMain(argv: string[], io: Io = consoleIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs(argv, { values: ['server', 'token', 'timeout', 'interval'], switches: ['dry-run', 'wait', 'allow-removals'] });
  } catch (e) {
    io.err(`users: ${(e as Error).message}`);
    return EXIT.USAGE;
  }
  if (args.flags.help) {
    io.out(USERS_HELP);
    return EXIT.OK;
  }
  const command = commandOf(args.positionals);
  if (typeof command === 'string') {
    io.err(`users: ${command} (see --help)`);
    return EXIT.USAGE;
  }
  const { cmd, arg, revision } = command;
  let timeoutS: number;
  let intervalS: number;
  try {
    timeoutS = num(args, 'timeout', 120);
    intervalS = num(args, 'interval', 1);
  } catch (e) {
    io.err(`users: ${(e as UsageError).message}`);
    return EXIT.USAGE;
  }
  let members: UserRecord[] | null = null;
  if (cmd === 'import') {
    const read = readImport(arg!, io);
    if (typeof read === 'number') return read;
    members = read;
  }
  const client = clientFrom(str(args, 'server'), str(args, 'token'), env);
  if (!client) {
    io.err(`users: ${NO_TOKEN}`);
    return EXIT.USAGE;
  }
  try {
    if (cmd === 'history') return await history(client, io);
    const dryRun = args.flags['dry-run'] === true;
    const allow = args.flags['allow-removals'] === true;
    const change = (d: boolean) => (members ? client.replaceUsers(members, d, allow) : client.rollbackUsers(revision, d, allow));
    const what = members ? `this import` : `the rollback to ${revision === null ? 'the newest revision' : 'revision ' + revision}`;
    // What would change first: the admin sees the members it would remove, by name, before anything happens.
    const preview = await change(true);
    for (const w of preview.warnings) io.err(`warning: ${w}`);
    io.out(`Changes ${what} would make:`);
    for (const l of diffLines(preview)) io.out(l);
    if (preview.removals_need_confirmation && !allow) {
      for (const l of removalRefusal(preview, what)) io.err(l);
      io.err('users: nothing was changed on the server.');
      return EXIT.FAILED;
    }
    if (dryRun) {
      io.out('Dry run: nothing was changed on the server.');
      return EXIT.OK;
    }
    const result = await change(false);
    io.out(`Changes made: ${result.added.length} added, ${result.removed.length} removed, ${result.changed.length} changed.`);
    if (result.previous_revision !== null) {
      io.out(`The previous members list is kept as revision ${result.previous_revision} (undo: npm run users -- rollback ${result.previous_revision}).`);
    }
    io.out(`New authorization list version: ${result.version}`);
    return await reportPickup(client, result.version, args.flags.wait === true, timeoutS, intervalS, io);
  } catch (e) {
    if (e instanceof AdminError) {
      io.err(`users: ${e.message}`);
      return adminExitCode(e);
    }
    throw e;
  }
}

async function history(client: Client, io: Io): Promise<number> {
  const h = await client.usersHistory();
  io.out(`In force now: ${h.current_members} members`);
  if (h.revisions.length === 0) {
    io.out('No earlier members list is kept yet (one is kept each time the list is replaced).');
    return EXIT.OK;
  }
  const rows = h.revisions.map((r) => [
    String(r.revision),
    r.saved_at > 0 ? new Date(r.saved_at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '?',
    r.members >= 0 ? String(r.members) : '?',
    r.reason,
  ]);
  for (const l of table(['REVISION', 'KEPT AT', 'MEMBERS', 'REPLACED BY'], rows)) io.out(l);
  io.out('Put one back in force: npm run users -- rollback <revision> (without a revision: the newest).');
  return EXIT.OK;
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  usersMain(process.argv.slice(2)).then((code) => process.exit(code));
}
