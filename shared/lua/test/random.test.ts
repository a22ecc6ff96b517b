/// <reference types="node" />
// A few thousand random decisions (plus random Wiegand frames and fob codes), each decided by the
// TypeScript core and by the Lua build from the same inputs and compared one by one, on Lua 5.1
// and 5.4 (WebAssembly) and Debian's lua5.1 when present.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide, initialState } from '../../src/decision.js';
import { decodeWiegand, encodeWiegand } from '../../src/wiegand.js';
import { canonicalFob } from '../../src/fob.js';
import type { DecisionMachine, MachineEvent, MachineState, Subject } from '../../src/decision-types.js';
// @ts-expect-error plain JavaScript module without types
import { encodeValue } from './record/recorder.mjs';
import { coreLua } from './compiled-core.js';
import { compare, replay, vectorLines, type RecordedCall, type Recording } from './golden.js';
import { debianHost, NO_DEBIAN_LUA, wasmHostFor, type LuaHost } from './lua-hosts.js';

const DECISIONS = 4000;

function rng(seed: number): (n: number) => number {
  let x = seed;
  return function (n: number): number {
    x = (x * 48271) % 2147483647;
    return x % n;
  };
}

const T0 = 1700000000000;
const MACHINES: DecisionMachine[] = [];
for (const warn of [false, true]) {
  for (const always of [false, true]) {
    for (const second of [null, { unauthorized_warn_only: false, always_enabled: false, display_name: 'Dust' },
      { unauthorized_warn_only: true, always_enabled: false, display_name: 'Dust' }, { unauthorized_warn_only: false, always_enabled: true, display_name: 'Air' }]) {
      MACHINES.push({ name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: warn, always_enabled: always, second_relay: second, offline_grace_hours: 72 });
    }
  }
}
const FOBS = ['0000000001', '0000000002', '0000000003', '0000000004', '0000000005', '4294967295', '0099999999'];
const NAMES = ['Ann', 'Bob', 'Bartholomew-Alexander', '', 'Zed the maintainer', 'J. Q. Public', 'x'];

function subjectFor(fob: string, next: (n: number) => number): Subject | null {
  if (next(8) === 0) return null;
  return {
    fob: fob, account_id: 'a' + fob, name: NAMES[next(NAMES.length)], full_name: 'Member ' + fob,
    main: next(3) > 0, second: next(2) === 0, override: next(6) === 0, expired: next(9) === 0,
  };
}

function eventOf(next: (n: number) => number): MachineEvent {
  const k = next(14);
  const fob = FOBS[next(FOBS.length)];
  if (k < 5) return { type: 'card_inserted', fob: fob };
  if (k < 8) return { type: 'card_removed' };
  if (k === 8) return { type: 'oops_pressed' };
  if (k === 9) return next(2) ? { type: 'reboot', rfid: next(2) ? fob : null } : { type: 'reboot' };
  if (k === 10) return { type: 'admin_oops', by: 'admin', source: next(2) ? 'admin' : 'api' };
  if (k === 11) return next(2) ? { type: 'admin_clear_oops', by: 'admin' } : { type: 'admin_unlock', by: 'admin' };
  if (k === 12) return { type: 'admin_lockout', by: 'admin', cut: next(2) === 0 };
  return { type: 'config_changed' };
}

/** The random vectors, each with TypeScript's result. */
function vectors(): Recording {
  const next = rng(20240607);
  const calls: RecordedCall[] = [];
  const add = (fn: string, args: unknown[], result: unknown) => {
    calls.push({ id: calls.length, fn: fn, site: 'random.test.ts', args: args.map(encodeValue), result: encodeValue(result) });
  };
  let state: MachineState = initialState();
  let m = MACHINES[0];
  for (let i = 0; i < DECISIONS; i++) {
    if (i % 40 === 0) {
      m = MACHINES[next(MACHINES.length)];
      state = initialState();
    }
    const e = eventOf(next);
    const fob = e.type === 'card_inserted' ? e.fob : state.rfid || FOBS[next(FOBS.length)];
    const subject = subjectFor(fob, next);
    const ctx = { now: T0 + i * 1000 + next(1000), list_stale: next(7) === 0 };
    const d = decide(m, state, e, subject, ctx);
    add('decide', [m, state, e, subject, ctx], d);
    state = d.state;
  }
  for (let i = 0; i < 600; i++) {
    const bits = next(2) ? 26 : 34;
    const card = bits === 26 ? next(16777216) : next(65536) * 65536 + next(65536);
    const frame = encodeWiegand(card, bits);
    if (next(3) === 0) frame[next(frame.length)] ^= 1;
    const count = next(10) === 0 ? [0, 25, 27, 33, 35, 40][next(6)] : bits;
    add('decodeWiegand', [frame, count], decodeWiegand(frame, count));
    add('encodeWiegand', [card, bits], encodeWiegand(card, bits));
  }
  for (let i = 0; i < 400; i++) {
    let s = '';
    const len = next(14);
    for (let j = 0; j < len; j++) s += ' 0123456789a0'.charAt(next(13));
    add('canonicalFob', [s], canonicalFob(s));
  }
  return { calls: calls, callbacks: [] };
}

const REC = vectors();
const LINES = vectorLines(REC, new Map());

function check(host: LuaHost): void {
  const out = replay(host, coreLua(), LINES);
  const v = compare(REC, out.lines, new Map());
  console.log('lua random on ' + host.name + ': ' + v.compared + ' vectors (' + DECISIONS + ' decisions) compared with TypeScript');
  assert.is(out.error, '');
  assert.is(v.compared, REC.calls.length);
  assert.equal(v.mismatches.slice(0, 20), [], v.mismatches.length + ' differ');
}

test('the random vectors cover every event, machine kind and look', () => {
  const looks = new Set<string>();
  const events = new Set<string>();
  for (const c of REC.calls) {
    if (c.fn !== 'decide') continue;
    events.add((c.args as Array<{ type: string }>)[2].type);
    looks.add((c.result as { state: { look: string } }).state.look);
  }
  assert.is(events.size, 9);
  for (const l of ['idle', 'welcome', 'unauthorized', 'unknown', 'oops', 'locked_out', 'always_on', 'override', 'stale', 'expired']) {
    assert.ok(looks.has(l), 'look ' + l);
  }
});

test('Lua 5.1 (WebAssembly): every random vector equals TypeScript', () => check(wasmHostFor('5.1')));
test('Lua 5.4 (WebAssembly): every random vector equals TypeScript', () => check(wasmHostFor('5.4')));
const deb = debianHost();
if (deb) test('Debian lua5.1: every random vector equals TypeScript', () => check(deb));
else test.skip('Debian lua5.1: ' + NO_DEBIAN_LUA, () => {});

test.run();
