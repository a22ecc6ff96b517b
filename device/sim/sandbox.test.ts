// Tests of the firmware sandbox: what Espruino lacks is gone, Date follows the simulated clock,
// Math.random is seeded, and values handed in come from the sandbox's own realm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ESPRUINO_MATH } from '../build/espruino-math.js';
import { MAX_ARRAYBUFFER_BYTES, REMOVED_IN_SANDBOX, Sandbox } from './sandbox.js';

test('every API Espruino lacks is absent inside the sandbox', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  for (const path of REMOVED_IN_SANDBOX) {
    assert.is(s.evaluate('typeof ' + path), 'undefined', path);
  }
  assert.throws(() => s.evaluate('new Map()'), /Map is not defined/);
  assert.throws(() => s.evaluate('Array.from([1])'), /not a function/);
  assert.throws(() => s.evaluate('Promise.resolve(1).finally(function(){})'), /not a function/);
  assert.throws(() => s.evaluate('[[1]].flat()'), /not a function/);
  assert.throws(() => s.evaluate('Object.freeze({})'), /not a function/);
});

test('Math holds exactly what Espruino\'s src/jswrap_math.c declares', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  const left = String(s.evaluate('Object.getOwnPropertyNames(Math).join()')).split(',');
  assert.equal(left.filter((m) => ESPRUINO_MATH.indexOf(m) < 0), [], 'members Espruino lacks');
  assert.ok(left.length >= ESPRUINO_MATH.length - 2, 'all but the Espruino-only clip/wrap are kept');
  for (const m of ['hypot', 'log10', 'log2', 'cbrt', 'sinh', 'fround', 'expm1', 'trunc']) {
    assert.is(s.evaluate('typeof Math.' + m), 'undefined', 'Math.' + m);
  }
  assert.is(s.evaluate('Math.floor(2.5) + Math.round(2.5) + Math.max(1, 4) + Math.sign(-3)'), 2 + 3 + 4 - 1);
});

test('String holds only what Espruino\'s src/jswrap_string.c declares', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  for (const m of ['at', 'codePointAt', 'normalize', 'localeCompare', 'search', 'matchAll', 'trimStart', 'trimEnd', 'toLocaleUpperCase']) {
    assert.is(s.evaluate('typeof "abc".' + m), 'undefined', 'String.prototype.' + m);
  }
  assert.is(s.evaluate('typeof String.fromCodePoint + typeof String.raw'), 'undefinedundefined');
  assert.is(s.evaluate('"ab".padStart(4, "-") + "x".repeat(2) + " t ".trim() + "a-b".split("-").join("+") + "Ab".toLowerCase() + String.fromCharCode(65) + String(7) + "abc".replaceAll("b", "")'), '--abxxta+babA7ac');
  assert.is(s.evaluate('"abc".startsWith("a") && "abc".endsWith("c") && "abc".includes("b") && "abc".substr(1, 1) === "b" && "abc".slice(-1) === "c"'), true);
});

test('Array holds only what Espruino\'s src/jswrap_array.c declares', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  for (const m of ['at', 'lastIndexOf', 'reduceRight', 'findLast', 'findLastIndex', 'copyWithin', 'keys', 'values', 'entries', 'toSorted', 'with']) {
    assert.is(s.evaluate('typeof [].' + m), 'undefined', 'Array.prototype.' + m);
  }
  assert.is(s.evaluate('typeof Array.isArray + typeof Array.fromAsync'), 'functionundefined');
  assert.is(s.evaluate('[3, 1, 2].sort().concat([4]).filter(function (x) { return x > 1; }).map(function (x) { return x * 2; }).join()'), '4,6,8');
  assert.is(s.evaluate('var a = [1, 2, 3]; a.splice(1, 1); a.unshift(0); a.push(9); a.reverse().slice(1).indexOf(1) + a.findIndex(function (x) { return x === 9; })'), 1);
});

test('Number holds only what Espruino\'s src/jswrap_number.c declares', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  // (EPSILON and MAX/MIN_SAFE_INTEGER are non-configurable in V8 and stay; the gate refuses them)
  for (const m of ['isFinite', 'isNaN', 'isInteger', 'isSafeInteger', 'parseInt', 'parseFloat']) {
    assert.is(s.evaluate('typeof Number.' + m), 'undefined', 'Number.' + m);
  }
  assert.is(s.evaluate('typeof (1).toPrecision + typeof (1).toExponential'), 'undefinedundefined');
  assert.is(s.evaluate('(2.345).toFixed(1) + (255).toString(16) + Number("7") + isFinite(1) + isNaN(NaN) + parseInt("12", 10)'), '2.3ff7truetrue12');
});

test('typed arrays above 65535 bytes are refused, as Espruino refuses such an ArrayBuffer', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  assert.is(MAX_ARRAYBUFFER_BYTES, 65535);
  assert.is(s.evaluate('new Uint8Array(65535).length'), 65535);
  assert.is(s.evaluate('new Uint32Array(16383).byteLength'), 65532);
  assert.throws(() => s.evaluate('new Uint32Array(16384)'), /Invalid length for ArrayBuffer/);
  assert.throws(() => s.evaluate('new Uint8Array(70000)'), /Invalid length for ArrayBuffer/);
  assert.throws(() => s.evaluate('new ArrayBuffer(65536)'), /Invalid length for ArrayBuffer/);
  assert.throws(() => s.evaluate('new Float64Array(8192)'), /Invalid length for ArrayBuffer/);
  // views, instanceof and subarray behave as before
  assert.is(s.evaluate('var b = new Uint8Array(8); var v = new Uint32Array(b.buffer, 4, 1); (v instanceof Uint32Array) + "," + (b.subarray(2) instanceof Uint8Array) + "," + v.length'), 'true,true,1');
  assert.is(s.evaluate('new Uint8Array([1, 2, 3])[2]'), 3);
});

test('what Espruino has still works (JSON, typed arrays, promises then/catch/all, class)', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  assert.is(s.evaluate('JSON.stringify({a:[1,2]})'), '{"a":[1,2]}');
  assert.is(s.evaluate('new Uint32Array(4).length'), 4);
  assert.is(s.evaluate('typeof Promise.all'), 'function');
  assert.is(s.evaluate('(function(){ class A { f(){ return 3; } } return new A().f(); })()'), 3);
});

test('Date.now() and new Date() follow the simulated clock; explicit dates still work', () => {
  let now = 1_700_000_000_000;
  const s = new Sandbox({ dateNow: () => now, seed: 1 });
  assert.is(s.evaluate('Date.now()'), now);
  now += 5000;
  assert.is(s.evaluate('new Date().getTime()'), now);
  assert.is(s.evaluate('new Date(0).getTime()'), 0);
  assert.is(s.evaluate('new Date(2026, 0, 2).getFullYear()'), 2026);
});

test('Math.random is deterministic per seed', () => {
  const a = new Sandbox({ dateNow: () => 0, seed: 7 });
  const b = new Sandbox({ dateNow: () => 0, seed: 7 });
  const c = new Sandbox({ dateNow: () => 0, seed: 8 });
  const two = (x: Sandbox) => JSON.parse(x.evaluate('JSON.stringify([Math.random(), Math.random()])') as string) as number[];
  const ra = two(a);
  assert.equal(two(b), ra);
  assert.not.equal(two(c), ra);
  assert.ok(ra[0] >= 0 && ra[0] < 1);
});

test('realm values are native to the sandbox (instanceof works inside)', () => {
  const s = new Sandbox({ dateNow: () => 0, seed: 1 });
  s.install({ give: () => s.realm.array([1, 2]), giveErr: () => { throw s.realm.error('boom'); }, giveBuf: () => s.realm.arrayBuffer(new Uint8Array([1])) });
  assert.is(s.evaluate('give() instanceof Array'), true);
  assert.is(s.evaluate('(function(){ try { giveErr(); } catch (e) { return e instanceof Error && e.message; } })()'), 'boom');
  assert.is(s.evaluate('giveBuf() instanceof ArrayBuffer'), true);
});

test.run();
