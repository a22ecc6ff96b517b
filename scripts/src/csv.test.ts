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

test('a CRLF inside a quoted field is one line; lines after it stay right', () => {
  const r = parseCsv('a,b\r\n"x\r\ny",z\r\n\r\nlast,1\r\n');
  assert.is(r.error, null);
  assert.equal(r.records, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x\r\ny', 'z'] },
    { line: 5, fields: ['last', '1'] },
  ]);
});

test('errors after several records and multi-byte text point at the failing record', () => {
  assert.equal(parseCsv('naïve,b\nÅsa,"ok"\n\nbad,"x"y\n').error, { line: 4, message: 'unexpected character after a closing quote' });
  assert.equal(parseCsv('a\nb\n"open\nmore\nmore').error, { line: 3, message: 'a quoted field is not closed' });
  assert.equal(parseCsv('"x"y').error, { line: 1, message: 'unexpected character after a closing quote' });
  assert.equal(parseCsv('a\nb\nc"d\n').error, { line: 3, message: 'a quote may only start a field' });
});

test('records of different lengths are kept as they are (the importer names the line)', () => {
  assert.equal(parseCsv('a,b,c\n1\n1,2,3,4\n').records.map((x) => x.fields.length), [3, 1, 4]);
});

test('empty input: no records, no error', () => {
  assert.equal(parseCsv(''), { records: [], error: null });
  assert.equal(parseCsv('\ufeff\r\n\n'), { records: [], error: null });
  // mixed line endings (an export edited by hand): every kind ends a record
  assert.equal(parseCsv('a\r\nb\nc\rd').records, [{ line: 1, fields: ['a'] }, { line: 2, fields: ['b'] }, { line: 3, fields: ['c'] }, { line: 4, fields: ['d'] }]);
});

test.run();
