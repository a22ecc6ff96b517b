// Espruino's pretokenised form (bench only): reserved words and operators as one byte each,
// strings and small integers raw, spaces only where two words would merge.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pretokenise } from './pretokenise.js';

const bytes = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

test('reserved words and multi-character operators become their token bytes', () => {
  // function=170 f ( x ) { return=171 x ===139 null=182 ; }
  assert.equal(bytes(pretokenise('function f(x) { return x === null; }')), [170, ...bytes('f(x){'), 171, ...bytes('x'), 139, 182, ...bytes(';}')]);
  // typeof=191, undefined=183, ++=152, &&=158
  assert.equal(bytes(pretokenise('typeof a; i++; a && undefined;')), [191, ...bytes('a;i'), 152, ...bytes(';a'), 158, 183, ...bytes(';')]);
});

test('strings and small integers are raw; floats, large integers and empty strings stay text', () => {
  assert.equal(bytes(pretokenise('x = "ab";')), [...bytes('x='), 209, 2, ...bytes('ab;')]);
  assert.equal(bytes(pretokenise('x = 0; y = 5; z = 1000;')), [...bytes('x='), 211, ...bytes(';y='), 212, 5, ...bytes(';z='), 213, 232, 3, ...bytes(';')]);
  assert.is(pretokenise('x = 1e3 + 0.5 + 40000 + "";'), 'x=1e3+0.5+40000+"";');
  const long = 'a'.repeat(300);
  assert.equal(bytes(pretokenise('x = "' + long + '";')).slice(0, 5), [...bytes('x='), 210, 44, 1]);
});

test('names that are Object.prototype members stay text', () => {
  assert.is(pretokenise('x.hasOwnProperty(k); y.constructor; z.toString()'), 'x.hasOwnProperty(k);y.constructor;z.toString()');
});

test('two words keep a space; + + and - - too', () => {
  assert.is(pretokenise('a + +b - -c; foo(bar, baz)'), 'a+ +b- -c;foo(bar,baz)');
  assert.equal(bytes(pretokenise('var abc = d')), [172, ...bytes('abc=d')]);
  assert.is(pretokenise('x = a / /re/g.source'), 'x=a/ /re/g.source');
});

test.run();
