import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCsv } from './csv.js';

test('plain records carry their source line', () => {
  const r = parseCsv('a,b\n1,2\n3,4\n');
  assert.is(r.error, null);
  assert.equal(r.records, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['1', '2'] },
    { line: 3, fields: ['3', '4'] },
  ]);
});

test('quoted fields with commas, doubled quotes and newlines; CRLF; BOM', () => {
  const r = parseCsv('\ufeffname,note\r\n"Lovelace, Ada","said ""hi""\nthen left"\r\nBob,x\r\n');
  assert.is(r.error, null);
  assert.equal(r.records[1], { line: 2, fields: ['Lovelace, Ada', 'said "hi"\nthen left'] });
  assert.equal(r.records[2], { line: 4, fields: ['Bob', 'x'] });
});

test('blank lines are skipped, empty fields kept, no trailing newline needed', () => {
  const r = parseCsv('a,b\n\n,\nx,');
  assert.equal(r.records.map((x) => x.fields), [['a', 'b'], ['', ''], ['x', '']]);
  assert.equal(r.records.map((x) => x.line), [1, 3, 4]);
});

test('unclosed quote and stray quote are errors with a line', () => {
  assert.equal(parseCsv('a\n"open\n').error, { line: 2, message: 'a quoted field is not closed' });
  assert.equal(parseCsv('a\nx"y\n').error?.line, 2);
  assert.equal(parseCsv('a\n"x"y\n').error?.line, 2);
});

test.run();
