// @timeout 300 (eleven runs of the real pipeline; in the full suite on a loaded 2-core machine they took longer than 180 s)
// The whole build on small entry files: modern TypeScript comes out as gated ES5 that runs the
// same in Node's vm; banned APIs, async code, exports and an exceeded budget fail with clear errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { withoutHoisting } from './no-hoisting.js';
import { runPipeline } from './pipeline.js';
import { markRamFunctions } from './ram-functions.js';
import { DEFAULT_BUDGET } from './size.js';

const dir = mkdtempSync(join(tmpdir(), 'fobgate-build-'));
const BUILTINS = ['Storage', 'http', 'crypto'];

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

write('shapes.ts', `
export class Shape {
  static made = 0;
  static create(n: string): Shape { Shape.made++; return new Shape(n); }
  name: string;
  constructor(name: string) { this.name = name; }
  get label(): string { return 'shape ' + this.name; }
  area(): number { return 0; }
}
export class Square extends Shape {
  side: number;
  constructor(side: number) { super('square'); this.side = side; }
  area(): number { return this.side ** 2; }
}
`);

const MODERN = write('modern.ts', `
import { Shape, Square } from './shapes.js';
declare function report(v: unknown): void;
const storage = require('Storage');
function greet(name: string, greeting = 'Hi', ...rest: string[]): string { return \`\${greeting} \${name}\${rest.length ? '+' + rest.join(',') : ''}\`; }
const base = { a: 1, b: 2 };
const merged = { ...base, c: 3 };
const { a, ...others } = merged;
const list = [1, 2];
const more = [...list, 3, ...list];
const [first, , third] = more;
const fns: Array<() => number> = [];
for (let i = 0; i < 3; i++) fns.push(() => i);
const cfg: { wifi?: { ssid?: string } } = {};
const sq = new Square(3);
const sub = (Square as unknown as { create(n: string): Shape }).create('x');
let seen = '';
for (const ch of 'ab') seen += ch;
report({
  greet: greet('Ada'), greet2: greet('Bo', 'Yo', 'x', 'y'), merged, a, others, more, first, third,
  closures: fns.map((f) => f()), ssid: cfg.wifi?.ssid ?? 'none', area: sq.area(), label: sq.label,
  isShape: sq instanceof Shape, made: Shape.made, subName: sub.name, seen, storage: storage.kind,
});
`);

function runFirmware(code: string): unknown[] {
  const out: unknown[] = [];
  const fakeRequire = (name: string) => {
    if (name === 'Storage') return { kind: 'fake storage' };
    throw new Error('no module ' + name);
  };
  vm.runInNewContext(code, { report: (v: unknown) => out.push(v), require: fakeRequire });
  return JSON.parse(JSON.stringify(out));
}

async function build(entry: string, budget = DEFAULT_BUDGET) {
  return runPipeline({ entry: entry, builtins: BUILTINS, budget: budget, version: '9.9.9-test' });
}

test('modern TypeScript becomes gated ES5 that runs the same', async () => {
  const r = await build(MODERN);
  assert.equal(r.report.errors, []);
  assert.ok(r.report.ok);
  assert.equal(r.report.helpers.sort(), ['__assign', '__extends', '__rest', '__spreadArray']);
  assert.ok(r.report.hoistedFunctions > 0, 'the class constructor after __extends was hoisted');
  assert.match(r.code, /require\("Storage"\)/);
  assert.not.match(r.code, /__require|Proxy/);
  assert.match(r.code, /^\/\/ fobgate firmware 9\.9\.9-test/);
  // one named function, called by its name: an anonymous wrapper on the stack made Espruino copy
  // the whole program into RAM for every Error created during boot (pipeline.ts, postProcess)
  assert.match(r.code, /^\/\/ [^\n]*\nfunction fobgateFirmware\(\)\{\n/);
  assert.match(r.code, /\n\}\nfobgateFirmware\(\);\n$/);
  assert.not.match(r.code, /^\(function/m);
  assert.equal(runFirmware(r.code), [{
    greet: 'Hi Ada', greet2: 'Yo Bo+x,y', merged: { a: 1, b: 2, c: 3 }, a: 1, others: { b: 2, c: 3 },
    more: [1, 2, 3, 1, 2], first: 1, third: 3, closures: [0, 1, 2], ssid: 'none', area: 9,
    label: 'shape square', isShape: true, made: 1, subName: 'x', seen: 'ab', storage: 'fake storage',
  }]);
  // the same result when function declarations are not hoisted, as on Espruino
  assert.equal(runFirmware(withoutHoisting(r.code)), runFirmware(r.code));
  assert.ok(r.report.bytes > 0 && r.report.minifiedBytes > 0 && r.report.minifiedBytes < r.report.bytes);
  assert.ok(r.report.es5Bytes > r.report.bytes, 'the strip made it smaller');
  // local names shortened (mangle.ts): the function greet is renamed, the property greet is not
  assert.not.match(r.code, /function greet\(/);
  assert.match(r.code, /greet:/);
  assert.ok(r.report.unmangledBytes > r.report.bytes, 'shorter names made it smaller');
  // the program is one line between the wrapper's lines
  assert.is(r.code.split('\n').length, 6);
  assert.ok(r.report.functions > 5);
});

test('the "ram" directive goes first in the listed functions; a listed name not in the bundle fails the build', async () => {
  const entry = write('ram.ts', 'declare function report(v: unknown): void;\nfunction hot(x: number): number { return x * 2; }\nclass Box { n = 1; grow(): number { return this.n + 1; } }\nreport([hot(2), new Box().grow()]);\n');
  const r = await runPipeline({ entry: entry, builtins: BUILTINS, budget: DEFAULT_BUDGET, version: 't', ram: ['hot', 'Box.grow'] });
  assert.equal(r.report.errors, []);
  assert.equal(r.report.ramFunctions, ['hot', 'Box.grow']);
  assert.is((r.code.match(/\{"ram";/g) || []).length, 2);
  assert.equal(runFirmware(r.code), [[4, 2]]);
  // the name check on its own (no second build: this file runs close to the runner's time limit)
  const es5 = 'function hot(x){return x*2;}var Box=(function(){function Box(){}Box.prototype.grow=function(){return 1;};return Box;}());';
  assert.match(markRamFunctions(es5, ['hot', 'cold']).problems.join('\n'), /ram function cold: found 0 times/);
  const optional = markRamFunctions(es5, ['hot', 'cold'], false);
  assert.equal(optional.problems, []);
  assert.equal(optional.marked, ['hot']);
});

test('a banned API in the source fails the gate naming the place in firmware.js', async () => {
  const entry = write('uses-map.ts', 'declare function report(v: unknown): void;\nconst m = new Map<string, number>();\nm.set("a", 1);\nreport(m.size);\n');
  const r = await build(entry);
  assert.is(r.report.ok, false);
  const hit = r.report.errors.find((e) => /`Map`/.test(e));
  assert.ok(hit, JSON.stringify(r.report.errors));
  assert.match(hit!, /^gate: firmware\.js:\d+:\d+: `Map`: Map is not available/);
  const i = r.report.gateIssues[0];
  assert.is(r.code.split('\n')[i.line - 1].substr(i.column - 1, 3), 'Map');
});

test('async/await is refused with the reason', async () => {
  const entry = write('uses-async.ts', 'declare function report(v: unknown): void;\nasync function f() { return 1; }\nf().then(report);\n');
  const r = await build(entry);
  assert.is(r.report.ok, false);
  assert.ok(r.report.errors.some((e) => /__awaiter.*async\/await/.test(e)), JSON.stringify(r.report.errors));
});

test('an entry that exports is refused: the firmware is a script', async () => {
  const entry = write('exports.ts', 'export const x = 1;\n');
  const r = await build(entry);
  assert.ok(r.report.errors.some((e) => /must be a script with no exports/.test(e)), JSON.stringify(r.report.errors));
});

test('an unresolvable import fails with its file and line', async () => {
  const entry = write('broken.ts', 'import { nope } from "./missing.js";\nnope();\n');
  const r = await build(entry);
  assert.is(r.report.ok, false);
  assert.match(r.report.errors[0], /^build failed: .*broken\.ts:1:\d+: Could not resolve/);
});

test('the size budget fails the build when exceeded', async () => {
  const r = await build(MODERN, { bytes: 200, minifiedBytes: 100000 });
  assert.is(r.report.ok, false);
  assert.equal(r.report.errors.filter((e) => e.startsWith('budget:')).length, 1);
  assert.match(r.report.errors[0], /^budget: firmware\.js is \d+ bytes, over the budget of 200$/);
  const m = await build(MODERN, { bytes: 1000000, minifiedBytes: 100 });
  assert.match(m.report.errors.join('\n'), /^budget: minified firmware is \d+ bytes, over the budget of 100$/);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'build.ts')].concat(args), {
    encoding: 'utf8',
    env: Object.assign({}, process.env, { NO_COLOR: '1' }),
  });
}

test('build.ts writes firmware.js and build-report.json and prints size/budget/gate lines', () => {
  const out = join(dir, 'dist-ok');
  const r = cli(['--entry', MODERN, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.map((l) => l.split(':')[0]), ['size', 'budget', 'gate']);
  assert.match(lines[2], /^gate: ok: parses as ES5, no banned API/);
  const report = JSON.parse(readFileSync(join(out, 'build-report.json'), 'utf8'));
  assert.is(report.ok, true);
  assert.is(readFileSync(join(out, 'firmware.js'), 'utf8').length, report.bytes);
});

test('build.ts exits non-zero over budget and leaves no firmware.js behind', () => {
  const out = join(dir, 'dist-over');
  assert.is(cli(['--entry', MODERN, '--out', out]).status, 0);
  const r = cli(['--entry', MODERN, '--out', out, '--budget', '300']);
  assert.is(r.status, 1);
  assert.match(r.stdout, /^budget: .*OVER$/m);
  assert.match(r.stderr, /^budget: firmware\.js is \d+ bytes, over the budget of 300$/m);
  assert.is(existsSync(join(out, 'firmware.js')), false);
  assert.is(existsSync(join(out, 'firmware.rejected.js')), true);
  assert.is(JSON.parse(readFileSync(join(out, 'build-report.json'), 'utf8')).ok, false);
});

test('build.ts refuses a bad option or a missing entry with one clear line', () => {
  const bad = cli(['--budget', 'lots']);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /--budget must be a positive number of bytes, got "lots"/);
  const none = cli(['--entry', join(dir, 'nope.ts'), '--out', join(dir, 'x')]);
  assert.is(none.status, 1);
  assert.match(none.stderr, /no firmware entry: .*nope\.ts does not exist/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
