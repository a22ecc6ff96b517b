/// <reference types="node" />
// The Lua build itself: the shared core compiles to one Lua 5.1 file without a diagnostic (a core
// change that stops compiling fails here), it loads on every interpreter without touching the
// host's globals, exports what the TypeScript entry exports with the same constants, and its
// runtime (JavaScript truthiness, 32-bit operators, number text, JSON) matches JavaScript.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import * as tstl from 'typescript-to-lua';
import { buildLua } from '../build.js';
import { fobgateLuaPlugin } from '../plugin.js';
import * as tsCore from '../fobgate_core.js';
import { coreLua, ENCODE_LUA } from './compiled-core.js';
import { luaLiteral } from './golden.js';
import { debianHost, wasmHosts, type LuaHost } from './lua-hosts.js';

const hosts: LuaHost[] = wasmHosts();
const deb = debianHost();
if (deb) hosts.push(deb);

/** Run `body` (Lua) with `core` and `e` (encode.lua) loaded; returns what it printed. */
function run(host: LuaHost, body: string): string {
  const script = 'local load_ = loadstring or load\n' +
    'local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()\n' +
    'local e = assert(load_(FRAMES.encode, "=encode.lua"))()(core)\n' + body;
  const r = host.run(script, { core: coreLua(), encode: ENCODE_LUA });
  assert.ok(r.ok, host.name + ': ' + r.error);
  return r.out;
}

test('the core compiles to one Lua file with no diagnostic, no goto, the runtime in front', () => {
  const b = buildLua();
  assert.equal(b.problems, []);
  assert.ok(b.sources.indexOf('src.decision') >= 0 && b.sources.indexOf('src.authlist-list') >= 0 && b.sources.indexOf('src.sha256') >= 0);
  assert.ok(b.code.startsWith('-- fobgate_core.lua'));
  assert.ok(b.code.indexOf('local __fg = {}') < b.code.indexOf('local ____modules = {}'));
  assert.ok(!/\bgoto\b/.test(b.code));
  console.log('size fobgate_core.lua: ' + Buffer.byteLength(b.code) + ' bytes, ' + b.sources.length + ' modules');
});

for (const host of hosts) {
  test(host.name + ': loads without adding a global, exports the TypeScript names and constants', () => {
    const out = run(host, [
      'local before = {}',
      'for k in pairs(_G) do before[k] = true end',
      'local again = assert(load_(FRAMES.core, "=fobgate_core.lua"))()',
      'local added = {}',
      'for k in pairs(_G) do if not before[k] then added[#added + 1] = k end end',
      'local names, consts = {}, {}',
      'for k, v in pairs(again) do',
      '  names[#names + 1] = k',
      '  if type(v) ~= "function" and k ~= "_runtime" and type(v) ~= "table" or (type(v) == "table" and k ~= "_runtime" and getmetatable(v) == nil) then consts[k] = v end',
      'end',
      'table.sort(names)',
      'io.write(e.enc({ added = added, names = names, consts = consts, version = _VERSION, native = again._runtime.native }))',
    ].join('\n'));
    const r = JSON.parse(out);
    assert.equal(r.added, { $empty: 1 }, 'globals added: ' + JSON.stringify(r.added));
    assert.is(r.version, host.version);
    const tsNames = Object.keys(tsCore).sort();
    assert.equal(r.names.filter((n: string) => n !== '_runtime'), tsNames);
    // every constant (strings, numbers, arrays of them) as in TypeScript
    let constants = 0;
    for (const k of tsNames) {
      const v = (tsCore as Record<string, unknown>)[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        assert.is(r.consts[k], v, k);
        constants++;
      }
    }
    assert.ok(constants >= 30, constants + ' constants');
    console.log('lua ' + host.name + ': ' + r.names.length + ' exports, ' + constants + ' constants equal; bit operators: ' + r.native);
  });

  test(host.name + ': runtime numbers, truthiness, 32-bit operators and JSON behave as JavaScript', () => {
    const nums = [0, 1, -1, 12, 0.5, 1 / 3, 72, 1e21, 1.5e-7, 123456789012, 4294967295, 9007199254740991, 2 ** 60, -0.000001, 1e-7, 255 / 3600, NaN, Infinity, -Infinity];
    let x = 7;
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < 300; i++) {
      x = (x * 48271) % 2147483647;
      const a = i % 5 === 0 ? -x : x * (i % 3 === 0 ? 3 : 1);
      x = (x * 48271) % 2147483647;
      pairs.push([a, i % 7 === 0 ? x % 40 : x * 2]);
    }
    const texts = ['{"a":1}', '[1,2,3]', '{"a":"\\u00e9\\n","b":[true,false,null]}', '1e5', '-0.5', '"x"', '{', '{"a":1,}', '01', '1.', '[1 2]',
      '"\\x"', '{"a":1} x', '"tab\there"', ' {"k" : [ ] } ', 'nul', '"\\ud83d\\ude00"'];
    const out = run(host, [
      'local rt = core._runtime',
      'local nums = ' + '{' + nums.map((n) => (n !== n ? '0/0' : n === Infinity ? '1/0' : n === -Infinity ? '-1/0' : String(n))).join(',') + '}',
      'local strs = {}',
      'for i = 1, ' + nums.length + ' do strs[i] = rt.tostring(nums[i]) end',
      'local pairs_ = ' + '{' + pairs.map((p) => '{' + p[0] + ',' + p[1] + '}').join(',') + '}',
      'local bits = {}',
      'for i, p in ipairs(pairs_) do',
      '  local a, b = p[1], p[2]',
      '  bits[i] = { rt.band(a, b), rt.bor(a, b), rt.bxor(a, b), rt.lshift(a, b), rt.arshift(a, b), rt.rshift(a, b), rt.bnot(a),',
      '    rt.i32(rt.pure.band(rt.u32(a), rt.u32(b))), rt.i32(rt.pure.bor(rt.u32(a), rt.u32(b))), rt.i32(rt.pure.bxor(rt.u32(a), rt.u32(b))) }',
      'end',
      'local truth = {}',
      'for i, v in ipairs({ 0, 1, -1, "", "0", " ", 0 / 0, 1 / 0 }) do truth[i] = rt.truthy(v) end',
      'truth[9] = rt.truthy(nil); truth[10] = rt.truthy(false); truth[11] = rt.truthy({})',
      'local json = {}',
      'for i, t in ipairs(' + luaLiteral(texts) + ') do',
      '  local ok, v = pcall(rt.JSON.parse, rt.JSON, t)',
      '  json[i] = ok and { ok = true, v = v } or { ok = false }',
      'end',
      'io.write(e.enc({ strs = strs, bits = bits, truth = truth, json = json }))',
    ].join('\n'));
    const r = JSON.parse(out);
    assert.equal(r.strs, nums.map((n) => String(n)));
    pairs.forEach((p, i) => {
      const [a, b] = p;
      assert.equal(r.bits[i], [a & b, a | b, a ^ b, a << b, a >> b, a >>> b, ~a, a & b, a | b, a ^ b], a + ', ' + b);
    });
    assert.equal(r.truth, [false, true, true, false, true, true, false, true, false, false, true]);
    texts.forEach((t, i) => {
      let want: { ok: boolean; v?: unknown };
      try {
        want = { ok: true, v: JSON.parse(t) };
      } catch (err) {
        want = { ok: false };
      }
      assert.is(r.json[i].ok, want.ok, 'JSON ' + t);
    });
    assert.is(r.json[2].v.a, '\u00e9\n', 'a \\u00XX escape is one byte (8-bit strings)');
  });
}

/** Compile a TypeScript snippet with the build's plugin (5.1 target, like the core). */
function compileSnippet(code: string): { lua: string; problems: string[] } {
  const r = tstl.transpileVirtualProject({ 'main.ts': code }, {
    luaTarget: tstl.LuaTarget.Lua51, noImplicitSelf: true, strict: true, noHeader: true,
    luaLibImport: tstl.LuaLibImportKind.Inline, luaPlugins: [{ plugin: fobgateLuaPlugin }],
  });
  const problems = r.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { lua: r.transpiledFiles.map((f) => f.lua || '').join('\n'), problems: problems };
}

test('plugin: conditions on strings and numbers follow JavaScript truthiness in Lua', () => {
  const c = compileSnippet([
    'export function pick(s: string, n: number): string { return (s ? "s" : "-") + (n ? "n" : "-") + (!s ? "!" : ".") + (s || "empty") + (n && 5); }',
  ].join('\n'));
  assert.equal(c.problems, []);
  const rt = coreLua();
  const runtime = rt.slice(rt.indexOf('local __fg = {}'), rt.indexOf('local ____modules = {}'));
  const out = wasmHosts()[0].run(runtime + '\n' + c.lua.replace(/^return ____exports\s*$/m, '') +
    '\nio.write(____exports.pick("", 0), " ", ____exports.pick("x", 2), " ", ____exports.pick("0", 0 / 0))');
  assert.ok(out.ok, out.error);
  assert.is(out.out, '--!empty0 sn.x5 s-.0NaN');
});

test('plugin: a construct the build cannot give JavaScript\'s meaning is refused with a diagnostic', () => {
  const c = compileSnippet('export function f(a: number): number { let x = a; x |= 1; return x; }');
  assert.ok(c.problems.some((p) => /bitwise/i.test(p)), c.problems.join('\n'));
});

test.run();
