// The tap in the REAL interpreter: from the last Wiegand bit to the relay write, with the split of
// the firmware's steps (FG_TRACE marks), for a reader declared as 26-bit (decided at the last bit)
// against the "auto" reader in the same run (decided after the end-of-frame gap); then each step
// of the decision path alone (tap-steps-entry.ts) with 10,000 members. The built
// firmware runs from Storage in Espruino 2v29 (16,383 variables) with a list of MEMBERS members
// from a real server on loopback. Host speed is printed as a baseline: an ESP32 at 240 MHz is
// several times slower than this host, so these are lower bounds.
//
//   npx tsx device/bench/tap.bench.ts [--members 10000] [--taps 25] [--steps-only] [--firmware file.js]
// --firmware flashes that program instead of device/dist/firmware.js (e.g. a build of another
// commit, to compare two builds in alternating runs under the same load). --pretokenised flashes
// the program (and the per-step program) in Espruino's pretokenised form (build/pretokenise.ts).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { E2EServer, ensureFirmware, member, startInterpUnit, untilListVersion, interpreterMissing, interpreterVia, sleep } from '../test/interp/harness.js';
import { InterpUnit, type TapResult } from '../test/interp/interp-unit.js';
import { buildList, FLAG_MAIN } from '@fobgate/shared';
import { pretokenise } from '../build/pretokenise.js';
import { FIRMWARE_PATH } from '../build/ensure-firmware.js';

function stringArg(name: string): string | null {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : null;
}

function arg(name: string, dflt: number): number {
  const v = stringArg(name);
  return v === null ? dflt : Number(v);
}

const MEMBERS = arg('members', 10000);
const TAPS = arg('taps', 25);
const line = (s: string) => process.stdout.write(s + '\n');

const FIRMWARE_FILE = stringArg('firmware');
const PRETOKENISED = process.argv.includes('--pretokenised');
/** The program as flashed in this run: as built, or pretokenised (--pretokenised). */
const form = (program: string) => (PRETOKENISED ? pretokenise(program) : program);

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}
function best(xs: number[]): number {
  return xs.length ? Math.min.apply(null, xs) : NaN;
}
function p90(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.9))] : NaN;
}
const ms = (x: number) => x.toFixed(2) + ' ms';

function members(n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    // fob codes spread over the 24-bit range (26-bit frames)
    const fob = String(100000 + i * 1601).padStart(10, '0');
    out.push(member(String(i + 1), 'M' + i, fob, ['Lathe']));
  }
  return out;
}

interface Run {
  relayMs: number[];
  steps: Map<string, number[]>;
}

async function taps(u: InterpUnit, fobs: string[], count: number, trace: boolean): Promise<Run> {
  const run: Run = { relayMs: [], steps: new Map() };
  await u.tracing(trace);
  for (let i = 0; i < count; i++) {
    const fob = fobs[(i * 7919) % fobs.length];
    const tap: TapResult = await u.insertFob(fob);
    const on = await u.until(() => u.relayDelayMs(tap) >= 0, 10_000);
    if (!on) throw new Error('relay did not switch on for ' + fob + '; LCD ' + JSON.stringify(u.lcdText) + '; ' + u.lines.slice(-4).join(' | '));
    run.relayMs.push(u.relayDelayMs(tap));
    if (trace) {
      await sleep(30);
      for (const [step, us] of await u.traceSteps()) {
        const a = run.steps.get(step) ?? [];
        a.push(us / 1000);
        run.steps.set(step, a);
      }
    }
    await u.removeFob();
    await u.until(() => !u.relay, 5000);
    await sleep(80);
  }
  await u.tracing(false);
  return run;
}

const HERE = dirname(fileURLToPath(import.meta.url));
const STEP_MEMBERS = 10000;

/** The list file of the per-step program: n members, fob 100000 + i * 1601 (as tap-steps-entry.ts). */
function benchList(n: number): string {
  const machine = { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 };
  const entries = [];
  for (let i = 0; i < n; i++) entries.push({ fob: 100000 + i * 1601, flags: FLAG_MAIN, name: ('Member ' + i).substring(0, 16) });
  return buildList(machine, entries, 1, 0, (s) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex')).text;
}

/**
 * Each step of the decision path on its own, many times, in a bare interpreter: a small program
 * built from tap-steps-entry.ts (the shared decoder, lookup and decision) with 10,000 members.
 */
async function steps(): Promise<Array<{ step: string; best: number; median: number }>> {
  const out = mkdtempSync(join(tmpdir(), 'fobgate-tapsteps-'));
  const u = new InterpUnit({ realtime: true });
  try {
    // --ram: the functions the firmware runs from RAM (build/ram-functions.ts) do so here too
    execFileSync('npx', ['tsx', join(HERE, '..', 'build', 'build.ts'), '--entry', join(HERE, 'tap-steps-entry.ts'), '--out', out, '--ram'], { stdio: 'pipe' });
    const program = form(readFileSync(join(out, 'firmware.js'), 'latin1'));
    // --steps-in-ram: the program copied into RAM and run from there (the Linux build reads code
    // in flash through a 16-byte buffer, one file read per refill; an ESP32 maps flash instead)
    const files: Record<string, string> = process.argv.includes('--steps-in-ram')
      ? { '.bootcde': 'eval(require("Storage").read("fgsteps")+"");', fgsteps: program }
      : { '.bootcde': program };
    await u.writeFiles({ ...files, fgbench: benchList(STEP_MEMBERS) });
    await u.powerCycle();
    await u.waitLine(/^STEPS DONE/, 300_000);
    return u.lines.filter((l) => l.startsWith('STEP ')).map((l) => JSON.parse(l.substring(5)));
  } finally {
    await u.close();
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const missing = interpreterMissing();
  if (missing) {
    line('tap bench: SKIPPED, ' + missing);
    return;
  }
  ensureFirmware();
  if (process.argv.includes('--steps-only')) {
    for (const e of await steps()) line(`  ${e.step}: best ${e.best.toFixed(3)} ms, median ${e.median.toFixed(3)} ms`);
    return;
  }
  const list = members(MEMBERS);
  const fobs = (list as Array<{ fob_codes: string[] }>).map((m) => m.fob_codes[0]);
  const server = new E2EServer({ members: list, machines: { lathe: { authorizations_or: ['Lathe'] } } });
  await server.start();
  const program = form(readFileSync(FIRMWARE_FILE === null ? FIRMWARE_PATH : FIRMWARE_FILE, 'latin1'));
  let h: Awaited<ReturnType<typeof startInterpUnit>>;
  try {
    h = await startInterpUnit(server, 'lathe', { syncIntervalS: 5, realtime: true, firmware: program });
  } catch (e) {
    await server.close(); // else its sockets keep this process alive after the failure
    throw e;
  }
  const u = h.unit;
  try {
    const t0 = Date.now();
    await untilListVersion(server, 'lathe', 1, 600_000);
    await u.untilLcd('Please Insert\nRFID Card', 600_000);
    const loaded = (Date.now() - t0) / 1000;
    const mem = await u.memory();
    // host speed: a plain 1,000-iteration loop in the same interpreter
    // natively or under an emulator (then its times are not comparable with native runs)
    const via = interpreterVia();
    const loop = await u.evaluate<number>('(function(){var t=getTime(),x=0;for(var i=0;i<1000;i++)x+=i;return (getTime()-t)*1000;})()');
    line(`tap bench: ${FIRMWARE_FILE === null ? 'built firmware' : FIRMWARE_FILE}${PRETOKENISED ? ' pretokenised' : ''} (${program.length} bytes) in Espruino 2v29 (${mem.total} vars, ${via === 'native' ? 'run natively' : 'run under ' + via + ': not comparable with native runs'}), ${MEMBERS} members (list in ${loaded.toFixed(0)} s, idle usage ${mem.usage} vars), ${TAPS} taps per mode; ` +
      `interpreter ${u.realtimeActive ? 'at real-time priority (chrt -f 10: other processes of this shared machine do not add their time)' : 'at normal priority'}; a 1,000-iteration loop takes ${ms(loop)} here`);
    const fig = (xs: number[]) => `median ${ms(median(xs))}, best ${ms(best(xs))}, p90 ${ms(p90(xs))}`;

    const auto = await taps(u, fobs, TAPS, false);
    line(`  baseline, reader "auto": last bit -> relay ${fig(auto.relayMs)} (decided after the 25 ms end-of-frame gap)`);

    const cfg = { ...h.config, reader_bits: 26 };
    await u.evaluate('require("Storage").write("fobgate.json",' + JSON.stringify(JSON.stringify(cfg)) + ')');
    const from = u.lines.length;
    await u.powerCycle();
    const b0 = Date.now();
    await u.waitBoot(600_000, from);
    await u.untilLcd('Please Insert\nRFID Card', 600_000);
    line(`  power cycle with reader_bits 26: booted with the list from flash in ${((Date.now() - b0) / 1000).toFixed(1)} s`);
    const declared = await taps(u, fobs, TAPS, true);
    line(`  reader_bits 26: last bit -> relay ${fig(declared.relayMs)} (decided in the last bit's callback)`);
    const order = ['frame', 'lookup', 'decide', 'relay', 'lcd', 'led', 'events', 'done'];
    // each step's own time, per tap, then its median
    const own = new Map<string, number[]>();
    const n = (declared.steps.get('relay') ?? []).length;
    for (let i = 0; i < n; i++) {
      let prev = 0;
      for (const st of order) {
        const t = (declared.steps.get(st) ?? [])[i];
        if (t === undefined) continue;
        const a = own.get(st) ?? [];
        a.push(t - prev);
        own.set(st, a);
        prev = t;
      }
    }
    const m = (st: string) => median(own.get(st) ?? [NaN]);
    line(`  split (median of each step's own time): before the relay: decode ${ms(m('frame'))}, lookup ${ms(m('lookup'))}, decision ${ms(m('decide'))}, relay write ${ms(m('relay'))}; ` +
      `after it: LCD ${ms(m('lcd'))}, LEDs ${ms(m('led'))}, events and flash ${ms(m('events'))}`);
    const each = await steps();
    const get = (n: string) => each.find((e) => e.step === n);
    line(`  each step alone in a bare interpreter, 10,000 members (best / median of 30 runs): ` +
      ['decodeWiegand', 'findFob', 'subjectFromEntry', 'decide', 'loop1000'].map((n) => { const e = get(n); return e ? `${n} ${e.best.toFixed(2)} / ${e.median.toFixed(2)} ms` : ''; }).join(', '));
    const stats = await u.errorFlags();
    if (stats.length) line('  interpreter error flags: ' + stats.join(', '));
  } finally {
    await u.close();
    await server.close();
  }
}

main().catch((e) => {
  line('tap bench failed: ' + (e instanceof Error ? e.message : String(e)));
  process.exitCode = 1;
});
