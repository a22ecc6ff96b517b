/// <reference types="node" />
// The example Lua host of docs/lua.md (examples/unit.lua) on real interpreters: it verifies and
// loads a list signed by the server's TypeScript, decodes Wiegand frames, decides and applies the
// outputs; tampered, rolled-back and foreign lists are refused. Digest: the core's pure-Lua SHA-256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildList, encodeList, signText, FLAG_MAIN, FLAG_OVERRIDE } from '../../src/authlist.js';
import { encodeWiegand } from '../../src/wiegand.js';
import { coreLua, ENCODE_LUA } from './core.js';
import { luaLiteral } from './golden.js';
import { debianHost, wasmHostFor, NO_DEBIAN_LUA, type LuaHost } from './lua-hosts.js';

const here = dirname(fileURLToPath(import.meta.url));
const UNIT_LUA = readFileSync(join(here, '..', 'examples', 'unit.lua'), 'utf8');
const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
const hmac = (k: string, m: string) => createHmac('sha256', Buffer.from(k, 'latin1')).update(Buffer.from(m, 'latin1')).digest('hex');
const KEY = '5c'.repeat(32);
const LATHE = { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 };
const ENTRIES = [
  { fob: 91703745, flags: FLAG_MAIN, name: 'Ann' },
  { fob: 12345, flags: 0, name: 'Bob' },
  { fob: 4000000000, flags: FLAG_OVERRIDE, name: 'Mia' },
];

function signed(version: number, machine = LATHE, entries = ENTRIES): { text: string; sig: string } {
  const text = encodeList(buildList(machine, entries, version, 1763850000000 + version, sha));
  return { text: text, sig: signText(text, KEY, hmac) };
}

function scenario(host: LuaHost): Array<{ step: string; ok?: boolean; code?: string; relay?: boolean; display?: string; led?: number[] }> {
  const v5 = signed(5);
  const tampered = v5.text.replace('Bob ', 'Eve ');
  const v4 = signed(4);
  const other = signed(9, Object.assign({}, LATHE, { name: 'mill' }));
  const badParity = encodeWiegand(12345, 26);
  badParity[3] = badParity[3] ? 0 : 1;
  const steps = [
    ['list v5', 'return unit.load_list(' + luaLiteral(v5.text) + ', ' + luaLiteral(v5.sig) + ')'],
    ['Ann', 'return unit.frame(' + luaLiteral(encodeWiegand(91703745, 34)) + ', 34)'],
    ['Ann removes', 'return unit.card_removed()'],
    ['Bob', 'return unit.frame(' + luaLiteral(encodeWiegand(12345, 26)) + ', 26)'],
    ['misread', 'return unit.frame(' + luaLiteral(badParity) + ', 26)'],
    ['unknown', 'return unit.frame(' + luaLiteral(encodeWiegand(777, 26)) + ', 26)'],
    ['oops', 'return unit.oops()'],
    ['Mia overrides', 'return unit.frame(' + luaLiteral(encodeWiegand(4000000000, 34)) + ', 34)'],
    ['tampered', 'return unit.load_list(' + luaLiteral(tampered) + ', ' + luaLiteral(v5.sig) + ')'],
    ['another key', 'return unit.load_list(' + luaLiteral(v5.text) + ', ' + luaLiteral(signText(v5.text, 'a7'.repeat(32), hmac)) + ')'],
    ['rolled back', 'return unit.load_list(' + luaLiteral(v4.text) + ', ' + luaLiteral(v4.sig) + ')'],
    ['other machine', 'return unit.load_list(' + luaLiteral(other.text) + ', ' + luaLiteral(other.sig) + ')'],
  ];
  const script = [
    'local load_ = loadstring or load',
    'local core = assert(load_(FRAMES.core, "=fobgate_core.lua"))()',
    'local e = assert(load_(FRAMES.encode, "=encode.lua"))()(core)',
    'local applied = nil',
    'local clock = 1763860000000',
    'local unit = assert(load_(FRAMES.unit, "=unit.lua"))()(core, { machine = "lathe", key = ' + luaLiteral(KEY) + ',',
    '  now = function() clock = clock + 1000; return clock end, apply = function(out) applied = out end })',
    'local steps = {' + steps.map((s) => '{' + luaLiteral(s[0]) + ', function() ' + s[1] + ' end}').join(',') + '}',
    'for _, s in ipairs(steps) do',
    '  applied = nil',
    '  local r, err = s[2]()',
    '  local row = { step = s[1], ok = r ~= nil, code = err and err.code or nil }',
    '  if applied then row.relay = applied.relay; row.display = applied.display; row.led = applied.status_led_rgb end',
    '  io.write(e.enc(row), "\\n")',
    'end',
  ].join('\n');
  const r = host.run(script, { core: coreLua(), encode: ENCODE_LUA, unit: UNIT_LUA });
  assert.ok(r.ok, r.error);
  return r.out.trim().split('\n').map((l) => JSON.parse(l));
}

function check(host: LuaHost): void {
  const rows = scenario(host);
  const by = (name: string) => rows.find((r) => r.step === name)!;
  assert.equal(by('list v5'), { step: 'list v5', ok: true, relay: false, display: 'Please Insert\nRFID Card', led: [0, 0, 0] });
  assert.equal(by('Ann'), { step: 'Ann', ok: true, relay: true, display: 'Welcome,\nAnn', led: [0, 1, 0] });
  assert.is(by('Ann removes').relay, false);
  assert.is(by('Bob').display, 'Unauthorized');
  assert.equal(by('misread'), { step: 'misread', ok: false, code: 'WIEGAND_PARITY' });
  assert.is(by('unknown').display, 'Unknown RFID');
  assert.is(by('oops').display, 'Oops!! Please\ncheck/post Slack');
  assert.equal(by('Mia overrides'), { step: 'Mia overrides', ok: true, relay: true, display: 'OVERRIDE BY\nMia', led: [0, 1, 0] });
  // the signature covers the digest line, the digest every other byte
  assert.equal(by('tampered'), { step: 'tampered', ok: false, code: 'LIST_DIGEST' });
  assert.equal(by('another key'), { step: 'another key', ok: false, code: 'LIST_SIGNATURE' });
  assert.equal(by('rolled back'), { step: 'rolled back', ok: false, code: 'LIST_ROLLBACK' });
  assert.equal(by('other machine'), { step: 'other machine', ok: false, code: 'LIST_WRONG_MACHINE' });
}

test('Lua 5.1 (WebAssembly): the example host loads a signed list, decides on Wiegand frames, refuses bad lists', () => check(wasmHostFor('5.1')));
test('Lua 5.4 (WebAssembly): the same', () => check(wasmHostFor('5.4')));
const deb = debianHost();
if (deb) test('Debian lua5.1: the same', () => check(deb));
else test.skip('Debian lua5.1: ' + NO_DEBIAN_LUA, () => {});

test.run();
