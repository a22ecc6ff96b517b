// Built by device/bench/tap.bench.ts into a small program for the bare interpreter: times each
// step of a tap's decision path on its own (many runs, best and median), with the list as the
// unit holds it: a list file of 10,000 members (format 2, built by the bench in Node) read in
// place from Storage (`fgbench`), looked up by binary search over its records.
import { decide, findFob, initialState, cleanState, outputsOf, lcdSafeName, numberToFob, openList, subjectFromEntry, decodeWiegand, encodeWiegand } from '@fobgate/shared';

declare function getTime(): number;
declare function print(s: string): void;

/** The fob of member i (the bench writes the same codes). */
function fobOf(i: number): number {
  return 100000 + i * 1601;
}

const opened = openList(require('Storage').read('fgbench') as string);
if (!opened.ok) throw new Error('fgbench: ' + opened.error.message);
const list = opened.value;
const N = list.count;
const machine = list.machine;

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

const frame = encodeWiegand(fobOf(4242), 26);
const bits = new Uint8Array(64);
for (let i = 0; i < frame.length; i++) bits[i] = frame[i];
const state = initialState();
const sub = subjectFromEntry(list, findFob(list, fobOf(4242)));
time('decodeWiegand', 30, () => { decodeWiegand(bits, 26); });
time('numberToFob', 30, (i) => { numberToFob(fobOf(i)); });
time('findFob', 30, (i) => { findFob(list, fobOf((i * 331) % N)); });
time('subjectFromEntry', 30, (i) => { subjectFromEntry(list, (i * 331) % N); });
time('decide', 30, () => { decide(machine, state, { type: 'card_inserted', fob: sub.fob }, sub, { now: 1000, list_stale: false }); });
const d = decide(machine, state, { type: 'card_inserted', fob: sub.fob }, sub, { now: 1000, list_stale: false });
time('cleanState(session)', 30, () => { cleanState(d.state); });
time('lcdSafeName', 30, () => { lcdSafeName('Member 4242'); });
time('outputsOf(session)', 30, () => { outputsOf(machine, d.state); });
time('loop1000', 10, () => { let _sum = 0; for (let i = 0; i < 1000; i++) _sum += i; });
print('STEPS DONE');
