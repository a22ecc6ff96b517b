/// <reference types="node" />
// Benchmark of the Lua build (docs/lua.md): the size of fobgate_core.lua, and the memory and time
// a Lua host spends on a 1,000- and a 5,000-member list: collectgarbage("count") after loading the
// core, and after decoding and verifying the list with the pure-Lua SHA-256 (the text dropped,
// the list kept), on reference Lua 5.1 and 5.4 (WebAssembly, 32-bit like a microcontroller) and
// Debian's lua5.1 (64-bit) when present. Baseline in the same run: the TypeScript core on Node
// decoding the same text, and the list's text size.
//   npx tsx shared/bench/lua.bench.ts
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { buildList, decodeList, encodeList, listMemoryBytes, type ListEntry } from '../src/authlist.js';
import { pureSha256Hex } from '../src/sha256.js';
import { coreLua, ENCODE_LUA } from '../lua/test/core.js';
import { debianHost, wasmHostFor, type LuaHost } from '../lua/test/lua-hosts.js';

const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
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

const SCRIPT = [
  'local load_ = loadstring or load',
  'local text = FRAMES.text',
  'FRAMES.text = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local empty = collectgarbage("count")',
  'local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()',
  'FRAMES.core = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local loaded = collectgarbage("count")',
  'local textKb = (#text + 24) / 1024',
  'local peak = loaded',
  'debug.sethook(function() local c = collectgarbage("count"); if c > peak then peak = c end end, "", 1000)',
  'local t0 = os.clock()',
  'local r = core.decodeList(text, core.pureSha256Hex)',
  'local t1 = os.clock()',
  'debug.sethook()',
  'assert(r.ok, r.error and r.error.message)',
  'local list = r.value',
  'text = nil',
  'collectgarbage("collect"); collectgarbage("collect")',
  'local kept = collectgarbage("count")',
  'local found = 0',
  'local t2 = os.clock()',
  'for i = 0, list.count - 1 do if core.findFob(list, list.fobs[i]) == i then found = found + 1 end end',
  'local t3 = os.clock()',
  'io.write(string.format("%.1f %.1f %.1f %.1f %.3f %.6f %d %.1f", empty - textKb, loaded - textKb, textKb, kept, t1 - t0, (t3 - t2) / list.count, found, peak - loaded + textKb))',
].join('\n');

function measure(host: LuaHost, text: string): number[] {
  const r = host.run(SCRIPT, { core: coreLua(), encode: ENCODE_LUA, text: text });
  if (!r.ok) throw new Error(host.name + ': ' + r.error);
  return r.out.trim().split(' ').map(Number);
}

const code = coreLua();
console.log('lua build: fobgate_core.lua ' + Buffer.byteLength(code) + ' bytes (' + gzipSync(code).length + ' gzipped), ' +
  code.split('\n').length + ' lines');
const hosts: LuaHost[] = [wasmHostFor('5.1'), wasmHostFor('5.4')];
const deb = debianHost();
if (deb) hosts.push(deb);
else console.log('lua bench: lua5.1 not installed, WebAssembly interpreters only');

for (const n of [1000, 5000]) {
  const list = buildList(MACHINE, entries(n), 7, 1763850000000, sha);
  const text = encodeList(list);
  let t = process.hrtime.bigint();
  const ts = decodeList(text, sha);
  const tsNative = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  const tsPure = decodeList(text, pureSha256Hex);
  const tsPureMs = Number(process.hrtime.bigint() - t) / 1e6;
  if (!ts.ok || !tsPure.ok) throw new Error('TypeScript decode failed');
  console.log('lua bench ' + n + ' members: list text ' + text.length + ' B; TypeScript on Node: decode ' + tsNative.toFixed(1) +
    ' ms (node:crypto), ' + tsPureMs.toFixed(1) + ' ms (pure SHA-256), RAM of fobs+flags ' + listMemoryBytes(ts.value) + ' B');
  for (const host of hosts) {
    const [empty, loaded, textKb, kept, secs, lookup, found, peakKb] = measure(host, text);
    if (found !== n) throw new Error(host.name + ': found ' + found + ' of ' + n);
    const listKb = kept - loaded;
    console.log('lua bench ' + n + ' members on ' + host.name + ': core loaded ' + (loaded - empty).toFixed(0) + ' KB, list text ' +
      textKb.toFixed(0) + ' KB, peak while decoding ' + peakKb.toFixed(0) + ' KB above the core, decoded list kept ' + listKb.toFixed(0) + ' KB (' + (listKb * 1024 / n).toFixed(1) +
      ' B/member, ' + (listKb * 1024 / text.length).toFixed(2) + 'x its text), decode+verify with pure SHA-256 ' + (secs * 1000).toFixed(0) +
      ' ms (' + (secs * 1000 / tsPureMs).toFixed(1) + 'x TypeScript pure), lookup ' + (lookup * 1e6).toFixed(1) + ' us');
  }
}
