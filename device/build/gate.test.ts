// The compatibility gate: each banned API and non-ES5 syntax is refused with line:col and the
// offending token; clean code (and look-alikes in strings, comments, property names) passes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ESPRUINO_MATH } from './espruino-math.js';
import { formatGateIssue, gateCheck } from './gate.js';
import { HELPERS } from './helpers.js';

const OPTS = { builtins: ['Storage', 'http'] };

function issues(code: string) {
  return gateCheck(code, OPTS);
}

const CLEAN = [
  '(function () {',
  '  function Unit(name) { this.name = name; this.list = new Uint8Array(16); }',
  '  var storage = require("Storage");',
  '  Unit.prototype.greet = function () { return "Welcome " + this.name; };',
  '  var has = Object.prototype.hasOwnProperty.call({ a: 1 }, "a") + Object.prototype.toString.call([]);',
  '  var tail = [].slice.call([1, 2, 3], 1);',
  '  var o = { get size() { return 1; }, Map: 1, Set: 2, finally: 3 };',
  '  var p = Promise.resolve(1).then(function (v) { return v; })["catch"](function () {});',
  '  var s = "Map Set Symbol Array.from Object.freeze .finally( Array.prototype.slice";',
  '  // Map, Set, Symbol, Array.prototype.slice in a comment',
  '  /* Object.freeze(x).finally() */',
  '  var t = o.Map + o.Set + JSON.stringify([has, tail, s]).length + Object.keys(o).length;',
  '})();',
].join('\n');

test('a clean ES5 file passes, look-alikes in strings, comments and property names included', () => {
  assert.equal(issues(CLEAN), []);
});

test('reading .length and emptying with splice(0) pass; only assigning to .length is refused', () => {
  assert.equal(issues('var xs = [1, 2]; var n = xs.length; xs.splice(0); var o = { length: 1 }; var m = o.length + n;'), []);
});

// [code, offending token, the text at which the issue is reported (first occurrence)]
const BANNED: Array<[string, string, string]> = [
  ['var m = new Map();', 'Map', 'Map'],
  ['var s = new Set([1]);', 'Set', 'Set'],
  ['var w = new WeakMap();', 'WeakMap', 'WeakMap'],
  ['var k = Symbol("k");', 'Symbol', 'Symbol'],
  ['var i = typeof Symbol === "function" && Symbol.iterator;', 'Symbol', 'Symbol'],
  ['var a = Array.from("abc");', 'Array.from', 'Array'],
  ['var a = Array["from"]("abc");', 'Array.from', 'Array'],
  ['var f = Object.freeze({});', 'Object.freeze', 'Object'],
  ['p.then(f).finally(g);', '.finally', 'finally'],
  ['p["finally"](g);', '.finally', '"finally"'],
  ['var sl = Array.prototype.slice;', 'Array.prototype', 'Array'],
  ['var sl = String.prototype.slice;', 'String.prototype', 'String'],
  ['var c = Function.prototype.call;', 'Function.prototype', 'Function'],
  ['var st = Uint8Array.prototype.set;', 'Uint8Array.prototype', 'Uint8Array'],
  ['var pe = Object.prototype.propertyIsEnumerable;', 'Object.prototype.propertyIsEnumerable', 'Object'],
  ['var n = Number.isInteger(1);', 'Number.isInteger', 'Number'],
  ['var t = Math.trunc(1.5);', 'Math.trunc', 'Math'],
  ['var h = Math.hypot(3, 4);', 'Math.hypot', 'Math'],
  ['var l = Math.log10(100);', 'Math.log10', 'Math'],
  ['var c = Math["cbrt"](8);', 'Math.cbrt', 'Math'],
  ['var fr = Math.fround(0.1);', 'Math.fround', 'Math'],
  ['var cp = s.codePointAt(0);', '.codePointAt', 'codePointAt'],
  ['var ts = s.trimStart();', '.trimStart', 'trimStart'],
  ['var lc = a.localeCompare(b);', '.localeCompare', 'localeCompare'],
  ['var nf = s.normalize("NFC");', '.normalize', 'normalize'],
  ['var fc = String.fromCodePoint(233);', 'String.fromCodePoint', 'String'],
  ['var nf = Number.isFinite(x);', 'Number.isFinite', 'Number'],
  ['var ni = Number.parseInt("1", 10);', 'Number.parseInt', 'Number'],
  ['var ms = Number.MAX_SAFE_INTEGER;', 'Number.MAX_SAFE_INTEGER', 'Number'],
  ['var fl = xs.findLast(f);', '.findLast', 'findLast'],
  ['var rr = xs.reduceRight(f, 0);', '.reduceRight', 'reduceRight'],
  ['var ts = xs.toSorted();', '.toSorted', 'toSorted'],
  ['var r = Promise.race([]);', 'Promise.race', 'Promise'],
  ['var fl = [[1]].flat();', '.flat', 'flat'],
  ['var x = new Proxy({}, {});', 'Proxy', 'Proxy'],
  ['outer: for (;;) { break outer; }', 'outer:', 'outer'],
  ['var h = [1, , 2];', '[ , ]', '['],
  ['var g = __awaiter(this, void 0, void 0, function () {});', '__awaiter', '__awaiter'],
  ['var g = __generator(this, function (_a) { return [2]; });', '__generator', '__generator'],
  ['var fs = require("fs");', 'require("fs")', 'require'],
  ['var e = "caf\u00e9";', '\u00e9', '\u00e9'],
  ['xs.length = 0;', '.length =', 'xs'],
  ['list.items["length"] = 2;', '.length =', 'list'],
  ['xs.length -= 1;', '.length -=', 'xs'],
  ['xs.length--;', '.length--', 'xs'],
  ['--xs.length;', '.length--', 'xs'],
];

for (const [line, token, at] of BANNED) {
  test('refuses ' + token + ' with its position', () => {
    const code = 'var ok = 1;\n  ' + line + '\n';
    const found = issues(code);
    const hit = found.find((i) => i.token === token);
    assert.ok(hit, 'expected token ' + token + ', got ' + JSON.stringify(found));
    assert.is(hit!.line, 2);
    assert.is(hit!.column, 3 + line.indexOf(at), 'column of ' + token + ' in ' + line);
  });
}

test('Espruino\'s Number statics (src/jswrap_number.c) and the globals isFinite/isNaN/parseInt pass', () => {
  assert.equal(issues('var a = [Number.NaN, Number.MAX_VALUE, Number.MIN_VALUE, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, isFinite(1), isNaN(1), parseInt("1", 10), (1.5).toFixed(1), Number("2")];'), []);
});

test('every member of Espruino\'s Math (src/jswrap_math.c) passes, and only Math is checked', () => {
  const code = ESPRUINO_MATH.map((m, i) => 'var m' + i + ' = Math.' + m + ';').join('\n') + '\nvar o = { hypot: 1 }; var h = o.hypot + o.log10;';
  assert.equal(issues(code), []);
});

const NOT_ES5: string[] = [
  'let a = 1;',
  'const a = 1;',
  'var f = (x) => x;',
  'class A {}',
  'var s = `t${1}`;',
  'var { a } = o;',
  'var [a, b] = o;',
  'f(...args);',
  'function f(a = 1) {}',
  'function f(...rest) {}',
  'for (var x of xs) {}',
  'var p = 2 ** 3;',
  'var q = a?.b;',
  'var r = a ?? b;',
  'async function f() {}',
  'function* g() {}',
  'var o = { [k]: 1 };',
  'var o = { m() {} };',
  'var o = { a, b };',
];

for (const src of NOT_ES5) {
  test('refuses non-ES5 syntax: ' + src, () => {
    const found = issues('var ok = 1;\n' + src + '\n');
    assert.is(found.length, 1);
    assert.is(found[0].line, 2);
    assert.ok(found[0].column >= 1);
    assert.match(found[0].reason, /^not ECMAScript 5: /);
  });
}

test('a function declared after other statements is refused (Espruino does not hoist)', () => {
  const found = issues('function ok() {}\nvar a = late();\nfunction late() { return 1; }\n');
  assert.equal(found.map((i) => [i.line, i.column, i.token]), [[3, 1, 'function late']]);
});

test('formatGateIssue names file, line, column, token and reason', () => {
  const [i] = issues('var a = 1;\nvar m = new Map();\n');
  assert.is(formatGateIssue('firmware.js', i), 'firmware.js:2:13: `Map`: Map is not available (use objects or typed arrays)');
});

test('several issues are all reported, in order', () => {
  const found = issues('var s = new Set();\nvar a = Array.from(s);\nvar f = Object.freeze(a);\n');
  assert.equal(found.map((i) => i.token), ['Set', 'Array.from', 'Object.freeze']);
});

test('our TypeScript helpers pass the gate themselves', () => {
  const code = Object.keys(HELPERS).map((n) => HELPERS[n]).join('\n');
  assert.equal(issues(code), []);
});

test.run();
