/// <reference types="node" />
// The example Lua host of docs/lua.md (examples/unit.lua) on real interpreters: it verifies and
// loads a list (format 2) signed by the server's TypeScript, merges deltas fed in chunks and
// checks their result against the signature, looks members up in the list text, decodes Wiegand
// frames, decides and applies the outputs; tampered, rolled-back, foreign and wrongly based lists
// and deltas are refused. Digest: the core's pure-Lua SHA-256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildList, diffLists, signList, FLAG_MAIN, FLAG_OVERRIDE, type ListEntry } from '../../src/authlist.js';
import { encodeWiegand } from '../../src/wiegand.js';
import { coreLua, ENCODE_LUA } from './compiled-core.js';
import { luaLiteral } from './golden.js';
import { debianHost, wasmHostFor, NO_DEBIAN_LUA, type LuaHost } from './lua-hosts.js';

const here = dirname(fileURLToPath(import.meta.url));
const UNIT_LUA = readFileSync(join(here, '..', 'examples', 'unit.lua'), 'utf8');
const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
const hmac = (k: string, m: string) => createHmac('sha256', Buffer.from(k, 'latin1')).update(Buffer.from(m, 'latin1')).digest('hex');
const KEY = '5c'.repeat(32);
const OTHER_KEY = 'a7'.repeat(32);
const LATHE = { name: 'lathe', display_name: 'Lathe', unauthorized_warn_only: false, always_enabled: false, second_relay: null, offline_grace_hours: 72 };
const ENTRIES: ListEntry[] = [
  { fob: 91703745, flags: FLAG_MAIN, name: 'Ann' },
  { fob: 12345, flags: 0, name: 'Bob' },
  { fob: 4000000000, flags: FLAG_OVERRIDE, name: 'Mia' },
];
/** v6: Bob removed, Zed added, Ann renamed. */
const ENTRIES_V6: ListEntry[] = [
  { fob: 91703745, flags: FLAG_MAIN, name: 'Annie' },
  { fob: 555, flags: FLAG_MAIN, name: 'Zed' },
  { fob: 4000000000, flags: FLAG_OVERRIDE, name: 'Mia' },
];

function listV(version: number, machine = LATHE, entries = ENTRIES) {
  return buildList(machine, entries, version, 1763850000000 + version, sha);
}

/** A string cut into chunks of `n` bytes (a delta as it arrives). */
function chunks(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.substring(i, i + n));
  return out;
}

type Row = { step: string; ok?: boolean; code?: string; relay?: boolean; display?: string; led?: number[]; name?: string };

function scenario(host: LuaHost): Row[] {
  const v5 = listV(5);
  const sig5 = signList(v5.digest, KEY, hmac);
  const tampered = v5.text.replace('Bob ', 'Eve ');
  const v4 = listV(4);
  const other = listV(9, Object.assign({}, LATHE, { name: 'mill' }));
  const v6 = listV(6, LATHE, ENTRIES_V6);
  const sig6 = signList(v6.digest, KEY, hmac);
  const d56 = diffLists(v5, v6);
  // a delta's bytes altered in a record (the name Zed -> Zad): the merge succeeds, the signature does not
  const dTampered = d56.replace('Zed', 'Zad');
  const v7 = listV(7, LATHE, ENTRIES_V6.concat([{ fob: 9, flags: FLAG_MAIN, name: 'Ivy' }]));
  const d57 = diffLists(v5, v7);
  const d67 = diffLists(v6, v7);
  const d64 = diffLists(v6, v4);
  const badParity = encodeWiegand(12345, 26);
  badParity[3] = badParity[3] ? 0 : 1;
  const frame = (card: number, bits: 26 | 34) => 'return unit.frame(' + luaLiteral(encodeWiegand(card, bits)) + ', ' + bits + ')';
  const delta = (d: string, sig: string) => 'return unit.apply_delta(' + luaLiteral(chunks(d, 7)) + ', ' + luaLiteral(sig) + ')';
  const steps = [
    ['delta before any list', delta(d56, sig6)],
    ['list v5', 'return unit.load_list(' + luaLiteral(v5.text) + ', ' + luaLiteral(sig5) + ')'],
    ['Ann', frame(91703745, 34)],
    ['Ann removes', 'return unit.card_removed()'],
    ['Bob', frame(12345, 26)],
    ['Bob removes', 'return unit.card_removed()'],
    ['misread', 'return unit.frame(' + luaLiteral(badParity) + ', 26)'],
    ['unknown', frame(777, 26)],
    ['tampered', 'return unit.load_list(' + luaLiteral(tampered) + ', ' + luaLiteral(sig5) + ')'],
    ['another key', 'return unit.load_list(' + luaLiteral(v5.text) + ', ' + luaLiteral(signList(v5.digest, OTHER_KEY, hmac)) + ')'],
    ['rolled back', 'return unit.load_list(' + luaLiteral(v4.text) + ', ' + luaLiteral(signList(v4.digest, KEY, hmac)) + ')'],
    ['other machine', 'return unit.load_list(' + luaLiteral(other.text) + ', ' + luaLiteral(signList(other.digest, KEY, hmac)) + ')'],
    ['tampered delta', delta(dTampered, sig6)],
    ['delta, another key', delta(d56, signList(v6.digest, OTHER_KEY, hmac))],
    ['delta v5 -> v6', delta(d56, sig6)],
    ['lookup Zed', 'return unit.lookup(555)'],
    ['lookup Bob', 'return unit.lookup(12345)'],
    ['Annie', frame(91703745, 34)],
    ['Annie removes', 'return unit.card_removed()'],
    ['Bob after the delta', frame(12345, 26)],
    ['delta on the wrong base', delta(d57, signList(v7.digest, KEY, hmac))],
    ['delta rolled back', delta(d64, signList(v4.digest, KEY, hmac))],
    ['delta v6 -> v7', delta(d67, signList(v7.digest, KEY, hmac))],
    ['lookup Ivy', 'return unit.lookup(9)'],
    ['oops', 'return unit.oops()'],
    ['Mia overrides', frame(4000000000, 34)],
    ['Mia removes', 'return unit.card_removed()'],
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
    '  if type(r) == "table" and type(r.name) == "string" then row.name = r.name end',
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
  const by = (name: string) => {
    const row = rows.find((r) => r.step === name);
    assert.ok(row, 'no row for ' + name);
    return row as Row;
  };
  assert.equal(by('delta before any list'), { step: 'delta before any list', ok: false, code: 'NO_LIST' });
  assert.equal(by('list v5'), { step: 'list v5', ok: true, relay: false, display: 'Please Insert\nRFID Card', led: [0, 0, 0] });
  assert.equal(by('Ann'), { step: 'Ann', ok: true, relay: true, display: 'Welcome,\nAnn', led: [0, 1, 0] });
  assert.is(by('Ann removes').relay, false);
  assert.is(by('Bob').display, 'Unauthorized');
  assert.equal(by('misread'), { step: 'misread', ok: false, code: 'WIEGAND_PARITY' });
  assert.is(by('unknown').display, 'Unknown RFID');
  assert.is(by('oops').display, 'Oops!! Please\ncheck/post Slack');
  assert.equal(by('Mia overrides'), { step: 'Mia overrides', ok: true, relay: true, display: 'OVERRIDE BY\nMia', led: [0, 1, 0] });
  // the signature covers line 1 (the digest), the digest every other byte
  assert.equal(by('tampered'), { step: 'tampered', ok: false, code: 'LIST_DIGEST' });
  assert.equal(by('another key'), { step: 'another key', ok: false, code: 'LIST_SIGNATURE' });
  assert.equal(by('rolled back'), { step: 'rolled back', ok: false, code: 'LIST_ROLLBACK' });
  assert.equal(by('other machine'), { step: 'other machine', ok: false, code: 'LIST_WRONG_MACHINE' });
  // deltas, merged chunk by chunk: the result's digest must carry the server's signature
  assert.equal(by('tampered delta'), { step: 'tampered delta', ok: false, code: 'LIST_SIGNATURE' });
  assert.equal(by('delta, another key'), { step: 'delta, another key', ok: false, code: 'LIST_SIGNATURE' });
  assert.equal([by('delta v5 -> v6').ok, by('delta v5 -> v6').relay], [true, false], 'applied, the machine stays off');
  assert.equal(by('lookup Zed'), { step: 'lookup Zed', ok: true, name: 'Zed' });
  assert.equal(by('lookup Bob'), { step: 'lookup Bob', ok: false });
  assert.equal(by('Annie'), { step: 'Annie', ok: true, relay: true, display: 'Welcome,\nAnnie', led: [0, 1, 0] });
  assert.is(by('Bob after the delta').display, 'Unknown RFID');
  assert.equal(by('delta on the wrong base'), { step: 'delta on the wrong base', ok: false, code: 'DELTA_WRONG_BASE' });
  assert.equal(by('delta rolled back'), { step: 'delta rolled back', ok: false, code: 'LIST_ROLLBACK' });
  assert.is(by('delta v6 -> v7').ok, true);
  assert.equal(by('lookup Ivy'), { step: 'lookup Ivy', ok: true, name: 'Ivy' });
}

test('Lua 5.1 (WebAssembly): the example host loads a signed list and deltas, decides on Wiegand frames, refuses tampered, foreign and rolled-back lists and deltas', () => check(wasmHostFor('5.1')));
test('Lua 5.4 (WebAssembly): the same', () => check(wasmHostFor('5.4')));
const deb = debianHost();
if (deb) test('Debian lua5.1: the same', () => check(deb));
else test.skip('Debian lua5.1: ' + NO_DEBIAN_LUA, () => {});

test.run();
