/// <reference types="node" />
// The pure-Lua SHA-256 (compiled from shared/src/sha256.ts) and HMAC-SHA256 on it, on every
// interpreter, against the known-answer vectors the TypeScript test reads
// (shared/test-vectors/sha256.json) and node:crypto for random inputs of every length up to 200.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { coreLua, ENCODE_LUA } from './compiled-core.js';
import { luaLiteral } from './golden.js';
import { debianHost, wasmHosts, type LuaHost } from './lua-hosts.js';

interface ShaVector { name: string; input?: string; repeat?: { text: string; count: number }; sha256: string }
interface HmacVector { name: string; keyHex: string; dataHex: string; hmac: string }
const VECTORS = JSON.parse(readFileSync(new URL('../../test-vectors/sha256.json', import.meta.url), 'utf8')) as { sha256: ShaVector[]; hmac: HmacVector[] };
const inputs = VECTORS.sha256.map((v) => (v.repeat ? v.repeat.text.repeat(v.repeat.count) : (v.input as string)));
const latin = (h: string) => Buffer.from(h, 'hex').toString('latin1');

let x = 99;
const randoms: string[] = [];
let s = '';
for (let n = 0; n <= 200; n++) {
  randoms.push(s);
  x = (x * 48271) % 2147483647;
  s += String.fromCharCode(x % 256);
}

const hosts: LuaHost[] = wasmHosts();
const deb = debianHost();
if (deb) hosts.push(deb);

for (const host of hosts) {
  test(host.name + ': pureSha256 and HMAC on it give the known answers and node:crypto\'s', () => {
    const script = [
      'local load_ = loadstring or load',
      'local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()',
      'local e = assert(load_(FRAMES.encode, "=encode.lua"))()(core)',
      'local hmac = core.makeHmacSha256(core.pureSha256)',
      'local known, mac, rnd = {}, {}, {}',
      'for i, s in ipairs(' + luaLiteral(inputs) + ') do known[i] = core.pureSha256Hex(s) end',
      'for i, v in ipairs(' + luaLiteral(VECTORS.hmac.map((v) => [latin(v.keyHex), latin(v.dataHex)])) + ') do mac[i] = hmac(v[1], v[2]) end',
      'for i, s in ipairs(' + luaLiteral(randoms) + ') do rnd[i] = core.pureSha256Hex(s) end',
      'io.write(e.enc({ known = known, mac = mac, rnd = rnd, len = #core.pureSha256("abc") }))',
    ].join('\n');
    const r = host.run(script, { core: coreLua(), encode: ENCODE_LUA });
    assert.ok(r.ok, r.error);
    const out = JSON.parse(r.out);
    VECTORS.sha256.forEach((v, i) => assert.is(out.known[i], v.sha256, v.name));
    VECTORS.hmac.forEach((v, i) => assert.is(out.mac[i], v.hmac, v.name));
    randoms.forEach((m, i) => assert.is(out.rnd[i], createHash('sha256').update(Buffer.from(m, 'latin1')).digest('hex'), 'length ' + i));
    assert.is(out.len, 32);
  });
}

test.run();
