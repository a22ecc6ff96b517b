/* eslint max-lines: ['error', 450] -- the safety properties of one function (purity, fail-closed, invariants, source gate), read together */
// The decision is pure and never throws: inputs are never mutated, garbage fails closed (relays
// off), and random event sequences keep the safety invariants. Also a source gate: the decision
// code uses no bitwise operators (Lua target) and no syntax the on-chip interpreter lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import { cleanState, decide, initialState, outputsOf } from './decision.js';
import { applyLegacyUpdate } from './legacy-update.js';
import type { DecisionMachine, MachineEvent, MachineState, Subject } from './decision-types.js';

const T0 = 1700000000000;

function machine(over?: Partial<DecisionMachine>): DecisionMachine {
  return Object.assign(
    { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 },
    over || {},
  );
}

function subject(fob: string, over?: Partial<Subject>): Subject {
  return Object.assign({ fob: fob, account_id: 'a' + fob, name: 'Ann', full_name: 'Ann Smith', main: true, second: true, override: false, expired: false }, over || {});
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const k of Object.keys(o as object)) deepFreeze((o as any)[k]);
    Object.freeze(o);
  }
  return o;
}

const ANN = subject('0000000001');
const SECOND = { unauthorized_warn_only: true, always_enabled: false, display_name: 'Dust' };

function running(m: DecisionMachine): MachineState {
  return decide(m, initialState(), { type: 'card_inserted', fob: ANN.fob }, ANN, { now: T0 }).state;
}

const ALL_EVENTS: MachineEvent[] = [
  { type: 'card_inserted', fob: '0000000001' },
  { type: 'card_inserted', fob: '0000000002' },
  { type: 'card_removed' },
  { type: 'oops_pressed' },
  { type: 'reboot' },
  { type: 'reboot', rfid: '0000000001' },
  { type: 'admin_oops', by: 'x', source: 'admin' },
  { type: 'admin_clear_oops', by: 'x' },
  { type: 'admin_lockout', by: 'x', cut: true },
  { type: 'admin_lockout', by: 'x', cut: false },
  { type: 'admin_unlock', by: 'x' },
  { type: 'config_changed' },
];

// ------------------------------------------------------------------ purity

test('decide never mutates machine, state, event, subject or ctx (deep-frozen inputs, every event)', () => {
  const m = deepFreeze(machine({ second_relay: SECOND }));
  const states = [initialState(), running(m), decide(m, running(m), { type: 'admin_lockout', by: 'x', cut: false }, null, { now: T0 }).state];
  for (const s0 of states) {
    const s = deepFreeze(JSON.parse(JSON.stringify(s0)) as MachineState);
    const before = JSON.stringify(s);
    for (const e of ALL_EVENTS) {
      const ev = deepFreeze(JSON.parse(JSON.stringify(e)));
      const subj = deepFreeze(subject('0000000002', { main: true }));
      const ctx = deepFreeze({ now: T0 + 1000, list_stale: false });
      const d = decide(m, s, ev, subj, ctx);
      assert.ok(d.log.every((l) => l.type !== 'error'), e.type + ' failed: ' + JSON.stringify(d.log));
      assert.is(JSON.stringify(s), before);
      assert.ok(d.state !== s);
    }
  }
});

test('the state returned holds its own copy of the subject', () => {
  const subj = subject(ANN.fob);
  const d = decide(machine(), initialState(), { type: 'card_inserted', fob: ANN.fob }, subj, { now: T0 });
  subj.name = 'Mallory';
  subj.main = false;
  assert.is(d.state.user!.name, 'Ann');
  assert.is(outputsOf(machine(), d.state).display, 'Welcome,\nAnn');
});

test('same inputs give the same decision (deterministic)', () => {
  const m = machine({ second_relay: SECOND });
  for (const e of ALL_EVENTS) {
    const a = decide(m, running(m), e, ANN, { now: T0 + 7 });
    const b = decide(m, running(m), e, ANN, { now: T0 + 7 });
    assert.equal(a, b);
  }
});

test('outputs of a decision equal outputsOf(machine, its state)', () => {
  const m = machine({ second_relay: SECOND });
  for (const e of ALL_EVENTS) {
    const d = decide(m, running(m), e, ANN, { now: T0 + 7 });
    assert.equal(d.outputs, outputsOf(m, d.state));
  }
});

// ------------------------------------------------------------------ garbage in, relays off

const GARBAGE_EVENTS: unknown[] = [
  null,
  undefined,
  42,
  'card_removed',
  [],
  {},
  { type: 'nope' },
  { type: 42 },
  { type: 'card_inserted' },
  { type: 'card_inserted', fob: 12 },
  { type: 'card_inserted', fob: '' },
  { type: 'CARD_REMOVED' },
];

test('garbage events never throw and fail closed: session ended (reason error), relays off, error logged', () => {
  const m = machine({ second_relay: SECOND });
  for (const g of GARBAGE_EVENTS) {
    const d = decide(m, running(m), g as MachineEvent, ANN, { now: T0 + 10 });
    assert.is(d.outputs.relay, false, JSON.stringify(g));
    assert.is(d.outputs.second_relay, false);
    assert.is(d.state.user, null);
    assert.equal(d.log.map((l) => l.type), ['session_end', 'error'], JSON.stringify(g));
    assert.is((d.log[0] as any).reason, 'error');
    assert.is(typeof (d.log[1] as any).message, 'string');
  }
});

test('garbage event on an oopsed machine keeps the oops look (relays off)', () => {
  const m = machine();
  const s = decide(m, initialState(), { type: 'oops_pressed' }, null, { now: T0 }).state;
  const d = decide(m, s, { type: 'bogus' } as unknown as MachineEvent, null, { now: T0 });
  assert.is(d.outputs.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(d.outputs.oops_led, true);
  assert.is(d.outputs.relay, false);
});

test('garbage machine config fails closed', () => {
  for (const g of [null, undefined, 'lathe', 3]) {
    const d = decide(g as unknown as DecisionMachine, running(machine()), { type: 'config_changed' }, null, { now: T0 });
    assert.is(d.outputs.relay, false);
    assert.is(d.outputs.second_relay, false);
    assert.is(d.log[d.log.length - 1].type, 'error');
  }
});

test('garbage subjects count as unknown fobs', () => {
  for (const g of ['Ann', 7, [], { fob: 1 }, { name: 'Ann' }]) {
    const d = decide(machine(), initialState(), { type: 'card_inserted', fob: '0000000001' }, g as unknown as Subject, { now: T0 });
    assert.is(d.outputs.relay, false);
    assert.is(d.outputs.display, 'Unknown RFID');
  }
});

test('truthy non-boolean subject flags grant nothing', () => {
  const s = { fob: '0000000001', account_id: '', name: 'X', full_name: 'X', main: 1, second: 'yes', override: 'true', expired: 0 };
  const d = decide(machine(), initialState(), { type: 'card_inserted', fob: '0000000001' }, s as unknown as Subject, { now: T0 });
  assert.is(d.outputs.relay, false);
  assert.is(d.outputs.display, 'Unauthorized');
});

test('garbage ctx: time 0, never throws', () => {
  for (const c of [null, undefined, {}, { now: 'x' }, { now: NaN }]) {
    const d = decide(machine(), initialState(), { type: 'card_inserted', fob: ANN.fob }, ANN, c as any);
    assert.is(d.outputs.relay, true);
    assert.is(d.state.session_start, 0);
  }
});

test('garbage or inconsistent states fail closed (relays off) in decide and outputsOf', () => {
  const bad: unknown[] = [
    null,
    undefined,
    'idle',
    {},
    { relay: true },
    { relay: true, look: 'idle' },
    { relay: true, look: 'welcome', user: null },
    { relay: true, look: 'welcome', user: ANN, oopsed: true },
    { relay: true, look: 'welcome', user: ANN, locked_out: true },
    { relay: true, look: 'always_on', oopsed: true },
    { relay: 'true', look: 'welcome', user: ANN },
    { relay: true, look: 'unknown', user: ANN },
    { relay: true, look: 'banana', user: ANN },
    { relay: false, look: 'welcome', user: ANN, second_relay: true },
    { relay: true, look: 'override', user: ANN, override: false, oopsed: true },
  ];
  const m = machine({ second_relay: { unauthorized_warn_only: true, always_enabled: true, display_name: 'd' } });
  for (const b of bad) {
    const o = outputsOf(m, b as MachineState);
    assert.is(o.relay, false, JSON.stringify(b));
    assert.is(o.second_relay, false);
    const d = decide(m, b as MachineState, { type: 'card_removed' }, null, { now: T0 });
    assert.is(d.outputs.relay, false, JSON.stringify(b));
  }
  // flags survive a repair: oopsed stays oopsed
  const o = outputsOf(m, { relay: true, look: 'welcome', user: ANN, oopsed: true } as unknown as MachineState);
  assert.is(o.display, 'Oops!! Please\ncheck/post Slack');
  assert.is(o.oops_led, true);
});

test('a pending lockout in a state without a session becomes a lockout', () => {
  const s = cleanState({ lockout_pending: true, look: 'idle' });
  assert.is(s.locked_out, true);
  assert.is(s.lockout_pending, false);
  assert.is(outputsOf(machine(), s).display, 'Down for\nmaintenance');
});

test('a state saved as JSON and read back decides the same (server restart)', () => {
  const m = machine({ second_relay: SECOND });
  const s = decide(m, running(m), { type: 'admin_lockout', by: 'x', cut: false }, null, { now: T0 }).state;
  const back = JSON.parse(JSON.stringify(s)) as MachineState;
  assert.equal(cleanState(back), s);
  assert.equal(outputsOf(m, back), outputsOf(m, s));
  assert.equal(decide(m, back, { type: 'card_removed' }, null, { now: T0 + 5 }), decide(m, s, { type: 'card_removed' }, null, { now: T0 + 5 }));
});

test('safety: an admin clearing the oops or lockout never leaves an override session running under it', () => {
  const m = machine({ second_relay: { unauthorized_warn_only: true, always_enabled: false, display_name: 'Dust' } });
  const cy = subject('0000000003', { main: false, override: true, second: true });
  for (const flag of [{ type: 'oops_pressed' }, { type: 'admin_lockout', by: 'x', cut: true }] as MachineEvent[]) {
    for (const clear of [{ type: 'admin_clear_oops', by: 'x' }, { type: 'admin_unlock', by: 'x' }] as MachineEvent[]) {
      let s = decide(m, initialState(), flag, null, { now: T0 }).state;
      s = decide(m, s, { type: 'card_inserted', fob: cy.fob }, cy, { now: T0 + 1 }).state;
      assert.ok(s.relay && s.override && s.second_relay, 'override session runs');
      const d = decide(m, s, clear, null, { now: T0 + 2 });
      const flagSet = d.state.oopsed || d.state.locked_out;
      if (!flagSet) {
        assert.equal([d.outputs.relay, d.outputs.second_relay, d.state.override, d.state.user], [false, false, false, null], flag.type + ' then ' + clear.type);
        assert.is(d.outputs.display, 'Please Insert\nRFID Card');
        const again = decide(m, d.state, { type: 'card_inserted', fob: cy.fob }, cy, { now: T0 + 3 });
        assert.is(again.outputs.relay, false, 'the card left in does not log in again');
      }
    }
  }
});

test('a stored override session on a machine with neither flag fails closed', () => {
  const m = machine();
  const s = decide(m, initialState(), { type: 'oops_pressed' }, null, { now: T0 }).state;
  const cy = subject('0000000003', { main: false, override: true });
  const run = decide(m, s, { type: 'card_inserted', fob: cy.fob }, cy, { now: T0 }).state;
  const forged = JSON.parse(JSON.stringify(run)) as MachineState;
  forged.oopsed = false;
  assert.equal([cleanState(forged).relay, outputsOf(m, forged).relay], [false, false]);
});

// ------------------------------------------------------------------ random sequences keep the invariants

function rng(seed: number) {
  let x = seed;
  return function (n: number): number {
    x = (x * 16807) % 2147483647;
    return x % n;
  };
}

const FOBS = ['0000000001', '0000000002', '0000000003', '0000000004', '0099999999'];
const SUBJECTS: Array<Subject | null> = [
  subject('0000000001', { main: true, second: true }),
  subject('0000000002', { main: false }),
  subject('0000000003', { main: false, override: true }),
  subject('0000000004', { main: true, expired: true }),
  null,
];

test('random event sequences: never throw, and the safety invariants always hold', () => {
  const machines = [
    machine(),
    machine({ always_enabled: true }),
    machine({ unauthorized_warn_only: true, second_relay: SECOND }),
    machine({ second_relay: { unauthorized_warn_only: false, always_enabled: true, display_name: 'd' } }),
    machine({ always_enabled: true, second_relay: SECOND }),
  ];
  const next = rng(12345);
  let decisions = 0;
  let holders = 0;
  for (let run = 0; run < 200; run++) {
    const m = machines[run % machines.length];
    let s = initialState();
    for (let i = 0; i < 40; i++) {
      let e: MachineEvent = ALL_EVENTS[next(ALL_EVENTS.length)];
      let subj: Subject | null = null;
      if (e.type === 'card_inserted') {
        const k = next(FOBS.length);
        e = { type: 'card_inserted', fob: FOBS[k] };
        subj = SUBJECTS[k];
      }
      const d = decide(m, s, e, subj, { now: T0 + i * 1000, list_stale: next(5) === 0 });
      decisions++;
      const o = d.outputs;
      const t = d.state;
      assert.equal(o, outputsOf(m, t));
      assert.ok(d.log.every((l) => l.type !== 'error'), JSON.stringify(d.log));
      if (o.relay) assert.ok(t.look === 'welcome' || t.look === 'override' || t.look === 'always_on', t.look);
      if (o.relay && (t.oopsed || t.locked_out)) assert.ok(t.override, 'relay on while oopsed/locked without override');
      if (t.user === null) assert.ok(!o.relay || (t.look === 'always_on' && m.always_enabled));
      if (o.second_relay) assert.ok(o.relay);
      if (m.second_relay === null) assert.is(o.second_relay, false);
      assert.is(o.oops_led, t.oopsed);
      if (t.lockout_pending) assert.ok(t.user !== null && !t.override);
      if (t.override) assert.ok(t.oopsed || t.locked_out, 'override session without an oops or lockout to override');
      if (o.second_relay && !m.second_relay!.always_enabled) assert.ok(t.user !== null || t.holder !== null, 'second relay on for nobody');
      if (t.holder !== null) holders++;
      if (t.holder !== null) assert.ok(t.user === null && t.look === 'always_on' && o.relay && t.rfid === t.holder.fob, 'holder outside an always-on run');
      if (e.type === 'card_removed' || e.type === 'oops_pressed' || e.type === 'admin_oops' || e.type === 'reboot') {
        if (!(m.always_enabled && !t.oopsed && !t.locked_out)) assert.is(o.relay, false, e.type);
      }
      if (t.user !== null && t.user.expired) assert.unreachable('expired member got a session');
      for (const line of o.display.split('\n')) assert.ok(line.length <= 16, line);
      s = t;
    }
  }
  assert.is(decisions, 8000);
  assert.ok(holders > 0, 'the sequences reached an always-on card holder');
});

test('random legacy updates never throw and keep relay off while oopsed without override', () => {
  const next = rng(777);
  const m = machine({ second_relay: SECOND });
  let s = initialState();
  let prev: number | null = null;
  for (let i = 0; i < 2000; i++) {
    const k = next(FOBS.length + 1);
    const rfid = k === FOBS.length ? null : FOBS[k];
    const uptime = next(10) === 0 ? 1 : i * 10;
    const d = applyLegacyUpdate(m, s, { oops: next(20) === 0, rfid: rfid, uptime: uptime, prev_uptime: prev }, (f) => SUBJECTS[FOBS.indexOf(f)] || null, { now: T0 + i });
    if (d.state.oopsed && d.outputs.relay) assert.ok(d.state.override);
    assert.equal(d.outputs, outputsOf(m, d.state));
    s = d.state;
    prev = uptime;
  }
});

// ------------------------------------------------------------------ source gate (Espruino + Lua)

function sourceOf(file: string): string {
  for (const p of ['shared/src/' + file, 'src/' + file, file]) {
    const t = ts.sys.readFile(p);
    if (t !== undefined) return t;
  }
  throw new Error('cannot find ' + file);
}

const BITWISE = [
  ts.SyntaxKind.AmpersandToken,
  ts.SyntaxKind.BarToken,
  ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
];
const BANNED_NAMES = ['Map', 'Set', 'WeakMap', 'Symbol', 'Promise', 'require', 'process', 'Date'];

function problemsIn(file: string): string[] {
  return problemsInText(file, sourceOf(file));
}

function problemsInText(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node) => file + ':' + (sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && BITWISE.indexOf(n.operatorToken.kind) >= 0) found.push(at(n) + ' bitwise operator');
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.TildeToken) found.push(at(n) + ' bitwise ~');
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.AsteriskAsteriskToken) found.push(at(n) + ' **');
    if (ts.isSpreadElement(n) || ts.isSpreadAssignment(n)) found.push(at(n) + ' spread');
    if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) found.push(at(n) + ' destructuring');
    if (ts.isParameter(n) && (n.initializer !== undefined || n.dotDotDotToken !== undefined)) found.push(at(n) + ' default/rest parameter');
    if ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n)) && n.questionDotToken !== undefined) found.push(at(n) + ' ?.');
    if (ts.isComputedPropertyName(n)) found.push(at(n) + ' computed key');
    if (ts.isLabeledStatement(n)) found.push(at(n) + ' label');
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n)) && n.asteriskToken !== undefined) found.push(at(n) + ' generator');
    if (ts.canHaveModifiers(n) && (ts.getModifiers(n) || []).some((x) => x.kind === ts.SyntaxKind.AsyncKeyword)) found.push(at(n) + ' async');
    if (ts.isIdentifier(n) && BANNED_NAMES.indexOf(n.text) >= 0 && !ts.isTypeReferenceNode(n.parent)) found.push(at(n) + ' ' + n.text);
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'prototype') found.push(at(n) + ' .prototype');
    if (ts.isPropertyAccessExpression(n) && ['from', 'freeze', 'finally', 'trunc', 'isInteger'].indexOf(n.name.text) >= 0) found.push(at(n) + ' .' + n.name.text);
    if (ts.isClassDeclaration(n) && n.heritageClauses !== undefined) found.push(at(n) + ' extends');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('source gate: decision code has no bitwise operators and no syntax or API the interpreter lacks', () => {
  for (const f of ['decision.ts', 'decision-steps.ts', 'decision-subjects.ts', 'machine-state.ts', 'machine-outputs.ts', 'lcd-text.ts', 'member-dates.ts']) {
    assert.equal(problemsIn(f), [], f);
  }
  assert.equal(problemsIn('legacy-update.ts'), []);
  assert.equal(problemsIn('decision-types.ts'), []);
});

test('source gate catches what it looks for (self-check)', () => {
  const bad = [
    'const a = 1 | 2;',
    'let a = 1; a <<= 2;',
    'const c = ~d;',
    'const { b } = x;',
    'const [e] = x;',
    'f(...y);',
    'o?.p;',
    'function g(q = 1) {}',
    'function h(...r) {}',
    'new Map();',
    'const s = new Set();',
    'const k = { [z]: 1 };',
    'async function w() {}',
    'function* gen() {}',
    'Array.prototype.slice;',
    'Array.from(x);',
    'p.finally(f);',
    'const t = 2 ** 3;',
    'l: for (;;) {}',
  ];
  for (const b of bad) assert.ok(problemsInText('t.ts', b).length > 0, b);
  assert.equal(problemsInText('t.ts', 'const a = b && c || d; let u: A | B = x; const e = (f: number) => f + 1;'), []);
});

test.run();
