// Built by device/bench/tap.bench.ts into a small program for the bare interpreter: times each
// step of a tap's decision path on its own (many runs, best and median), with 10,000 members
// (fobs and flags in typed arrays, names memory-mapped from a Storage file, as on the unit).
import { decide, findFob, initialState, cleanState, outputsOf, lcdSafeName, numberToFob, subjectFromEntry, decodeWiegand, encodeWiegand, FLAG_MAIN, NAME_WIDTH } from '@fobgate/shared';
import type { AuthList, DecisionMachine } from '@fobgate/shared';

declare function getTime(): number;
declare function print(s: string): void;

const N = 10000;
const machine: DecisionMachine = { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 };
// the list as the unit holds it: fobs and flags in typed arrays, names memory-mapped from flash
const t0 = getTime();
const fobs = new Uint32Array(N);
const flags = new Uint8Array(N);
for (let i = 0; i < N; i++) {
  fobs[i] = 100000 + i * 1601;
  flags[i] = FLAG_MAIN;
}
const S = require('Storage');
S.erase('mbnames');
let piece = '';
for (let i = 0; i < 64; i++) piece += ('Member ' + i + '                ').substring(0, NAME_WIDTH);
for (let o = 0; o < N * NAME_WIDTH; o += piece.length) S.write('mbnames', piece.substring(0, Math.min(piece.length, N * NAME_WIDTH - o)), o, N * NAME_WIDTH);
const list: AuthList = { machine: machine, version: 1, issued_at: 0, count: N, fobs: fobs, flags: flags, names: S.read('mbnames'), digest: '' };
const built = (getTime() - t0) * 1000;

function time(name: string, runs: number, fn: (i: number) => void): void {
  const ts: number[] = [];
  for (let r = 0; r < runs; r++) {
    const a = getTime();
    fn(r);
    ts.push((getTime() - a) * 1000);
  }
  ts.sort(function (x, y) { return x - y; });
  print('STEP ' + JSON.stringify({ step: name, best: Math.round(ts[0] * 1000) / 1000, median: Math.round(ts[Math.floor(runs / 2)] * 1000) / 1000 }));
}

const frame = encodeWiegand(100000 + 4242 * 1601, 26);
const bits = new Uint8Array(64);
for (let i = 0; i < frame.length; i++) bits[i] = frame[i];
const state = initialState();
const sub = subjectFromEntry(list, findFob(list, 100000 + 4242 * 1601));
print('STEP ' + JSON.stringify({ step: 'build', best: built, median: built }));
time('decodeWiegand', 30, () => { decodeWiegand(bits, 26); });
time('numberToFob', 30, (i) => { numberToFob(100000 + i * 1601); });
time('findFob', 30, (i) => { findFob(list, 100000 + ((i * 331) % N) * 1601); });
time('subjectFromEntry', 30, (i) => { subjectFromEntry(list, (i * 331) % N); });
time('decide', 30, () => { decide(machine, state, { type: 'card_inserted', fob: sub.fob }, sub, { now: 1000, list_stale: false }); });
const d = decide(machine, state, { type: 'card_inserted', fob: sub.fob }, sub, { now: 1000, list_stale: false });
time('cleanState(session)', 30, () => { cleanState(d.state); });
time('lcdSafeName', 30, () => { lcdSafeName('Member 4242'); });
time('outputsOf(session)', 30, () => { outputsOf(machine, d.state); });
time('loop1000', 10, () => { let x = 0; for (let i = 0; i < 1000; i++) x += i; });
print('STEPS DONE');
