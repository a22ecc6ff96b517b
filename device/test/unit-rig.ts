// The unit end to end on a fake board, for the unit's tests (device/src/unit-*.test.ts): the
// firmware started from a config in a fake flash, optionally through its first sync, which
// delivers a list of three members; a card played into the reader; the LCD as one string.
import { FLAG_MAIN, FLAG_OVERRIDE, FLAG_SECOND } from '@fobgate/shared';
import { startFirmware } from '../src/firmware.js';
import type { Firmware } from '../src/firmware.js';
import { DEFAULT_PINS, CONFIG_FILE } from '../src/board-config.js';
import type { Unit } from '../src/unit-lifecycle.js';
import { makeRig, makeList, fullUpdate, answer, config, playFrame, MACHINE_TWO_RELAYS, FakeStore } from './fake-hal.js';
import type { FakeRig } from './fake-hal.js';

export const P = DEFAULT_PINS;
export const ALICE = 91703745;
export const BOB = 12345;
export const MAINT = 777;

export function entries() {
  return [
    { fob: ALICE, flags: FLAG_MAIN | FLAG_SECOND, name: 'Alice' },
    { fob: BOB, flags: 0, name: 'Bob' },
    { fob: MAINT, flags: FLAG_MAIN | FLAG_OVERRIDE, name: 'Max' },
  ];
}

export function boot(store?: FakeStore): { rig: FakeRig; fw: Firmware; unit: Unit } {
  const s = store || new FakeStore();
  if (!s.files[CONFIG_FILE]) s.files[CONFIG_FILE] = config();
  const rig = makeRig(s);
  const fw = startFirmware(rig.platform);
  const unit = fw.unit();
  if (!unit) throw new Error('unit did not start: ' + fw.problem());
  return { rig: rig, fw: fw, unit: unit };
}

/** Boots and completes the first sync, which delivers the list. */
export function bootWithList(store?: FakeStore): { rig: FakeRig; fw: Firmware; unit: Unit } {
  const b = boot(store);
  b.rig.time.advance(1);
  answer(b.rig.http.last(), { list: fullUpdate(makeList(entries(), 5, MACHINE_TWO_RELAYS)), latest_list_version: 5 });
  return b;
}

export function insert(rig: FakeRig, card: number): void {
  rig.board.in(P.card_present).set(true, rig.time.t);
  playFrame(rig, P.wiegand_d0, P.wiegand_d1, card, card > 16777215 ? 34 : 26);
}

export function lcd(unit: Unit): string {
  const l = unit.lines();
  return l[1] ? l[0] + '\n' + l[1] : l[0];
}
