// The comment/indentation strip: same tokens, same line structure for ASI, same behaviour.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as acorn from 'acorn';
import vm from 'node:vm';
import { compactScript } from './compact.js';

function tokens(code: string): string[] {
  const out: string[] = [];
  for (const t of acorn.tokenizer(code, { ecmaVersion: 5 })) out.push(code.slice(t.start, t.end));
  return out;
}

function run(code: string): unknown[] {
  const out: unknown[] = [];
  vm.runInNewContext(code, { report: (v: unknown) => out.push(v) });
  return JSON.parse(JSON.stringify(out));
}

const SAMPLE = [
  '/* header */',
  'var a = 1, b = 2; // trailing',
  'var c = a + +b, d = a - -b, e = a+ ++b, f = a - --b;',
  'var re = /ab+c/g, s = "x  y // not a comment";',
  'var n = 1 .toString() + 2.5.toFixed(1);',
  'function g(x) {',
  '    if (x in { k: 1 }) { return typeof x; }',
  '    return',
  '        x;',
  '}',
  'var h = a',
  '++b',
  'report([a, b, c, d, e, f, re.test("abbc"), s, n, g("k"), g("z"), h]);',
].join('\n');

test('keeps every token and the behaviour; drops comments and indentation', () => {
  const out = compactScript(SAMPLE);
  assert.equal(tokens(out), tokens(SAMPLE));
  assert.equal(run(out), run(SAMPLE));
  assert.not.match(out, /header|trailing/);
  assert.not.match(out, /\n /);
  assert.ok(out.length < SAMPLE.length);
});

test('line breaks between tokens survive so automatic semicolons land the same', () => {
  const out = compactScript(SAMPLE);
  assert.match(out, /return\nx;/);
  assert.match(out, /var h=a\n\+\+b/);
});

test('tokens that would merge keep one space', () => {
  assert.is(compactScript('var x = a + +b - -c;'), 'var x=a+ +b- -c;\n');
  assert.is(compactScript('var y = 1 .toString(); if (k in o) {}'), 'var y=1 .toString();if(k in o){}\n');
  assert.is(compactScript('x = a / /re/.source.length;'), 'x=a/ /re/.source.length;\n');
  assert.is(compactScript('x = y-- > 0;'), 'x=y-- >0;\n');
});

test('strings and regular expressions are kept byte for byte', () => {
  const src = 'var s = "a  /* b */  c", t = \'// d\', r = /[ ]{2}\\/x/;';
  assert.is(compactScript(src), 'var s="a  /* b */  c",t=\'// d\',r=/[ ]{2}\\/x/;\n');
});

test('lineBreaks false: one line when every statement ends in a semicolon, same behaviour', () => {
  const src = 'var a = 1;\nfunction f(x) {\n  return x + a;\n}\nvar b = f(2)\n;report([a, b]);\n';
  const out = compactScript(src, { lineBreaks: false });
  assert.is(out, 'var a=1;function f(x){return x+a;}var b=f(2);report([a,b]);\n');
  assert.equal(run(out), run(src));
});

test('lineBreaks false refuses a script that relies on a line break (automatic semicolons)', () => {
  assert.throws(() => compactScript('function g(x) {\n  return\n    x;\n}', { lineBreaks: false }), /reads differently/);
  // here the flat text does not even parse (`a++b`): acorn's SyntaxError
  assert.throws(() => compactScript('var h = a\n++b', { lineBreaks: false }));
});

test.run();
