// Memory of the list path in the REAL interpreter: the built firmware from Storage in Espruino
// 2v29 at 16,383 and at 12,000 variables, fed by a real server on loopback. For 1,000, 5,000
// and 10,000 members it prints the idle usage once the list is in force and the peak sampled
// while the list arrived (downloaded, checked from flash, switched to), against the baseline of
// the same unit holding an empty list, measured in the same run. The peak is sampled around
// every Storage, crypto, JSON, timer and HTTP call (a lower bound, close to the true peak for
// this work, which goes through those calls). Goals (issue 9): with 5,000 members idle <= 40 %
// and peak <= 60 % of 16,383.
//
//   npx tsx device/bench/lists.bench.ts [--sizes 1000,5000,10000] [--vars 16383,12000]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2EServer, ensureFirmware, interpreterMissing, member, startInterpUnit, untilListVersion } from '../test/interp/harness.js';
import type { InterpUnit } from '../test/interp/interp-unit.js';
import type { VarCount } from '../test/interp/binary.js';

function list(name: string, dflt: number[]): number[] {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1].split(',').map(Number) : dflt;
}

const SIZES = list('sizes', [1000, 5000, 10000]);
const VARS = list('vars', [16383, 12000]) as VarCount[];
const REACH_MS = 600_000;
const line = (s: string) => process.stdout.write(s + '\n');

function members(n: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) out.push(member(String(i + 1), 'Member' + i, String(100000 + i * 3).padStart(10, '0'), ['Lathe']));
  return out;
}

async function importMembers(server: E2EServer, m: Record<string, unknown>[]): Promise<number> {
  writeFileSync(join(server.dir, 'users.json'), JSON.stringify(m));
  for (let k = 0; k < 20; k++) {
    const r = await server.admin('POST', '/api/reload-users');
    if (r.status === 200) break;
  }
  const r = await server.admin('GET', '/api/admin/machines');
  return (r.json as { list_version_latest: number }).list_version_latest;
}

async function settle(u: InterpUnit): Promise<void> {
  await u.untilLcd('Please Insert\nRFID Card', REACH_MS);
  await new Promise((r) => setTimeout(r, 1500));
}

const pct = (n: number, total: number) => `${n} (${((100 * n) / total).toFixed(1)} %)`;

async function run(vars: VarCount): Promise<void> {
  const server = new E2EServer({ members: [], machines: { lathe: { authorizations_or: ['Lathe'] } } });
  await server.start();
  const h = await startInterpUnit(server, 'lathe', { vars, syncIntervalS: 2 });
  const u = h.unit;
  try {
    await untilListVersion(server, 'lathe', 1, REACH_MS);
    await settle(u);
    const base = await u.memory();
    const total = base.total;
    line(`lists bench at ${total} variables: baseline (empty list, idle) ${pct(base.usage, total)}`);
    for (const n of SIZES) {
      // from the empty list each time: a full download of n members
      let v = await importMembers(server, []);
      await untilListVersion(server, 'lathe', v, REACH_MS);
      await settle(u);
      await u.sampling(true);
      const t0 = Date.now();
      v = await importMembers(server, members(n));
      await untilListVersion(server, 'lathe', v, REACH_MS);
      const took = (Date.now() - t0) / 1000;
      await settle(u);
      const during = await u.memory();
      await u.sampling(false);
      const idle = await u.memory();
      // and a one-member change on top (an inline delta)
      await u.sampling(true);
      v = await importMembers(server, members(n + 1));
      await untilListVersion(server, 'lathe', v, REACH_MS);
      await settle(u);
      const delta = await u.memory();
      await u.sampling(false);
      const flags = await u.errorFlags();
      line(`  ${String(n).padStart(6)} members: idle ${pct(idle.usage, total)} (baseline +${idle.usage - base.usage}); ` +
        `peak while downloading ${pct(during.peak, total)} (baseline +${during.peak - base.usage}, ${took.toFixed(0)} s on this host); ` +
        `peak for a one-member delta ${pct(delta.peak, total)}${flags.length ? '; error flags ' + flags.join(',') : ''}`);
    }
    if (u.problems.length) line('  interpreter problems: ' + u.problems.join(' | '));
  } finally {
    await u.close();
    await server.close();
  }
}

async function main(): Promise<void> {
  const missing = interpreterMissing();
  if (missing) {
    line('lists bench: SKIPPED, ' + missing);
    return;
  }
  ensureFirmware();
  for (const v of VARS) await run(v);
}

main().catch((e) => {
  line('lists bench failed: ' + (e instanceof Error ? e.message : String(e)));
  process.exitCode = 1;
});
