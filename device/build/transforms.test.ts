// The hoisting and hole-filling transforms on crafted inputs; results must run the same in vm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import vm from 'node:vm';
import { gateCheck } from './gate.js';
import { withoutHoisting } from './no-hoisting.js';
import { fillArrayHoles, hoistFunctions, transformSource } from './transforms.js';

/** Runs a script and returns what it passed to report(). */
function run(code: string): unknown[] {
  const out: unknown[] = [];
  vm.runInNewContext(code, { report: (v: unknown) => out.push(v) });
  return JSON.parse(JSON.stringify(out));
}

/** Function declarations not at the top of their body, as the gate sees them. */
function lateFunctions(code: string): number {
  return gateCheck(code, { builtins: [] }).filter((i) => /does not hoist/.test(i.reason)).length;
}

test('top-level and nested function declarations move above the statements that use them', () => {
  const src = [
    'var x = f(2);',
    'report(x);',
    'function f(a) { var r = g(a) + h(); return r; function h() { return 1; } }',
    'function g(a) { return a * 10; }',
  ].join('\n');
  const r = hoistFunctions(src);
  assert.is(r.hoisted, 3);
  assert.ok(r.code.indexOf('function f') < r.code.indexOf('var x'));
  assert.ok(r.code.indexOf('function h') < r.code.indexOf('var r'));
  assert.is(lateFunctions(src), 3);
  assert.is(lateFunctions(r.code), 0);
  assert.equal(run(r.code), run(src));
  assert.equal(run(r.code), [21]);
  // without hoisting (Espruino), only the transformed code runs
  assert.throws(() => run(withoutHoisting(src)), /is not a function/);
  assert.equal(run(withoutHoisting(r.code)), [21]);
});

test('TypeScript class inheritance pattern: the constructor is declared before __extends runs', () => {
  const src = [
    'var __extends = function (d, b) { function F() { this.constructor = d; } F.prototype = b.prototype; d.prototype = new F(); };',
    'var A = (function () { function A() { this.a = 1; } A.prototype.who = function () { return "A" + this.a; }; return A; }());',
    'var B = (function (_super) { __extends(B, _super); function B() { var _this = _super.call(this) || this; _this.b = 2; return _this; }',
    '  B.prototype.who = function () { return "B" + this.b + _super.prototype.who.call(this); }; return B; }(A));',
    'report(new B().who());',
  ].join('\n');
  const r = hoistFunctions(src);
  assert.ok(/\(function \(_super\) \{ function B\(\)/.test(r.code), r.code);
  assert.equal(run(r.code), ['B2A1']);
  assert.equal(run(withoutHoisting(r.code)), ['B2A1']);
  assert.throws(() => run(withoutHoisting(src)), /prototype/, 'without the transform B is undefined when __extends runs');
  assert.is(lateFunctions(r.code), 0);
});

test('directives stay first; blocks and switch cases hoist within themselves', () => {
  const src = [
    'function outer() {',
    '  "use strict";',
    '  var s = "";',
    '  if (true) { s += one(); function one() { return "1"; } }',
    '  switch (2) { case 1: s += "x"; break; case 2: s += two(); function two() { return "2"; } break; }',
    '  return s + three();',
    '  function three() { return "3"; }',
    '}',
    'report(outer());',
  ].join('\n');
  const r = hoistFunctions(src);
  assert.ok(/function outer\(\) \{\n {2}"use strict";\n {2}function three/.test(r.code), r.code);
  assert.ok(r.code.indexOf('{ function one()') > 0);
  assert.ok(r.code.indexOf('case 2: function two()') > 0);
  assert.equal(run(r.code), ['123']);
  assert.equal(run(withoutHoisting(r.code)), ['123']);
});

test('a statement relying on automatic semicolon insertion gets a semicolon when moved', () => {
  const src = 'var b = 5, a\na = 1\nfunction f() { return 0 }\n(b)\nreport(a + b)';
  const r = hoistFunctions(src);
  assert.equal(run(r.code), [6]);
  assert.equal(run(src), [6]);
});

test('code without late declarations is returned unchanged, comments included', () => {
  const src = '// header\nfunction a() { return 1; } /* keep */\nvar x = [1, 2];\nreport(a() + x.length);\n';
  const r = transformSource(src, { hoist: true, holes: true });
  assert.is(r.code, src);
  assert.is(r.hoisted + r.holes, 0);
});

test('array holes become void 0 and keep the array length', () => {
  const src = 'var a = [1, , 3]; var b = [, ]; var c = [, , ]; var d = [1, 2, ]; var e = [[, 1], 2];\n' +
    'report([a.length, b.length, c.length, d.length, e[0].length, a[1] === undefined, e[0][0] === undefined]);';
  const r = fillArrayHoles(src);
  assert.is(r.holes, 5);
  assert.ok(r.code.indexOf('[1, void 0, 3]') >= 0, r.code);
  assert.ok(r.code.indexOf('[void 0, 1]') >= 0, r.code);
  assert.ok(r.code.indexOf('[1, 2, ]') >= 0, 'a trailing comma is not a hole');
  assert.equal(run(r.code), [[3, 1, 2, 2, 2, true, true]]);
  assert.equal(run(r.code), run(src));
});

test('holes inside a skipped switch case (the __generator shape) are filled', () => {
  const src = 'function g(op) { switch (op) { case 0: return [4, , 2]; case 1: return [2]; } }\nreport(g(1)); report(g(0).length);';
  const r = transformSource(src, { hoist: true, holes: true });
  assert.is(gateCheck(r.code, { builtins: [] }).length, 0);
  assert.equal(run(r.code), [[2], 3]);
});

test('shared AST nodes (shorthand properties) are printed once', () => {
  const src = 'var q = 1; var o = { q, r: [1, , 2] }; report(o);';
  const r = fillArrayHoles(src);
  assert.is(r.code, 'var q = 1; var o = { q, r: [1, void 0, 2] }; report(o);');
});

test('malformed input throws a syntax error', () => {
  assert.throws(() => hoistFunctions('function ( {'));
});

test.run();
