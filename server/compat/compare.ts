// Black-box comparison of fobgate's server with a real dm_mac: every case starts both servers
// fresh over the same users.json / machines.json, sends each step to both, and diffs the answers,
// the dm_mac metric samples and the Slack texts after every step. Differences are reported as
// documented (a deliberate difference named in docs/dm-mac-compat.md, or JSON 4xx errors) or
// not. How to run it: server/compat/README.md.
//
//   npx tsx server/compat/compare.ts --dm-mac /path/to/dm_mac-checkout [--python python3]
//        [--case <name-part>] [--json report.json] [--keep] [--quiet] [--verbose]
import { writeFileSync } from 'node:fs';
import { CASES } from './cases.js';
import { MACHINES, USERS, USERS_MTIME_S } from './fixtures.js';
import { diffOutcomes, outcomeOf, parseScrape, type Difference, type Outcome, type Scrape } from './normalise.js';
import { Side, type Answer, type SideName } from './sides.js';
import type { Case, Step } from './steps.js';

const ADMIN_TOKEN = 'compat-admin-token-0123456789abcdef';
const QUIET_MS = 150;

interface Args {
  dmMac: string;
  python: string;
  only: string[];
  json: string | null;
  keep: boolean;
  quiet: boolean;
  /** Print every step's answers and Slack texts (both sides), not only differences. */
  verbose: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dmMac: process.env.DM_MAC_DIR ?? '', python: 'python3', only: [], json: null, keep: false, quiet: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--dm-mac') a.dmMac = argv[++i];
    else if (v === '--python') a.python = argv[++i];
    else if (v === '--case') a.only.push(argv[++i]);
    else if (v === '--json') a.json = argv[++i];
    else if (v === '--keep') a.keep = true;
    else if (v === '--quiet') a.quiet = true;
    else if (v === '--verbose') a.verbose = true;
    else throw new Error(`unknown argument ${v} (see server/compat/README.md)`);
  }
  if (!a.dmMac) throw new Error('--dm-mac <dm_mac checkout> (or DM_MAC_DIR) is required');
  return a;
}

export interface StepReport {
  index: number;
  step: string;
  differences: (Difference & { documented: string | null })[];
}

export interface CaseReport {
  name: string;
  what: string;
  steps: number;
  differences: number;
  documented: number;
  undocumented: number;
  details: StepReport[];
}

/** One case's unit-side memory: the card in each reader and each unit's uptime. */
class Units {
  private cards = new Map<string, string>();
  private uptimes = new Map<string, number>();

  body(s: Extract<Step, { op: 'update' }>): Record<string, unknown> {
    if (s.card !== undefined) this.cards.set(s.m, s.card);
    let up = this.uptimes.get(s.m) ?? 50;
    up = s.reboot ? 3.5 : up + 10;
    this.uptimes.set(s.m, up);
    const body: Record<string, unknown> = {
      machine_name: s.m,
      oops: s.oops === true,
      rfid_value: this.cards.get(s.m) ?? '',
      uptime: Math.round(up * 1000) / 1000,
      wifi_signal_db: -61,
      wifi_signal_percent: 78,
      internal_temperature_c: 47.25,
      second_relay_state: false,
      ...(s.tele ?? {}),
      ...(s.extra ?? {}),
    };
    for (const k of s.omit ?? []) delete body[k];
    return body;
  }
}

function describe(s: Step): string {
  switch (s.op) {
    case 'update': {
      const parts = [`update ${s.m}`];
      if (s.card !== undefined) parts.push(s.card === '' ? 'card pulled' : `card ${s.card}`);
      if (s.oops) parts.push('oops pressed');
      if (s.reboot) parts.push('rebooted');
      if (s.tele) parts.push(`telemetry ${JSON.stringify(s.tele)}`);
      if (s.omit) parts.push(`without ${s.omit.join(',')}`);
      if (s.extra) parts.push(`extra ${JSON.stringify(s.extra)}`);
      return parts.join(', ');
    }
    case 'admin':
      return `admin ${s.action} ${s.m}${s.noToken ? ' (fobgate without token)' : ''}`;
    case 'reload':
      return `reload-users${s.noToken ? ' (fobgate without token)' : ''}`;
    case 'http':
      return `${s.method} ${s.path}${s.text !== undefined ? ` body ${JSON.stringify(s.text)}` : s.json !== undefined ? ` json ${JSON.stringify(s.json)}` : ''}${s.contentType ? ` (${s.contentType})` : ''}`;
    case 'users':
      return s.text !== undefined ? `users.json := ${JSON.stringify(s.text.slice(0, 40))}` : 'users.json rewritten';
    case 'machines':
      return 'machines.json rewritten';
    case 'restart':
      return 'restart both servers';
    case 'sleep':
      return `wait ${s.ms} ms`;
    case 'stall':
      return `disk stuck for ${s.machines.join(', ')}`;
    case 'unstall':
      return 'disk unstuck';
  }
}

const ADMIN_PATH: Record<string, [string, string]> = {
  oops: ['POST', 'oops'],
  unoops: ['DELETE', 'oops'],
  lock: ['POST', 'locked_out'],
  unlock: ['DELETE', 'locked_out'],
};

interface Request {
  method: string;
  path: string;
  body?: string;
  headers: Record<string, string>;
  admin: boolean;
  noToken: boolean;
}

function requestOf(s: Step, units: Units): Request | null {
  switch (s.op) {
    case 'update':
      return {
        method: 'POST',
        path: '/api/machine/update',
        body: JSON.stringify(units.body(s)),
        headers: { 'content-type': 'application/json' },
        admin: false,
        noToken: false,
      };
    case 'admin': {
      const [method, what] = ADMIN_PATH[s.action];
      return { method, path: `/api/machine/${what}/${s.m}`, headers: {}, admin: true, noToken: s.noToken === true };
    }
    case 'reload':
      return { method: 'POST', path: '/api/reload-users', headers: {}, admin: true, noToken: s.noToken === true };
    case 'http': {
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (s.text !== undefined) body = s.text;
      else if (s.json !== undefined) body = JSON.stringify(s.json);
      if (body !== undefined || s.contentType) headers['content-type'] = s.contentType ?? 'application/json';
      return { method: s.method, path: s.path, body, headers, admin: s.admin === true, noToken: false };
    }
    default:
      return null;
  }
}

async function sendTo(side: Side, r: Request): Promise<Answer> {
  const headers = { ...r.headers };
  if (side.name === 'fobgate' && r.admin && !r.noToken) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  return side.send(r.method, r.path, r.body, headers);
}

async function scrape(side: Side): Promise<Scrape> {
  const a = await side.send('GET', '/metrics', undefined, {});
  // a failing /metrics is compared as it is (dm_mac's breaks on telemetry sent as text)
  if (a.status !== 200) return { samples: new Map([[`(GET /metrics answered ${a.status})`, 1]]), types: new Map() };
  return parseScrape(a.text);
}

/** Waits until neither Slack receiver got anything for QUIET_MS (3 s at most). */
async function slackSettled(sides: Side[]): Promise<void> {
  const start = Date.now();
  await new Promise((r) => setTimeout(r, QUIET_MS));
  while (Date.now() - start < 3000) {
    const last = Math.max(...sides.map((s) => s.slack.lastAt));
    if (Date.now() - last >= QUIET_MS) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Deliberate difference 9 (errors are JSON 4xx): dm_mac's HTML page or 500 against our JSON 4xx. */
function isJsonErrorDifference(aspect: string, d: Outcome, f: Outcome): boolean {
  if (aspect !== 'status' && aspect !== 'body' && aspect !== 'content-type') return false;
  const ours = f.status !== null && f.status >= 400 && f.status < 500 && f.bodyIsJson;
  const theirs = d.status !== null && d.status >= 400 && (!d.bodyIsJson || d.status === 500);
  return ours && theirs && typeof (f.body as { error?: unknown }).error === 'string';
}

function classify(diffs: Difference[], step: Step | null, d: Outcome, f: Outcome): (Difference & { documented: string | null })[] {
  return diffs.map((x) => {
    const doc = step?.doc?.find(
      (dd) => dd.aspects.test(x.aspect) && (!dd.values || (dd.values[0].test(x.dm_mac) && dd.values[1].test(x.fobgate))),
    );
    if (doc) return { ...x, documented: doc.ref };
    if (isJsonErrorDifference(x.aspect, d, f)) return { ...x, documented: '9 (JSON 4xx errors)' };
    return { ...x, documented: null };
  });
}

async function runCase(c: Case, args: Args): Promise<CaseReport> {
  const users = JSON.stringify(c.users ?? USERS, null, 2);
  const machines = JSON.stringify(c.machines ?? MACHINES, null, 2);
  const opts = { users, machines, usersMtimeS: USERS_MTIME_S, dmMacDir: args.dmMac, python: args.python, adminToken: ADMIN_TOKEN };
  const sides: Record<SideName, Side> = { dm_mac: new Side('dm_mac', opts), fobgate: new Side('fobgate', opts) };
  const both = [sides.dm_mac, sides.fobgate];
  const report: CaseReport = { name: c.name, what: c.what, steps: c.steps.length, differences: 0, documented: 0, undocumented: 0, details: [] };
  try {
    await Promise.all(both.map((s) => s.start()));
    const units = new Units();
    let prev: Record<SideName, Scrape | null> = { dm_mac: null, fobgate: null };
    let mtime = USERS_MTIME_S;
    const steps: (Step | null)[] = [null, ...c.steps];
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i];
      const before = { dm_mac: sides.dm_mac.slack.posts.length, fobgate: sides.fobgate.slack.posts.length };
      let answers: Record<SideName, Answer | null> = { dm_mac: null, fobgate: null };
      const req = s ? requestOf(s, units) : null;
      if (s && req) {
        const [ad, af] = await Promise.all([sendTo(sides.dm_mac, req), sendTo(sides.fobgate, req)]);
        answers = { dm_mac: ad, fobgate: af };
      } else if (s?.op === 'users') {
        mtime += 60;
        const text = s.text ?? JSON.stringify(s.raw, null, 2);
        for (const side of both) side.writeUsers(text, mtime);
      } else if (s?.op === 'machines') {
        for (const side of both) side.writeMachines(JSON.stringify(s.raw, null, 2));
      } else if (s?.op === 'restart') {
        await Promise.all(both.map((x) => x.restart()));
      } else if (s?.op === 'sleep') {
        await new Promise((r) => setTimeout(r, s.ms));
      } else if (s?.op === 'stall') {
        await Promise.all(both.map((x) => x.stall(s.machines)));
      } else if (s?.op === 'unstall') {
        await Promise.all(both.map((x) => x.unstall()));
      }
      await slackSettled(both);
      const [sd, sf] = await Promise.all([scrape(sides.dm_mac), scrape(sides.fobgate)]);
      const url = req ? `http://127.0.0.1${req.path}` : 'http://127.0.0.1/';
      const od = outcomeOf(answers.dm_mac, url, sd, prev.dm_mac, sides.dm_mac.slack.since(before.dm_mac), 'dm_mac');
      const of = outcomeOf(answers.fobgate, url, sf, prev.fobgate, sides.fobgate.slack.since(before.fobgate), 'fobgate');
      // after a failed /metrics, times are compared with the last scrape that worked
      prev = { dm_mac: sd.types.size > 0 ? sd : prev.dm_mac, fobgate: sf.types.size > 0 ? sf : prev.fobgate };
      if (args.verbose) {
        console.log(`  [${c.name} ${i}] ${s ? describe(s) : 'fresh servers'}`);
        for (const [name, o] of [['dm_mac', od], ['fobgate', of]] as const) {
          const slack = [...o.slack.control.map((x) => `control: ${x}`), ...o.slack.oops.map((x) => `oops: ${x}`)];
          console.log(`    ${name}: ${o.status ?? ''} ${o.status !== null ? JSON.stringify(o.body) : ''}${slack.length ? `\n      ${slack.join('\n      ')}` : ''}`);
        }
      }
      const diffs = classify(diffOutcomes(od, of), s, od, of);
      if (diffs.length > 0) {
        report.details.push({ index: i, step: s ? describe(s) : 'fresh servers', differences: diffs });
        report.differences += diffs.length;
        report.documented += diffs.filter((x) => x.documented !== null).length;
        report.undocumented += diffs.filter((x) => x.documented === null).length;
      }
    }
  } catch (e) {
    report.details.push({
      index: -1,
      step: 'run',
      differences: [
        {
          aspect: 'error',
          dm_mac: sides.dm_mac.output().slice(-2000),
          fobgate: `${(e as Error).message}\n${sides.fobgate.output().slice(-2000)}`,
          documented: null,
        },
      ],
    });
    report.undocumented++;
    report.differences++;
  } finally {
    await Promise.all(both.map((s) => s.close(args.keep)));
  }
  return report;
}

function print(r: CaseReport, quiet: boolean): void {
  const mark = r.undocumented > 0 ? 'DIFF' : 'same';
  console.log(`${mark} ${r.name}: ${r.steps} steps, ${r.documented} documented, ${r.undocumented} undocumented`);
  for (const st of r.details) {
    const shown = quiet ? st.differences.filter((x) => x.documented === null) : st.differences;
    if (shown.length === 0) continue;
    console.log(`     step ${st.index}: ${st.step}`);
    for (const x of shown) {
      const tag = x.documented ? `[documented ${x.documented}]` : '[UNDOCUMENTED]';
      console.log(`       ${tag} ${x.aspect}\n         dm_mac:  ${x.dm_mac}\n         fobgate: ${x.fobgate}`);
    }
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // --case: a sequence's exact name, or else a part of names
  const exact = new Set(CASES.map((c) => c.name));
  const cases = CASES.filter(
    (c) => args.only.length === 0 || args.only.some((o) => (exact.has(o) ? c.name === o : c.name.includes(o))),
  );
  const reports: CaseReport[] = [];
  for (const c of cases) {
    const r = await runCase(c, args);
    print(r, args.quiet);
    reports.push(r);
  }
  const steps = reports.reduce((n, r) => n + r.steps, 0);
  const documented = reports.reduce((n, r) => n + r.documented, 0);
  const undocumented = reports.reduce((n, r) => n + r.undocumented, 0);
  console.log(
    `\n${reports.length} sequences, ${steps} steps: ${documented} documented differences, ${undocumented} undocumented` +
      ` (in ${reports.filter((r) => r.undocumented > 0).length} sequences)`,
  );
  if (args.json) writeFileSync(args.json, JSON.stringify(reports, null, 2));
  process.exitCode = undocumented > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
});
