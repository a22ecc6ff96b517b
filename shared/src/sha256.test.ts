/// <reference types="node" />
// The pure-arithmetic SHA-256 (the Lua build's digest fallback) against the known-answer vectors
// in shared/test-vectors/sha256.json (also replayed in Lua by shared/lua/test/sha256-lua.test.ts),
// against node:crypto for every length up to 300, and checked for the operators Lua 5.1 lacks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { pureSha256, pureSha256Hex } from './sha256.js';
import { makeHmacSha256, toHex } from './hmac.js';

interface ShaVector { name: string; input?: string; repeat?: { text: string; count: number }; sha256: string }
interface HmacVector { name: string; keyHex: string; dataHex: string; hmac: string }
const VECTORS = JSON.parse(readFileSync(new URL('../test-vectors/sha256.json', import.meta.url), 'utf8')) as {
  sha256: ShaVector[];
  hmac: HmacVector[];
};

function inputOf(v: ShaVector): string {
  return v.repeat ? v.repeat.text.repeat(v.repeat.count) : (v.input as string);
}

function fromHex(h: string): string {
  return Buffer.from(h, 'hex').toString('latin1');
}

const node = (s: string): string => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');

for (const v of VECTORS.sha256) {
  test('known answer: ' + v.name, () => {
    const s = inputOf(v);
    assert.is(node(s), v.sha256, 'the vector file agrees with node:crypto');
    assert.is(pureSha256Hex(s), v.sha256);
    assert.is(pureSha256(s).length, 32);
    assert.is(toHex(pureSha256(s)), v.sha256);
  });
}

test('HMAC-SHA256 built on pureSha256 gives the RFC 4231 answers', () => {
  const hmac = makeHmacSha256(pureSha256);
  for (const v of VECTORS.hmac) {
    const key = fromHex(v.keyHex);
    const data = fromHex(v.dataHex);
    assert.is(createHmac('sha256', Buffer.from(key, 'latin1')).update(Buffer.from(data, 'latin1')).digest('hex'), v.hmac, v.name + ' (file)');
    assert.is(hmac(key, data), v.hmac, v.name);
  }
});

test('equals node:crypto for every length 0..300 of random bytes', () => {
  let x = 12345;
  let s = '';
  for (let n = 0; n <= 300; n++) {
    assert.is(pureSha256Hex(s), node(s), 'length ' + n);
    x = (x * 16807) % 2147483647;
    s += String.fromCharCode(x % 256);
  }
});

test('characters above 255 count modulo 256, as hmac.ts reads 8-bit strings', () => {
  assert.is(pureSha256Hex('\u0141'), node('\u0041'));
});

test('source gate: sha256.ts uses no bitwise operator (exact in Lua 5.1, where numbers are doubles)', () => {
  const text = readFileSync(new URL('./sha256.ts', import.meta.url), 'utf8');
  const sf = ts.createSourceFile('sha256.ts', text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const BIT = [ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken, ts.SyntaxKind.LessThanLessThanToken,
    ts.SyntaxKind.GreaterThanGreaterThanToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, ts.SyntaxKind.AmpersandEqualsToken,
    ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.CaretEqualsToken, ts.SyntaxKind.LessThanLessThanEqualsToken,
    ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken];
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && BIT.indexOf(n.operatorToken.kind) >= 0) found.push(n.getText());
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.TildeToken) found.push(n.getText());
    ts.forEachChild(n, visit);
  };
  visit(sf);
  assert.equal(found, []);
});

test.run();
