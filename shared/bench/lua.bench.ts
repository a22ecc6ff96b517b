/// <reference types="node" />
// Benchmark of the Lua build (docs/lua.md): the size of fobgate_core.lua, and the memory and time
// a Lua host spends on a 1,000- and a 5,000-member list (format 2): collectgarbage("count") after
// loading the core, while verifying the list's signature and digest with the pure-Lua SHA-256,
// with the list held (its text is the list: 21 bytes per member, searched in place), and while
// merging a delta of 2 % of the members fed in 1 KB chunks and checking its result; lookup time
// per member. On reference Lua 5.1 and 5.4 (WebAssembly, 32-bit like a microcontroller) and
// Debian's lua5.1 (64-bit) when present. Baseline in the same run: the TypeScript core on Node
// doing the same work, and the list's text size.
//   npx tsx shared/bench/lua.bench.ts
import { createHash, createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildList, diffLists, applyDelta, signList, verifyList, findFob, fobAt, type ListEntry } from '../src/authlist.js';
import { pureSha256Hex, pureSha256 } from '../src/sha256.js';
import { makeHmacSha256 } from '../src/hmac.js';
import { coreLua, ENCODE_LUA } from '../lua/test/compiled-core.js';
import { luaLiteral } from '../lua/test/golden.js';
import { debianHost, wasmHostFor, type LuaHost } from '../lua/test/lua-hosts.js';

const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
const hmac = (k: string, m: string) => createHmac('sha256', Buffer.from(k, 'latin1')).update(Buffer.from(m, 'latin1')).digest('hex');
const KEY = '5c'.repeat(32);
const MACHINE = { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 };

function entries(n: number): ListEntry[] {
  let x = 4242;
  const out: ListEntry[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 48271) % 2147483647;
    out.push({ fob: x * 2 + (i % 2), flags: 1 + (i % 4), name: 'Member number ' + i });
  }
  return out;
}

/** 2 % of the members changed: a third removed, a third renamed, a third new. */
function changed(list: ListEntry[]): ListEntry[] {
  const k = Math.max(3, Math.floor(list.length / 50));
  const out = list.slice(Math.floor(k / 3));
  for (let i = 0; i < Math.floor(k / 3); i++) out[i] = { fob: out[i].fob, flags: out[i].flags, name: 'Renamed ' + i };
  for (let i = 0; i < k - 2 * Math.floor(k / 3); i++) out.push({ fob: 3000000000 + i, flags: 1, name: 'New member ' + i });
  return out;
}

const SCRIPT = [
  'local load_ = loadstring or load',
  'local text, delta = FRAMES.text, FRAMES.delta',
  'FRAMES.text = nil; FRAMES.delta = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local base = collectgarbage("count")',
  'local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()',
  'FRAMES.core = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local loaded = collectgarbage("count")',
  'local textKb, deltaKb = #text / 1024, #delta / 1024',
  'local peak = loaded',
  'local function sample() local c = collectgarbage("count"); if c > peak then peak = c end end',
  'local hmac = core.makeHmacSha256(core.pureSha256)',
  'debug.sethook(sample, "", 1000)',
  'local t0 = os.clock()',
  'local r = core.verifyList(text, SIG, KEY, hmac, core.pureSha256Hex)',
  'local t1 = os.clock()',
  'debug.sethook()',
  'assert(r.ok, r.error and r.error.message)',
  'local verifyPeak = peak - loaded',
  'local list = r.value',
  'r = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local held = collectgarbage("count")',
  'local found = 0',
  'local t2 = os.clock()',
  'for i = 0, list.count - 1 do if core.findFob(list, core.fobAt(list, i)) == i then found = found + 1 end end',
  'local t3 = os.clock()',
  // the delta, fed in 1 KB chunks; its result checked against the signature of the new list
  'peak = held',
  'debug.sethook(sample, "", 1000)',
  'local t4 = os.clock()',
  'local parts = {}',
  'local m = core.newDeltaMerge(list, { begin = function() return true end, write = function(_, p) parts[#parts + 1] = p; return true end })',
  'for at = 1, #delta, 1024 do assert(m:feed(string.sub(delta, at, at + 1023))) end',
  'local h = m:finish()',
  'assert(h.ok, h.error and h.error.message)',
  'local body = table.concat(parts)',
  'parts = nil',
  'local digest = core.bodyDigest(body, core.pureSha256Hex)',
  'assert(core.checkSignature(digest, SIG2, KEY, hmac).ok, "delta result signature")',
  'local r2 = core.openList(core.line1Of(digest) .. "\\n" .. body)',
  'assert(r2.ok)',
  'local t5 = os.clock()',
  'debug.sethook()',
  'local deltaPeak = peak - held',
  'io.write(string.format("%.1f %.1f %.1f %.1f %.3f %.6f %d %.1f %.3f %.1f", loaded - base, textKb, deltaKb, verifyPeak, t1 - t0,',
  '  (t3 - t2) / list.count, found, held - loaded + textKb, t5 - t4, deltaPeak))',
].join('\n');

function measure(host: LuaHost, text: string, sig: string, delta: string, sig2: string): number[] {
  const script = 'local SIG, SIG2, KEY = ' + luaLiteral(sig) + ', ' + luaLiteral(sig2) + ', ' + luaLiteral(KEY) + '\n' + SCRIPT;
  // list bytes as they are (a string frame would go as UTF-8)
  const r = host.run(script, { core: coreLua(), encode: ENCODE_LUA, text: Buffer.from(text, 'latin1'), delta: Buffer.from(delta, 'latin1') });
  if (!r.ok) throw new Error(host.name + ': ' + r.error);
  return r.out.trim().split(' ').map(Number);
}

function ms(f: () => unknown): number {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const code = coreLua();
console.log('lua build: fobgate_core.lua ' + Buffer.byteLength(code) + ' bytes (' + gzipSync(code).length + ' gzipped), ' +
  code.split('\n').length + ' lines');
const hosts: LuaHost[] = [wasmHostFor('5.1'), wasmHostFor('5.4')];
const deb = debianHost();
if (deb) hosts.push(deb);
else console.log('lua bench: lua5.1 not installed, WebAssembly interpreters only');

const pureHmac = makeHmacSha256(pureSha256);
for (const n of [1000, 5000]) {
  const e = entries(n);
  const list = buildList(MACHINE, e, 7, 1763850000000, sha);
  const next = buildList(MACHINE, changed(e), 8, 1763850060000, sha);
  const delta = diffLists(list, next);
  const sig = signList(list.digest, KEY, hmac);
  const sig2 = signList(next.digest, KEY, hmac);
  const tsNative = ms(() => { if (!verifyList(list.text, sig, KEY, hmac, sha).ok) throw new Error('verify'); });
  const tsPure = ms(() => { if (!verifyList(list.text, sig, KEY, pureHmac, pureSha256Hex).ok) throw new Error('verify'); });
  const tsDelta = ms(() => { const r = applyDelta(list, delta, pureSha256Hex); if (!r.ok || r.value.digest !== next.digest) throw new Error('delta'); });
  let found = 0;
  const tsLookup = ms(() => { for (let i = 0; i < list.count; i++) if (findFob(list, fobAt(list, i)) === i) found++; }) / n;
  if (found !== n) throw new Error('TypeScript lookups');
  console.log('lua bench ' + n + ' members: list text ' + list.text.length + ' B, delta of ' + (next.count - n + 2 * Math.floor(Math.max(3, Math.floor(n / 50)) / 3)) +
    ' ops ' + delta.length + ' B; TypeScript on Node: verify ' + tsNative.toFixed(1) + ' ms (node:crypto), ' + tsPure.toFixed(1) +
    ' ms (pure SHA-256), delta merge+digest ' + tsDelta.toFixed(1) + ' ms (pure), lookup ' + (tsLookup * 1000).toFixed(2) + ' us');
  for (const host of hosts) {
    const [coreKb, textKb, deltaKb, verifyPeak, verifySecs, lookup, luaFound, heldKb, deltaSecs, deltaPeak] = measure(host, list.text, sig, delta, sig2);
    if (luaFound !== n) throw new Error(host.name + ': found ' + luaFound + ' of ' + n);
    console.log('lua bench ' + n + ' members on ' + host.name + ': core loaded ' + coreKb.toFixed(0) + ' KB; list held ' + heldKb.toFixed(0) +
      ' KB (' + (heldKb * 1024 / n).toFixed(1) + ' B/member; its text ' + textKb.toFixed(0) + ' KB); verify with pure SHA-256 ' +
      (verifySecs * 1000).toFixed(0) + ' ms (' + (verifySecs * 1000 / tsPure).toFixed(1) + 'x TypeScript pure), peak ' + verifyPeak.toFixed(0) +
      ' KB above the core; lookup ' + (lookup * 1e6).toFixed(1) + ' us; delta (' + deltaKb.toFixed(1) + ' KB) merged and checked ' +
      (deltaSecs * 1000).toFixed(0) + ' ms (' + (deltaSecs * 1000 / tsDelta).toFixed(1) + 'x TypeScript), peak ' + deltaPeak.toFixed(0) + ' KB above the held list');
  }
}
