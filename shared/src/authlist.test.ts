/// <reference types="node" />
// The list file: build, layout, digest chain, structure checks, lookups on the records where they
// lie, subjects, signature over line 1, streamed checks of a list as it arrives, rollback, and a
// source gate (no bitwise operators or syntax the interpreter lacks, for Espruino and Lua).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import {
  type AuthList, type ListEntry,
  FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, NAME_WIDTH, RECORD_BYTES, LINE1_BYTES, MAX_LIST_COUNT,
  buildList, openList, findFob, fobAt, flagsAt, nameAt, entryAt, subjectFromEntry, subjectForFob, fobKey, keyFob,
  entriesFor, signList, checkSignature, verifyList, checkNewer, checkMachine, contentDigest, DigestJob, FullListCheck,
} from './authlist.js';
import { subjectFor } from './decision.js';
import {
  sha256Hex, hmac, KEY, rng, machineConfig, header, user, randomEntries, listOf, plain, specDigest,
} from '../test/authlist-helpers.js';

function expectOk<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error('expected ok, got ' + r.error.code + ': ' + r.error.message);
  return r.value;
}

function expectFail(r: { ok: boolean; error?: { code: string; message: string } }, code: string): string {
  assert.is(r.ok, false, 'expected failure ' + code);
  const e = (r as { error: { code: string; message: string } }).error;
  assert.is(e.code, code, e.message);
  assert.ok(e.message.length > 10, 'message says what is wrong');
  return e.message;
}

/** A list file rebuilt around a changed body, with a correct digest (so only the structure is wrong). */
function withBody(body: string): string {
  return 'fobgate-list/2 ' + specDigest(body) + '\n' + body;
}

test('layout: line 1 with the digest, the canonical header line, then 21-byte records in fob order', () => {
  const list = listOf([{ fob: 0x01020304, flags: FLAG_MAIN, name: 'Ann' }, { fob: 7, flags: 0, name: 'Bo' }], 3);
  const t = list.text;
  assert.is(t.substring(0, LINE1_BYTES), 'fobgate-list/2 ' + list.digest + '\n');
  const nl = t.indexOf('\n', LINE1_BYTES);
  assert.is(t.substring(LINE1_BYTES, nl), '{"machine":{"name":"lathe","display_name":"Big Lathe","unauthorized_warn_only":false,"always_enabled":false,"second_relay":null,"offline_grace_s":259200},"version":3,"issued_at":1763850000003,"count":2}');
  assert.is(list.recStart, nl + 1);
  assert.is(t.length, nl + 1 + 2 * RECORD_BYTES);
  assert.is(t.substring(nl + 1, nl + 1 + RECORD_BYTES), '\x00\x00\x00\x07\x00Bo              ');
  assert.is(t.substring(nl + 1 + RECORD_BYTES), '\x01\x02\x03\x04\x01Ann             ');
  assert.is(list.digest, specDigest(t.substring(LINE1_BYTES)), 'the documented chain: h = sha256(h + 2048-byte piece)');
  assert.is(contentDigest(t, sha256Hex), list.digest);
});

test('the digest chain covers lists of every size in 2 KB pieces, and can run in steps', () => {
  for (const n of [0, 1, 93, 94, 95, 200, 3000]) {
    const list = listOf(randomEntries(rng(n + 1), n), 2);
    assert.is(list.digest, specDigest(list.text.substring(LINE1_BYTES)), 'count ' + n);
    const job = new DigestJob(list.text, LINE1_BYTES, sha256Hex);
    let steps = 0;
    while (!job.step(1)) steps++;
    assert.ok(job.done());
    assert.is(job.value(), list.digest);
    assert.is(steps + 1, Math.max(1, Math.ceil((list.text.length - LINE1_BYTES) / 2048)));
  }
});

test('buildList sorts, dedupes (first wins), pads names and keeps flags', () => {
  const list = listOf([
    { fob: 30, flags: FLAG_MAIN, name: 'Carol' },
    { fob: 10, flags: FLAG_MAIN + FLAG_OVERRIDE, name: 'Alice' },
    { fob: 20, flags: 0, name: 'Bob with a very long name indeed' },
    { fob: 10, flags: 0, name: 'Duplicate' },
    { fob: -1, flags: 0, name: 'bad fob' },
    { fob: 4294967296, flags: 0, name: 'too big' },
  ], 7);
  assert.is(list.count, 3);
  assert.equal([fobAt(list, 0), fobAt(list, 1), fobAt(list, 2)], [10, 20, 30]);
  assert.equal([flagsAt(list, 0), flagsAt(list, 1), flagsAt(list, 2)], [FLAG_MAIN + FLAG_OVERRIDE, 0, FLAG_MAIN]);
  assert.is(nameAt(list, 0), 'Alice');
  assert.is(nameAt(list, 1), 'Bob with a very', 'cut to 16, trailing space trimmed');
  assert.equal(entryAt(list, 2), { fob: 30, flags: FLAG_MAIN, name: 'Carol' });
  assert.match(list.digest, /^[0-9a-f]{64}$/);
});

test('names: the decision\'s LCD-safe form ("?" for non-ASCII), padded; trailing padding trimmed on read', () => {
  const list = listOf([{ fob: 1, flags: 0, name: ' Zoë\tK  ' }, { fob: 2, flags: 0, name: 'Emoji \ud83d\ude00 fan' }], 1);
  assert.is(list.text.substring(list.recStart + 5, list.recStart + 5 + NAME_WIDTH), ' Zo??K' + ' '.repeat(10));
  assert.is(nameAt(list, 0), ' Zo??K');
  assert.is(nameAt(list, 1), 'Emoji ? fan', 'a surrogate pair is one "?"');
});

test('machine display names travel as printable ASCII, and fractional grace hours as whole seconds', () => {
  const m = header({ display_name: 'Dreh\u00e4nk \u03a9 \ud83d\ude00 "big" \\', second_relay: { unauthorized_warn_only: true, always_enabled: false, display_name: 'K\u00fchlung' } });
  const list = listOf([], 1, m);
  assert.is(list.machine.display_name, 'Dreh?nk ? ? "big" \\');
  assert.is(list.machine.second_relay!.display_name, 'K?hlung');
  assert.ok(/^[\x20-\x7e\n]*$/.test(list.text.substring(0, list.recStart)), 'lines 1 and 2 are printable ASCII');
  assert.equal(expectOk(openList(list.text)).machine, list.machine);
  for (const h of [0.5, 1 / 3, 72, 0.1 + 0.2, 1000]) {
    const l = listOf([{ fob: 1, flags: 1, name: 'a' }], 1, header({ offline_grace_hours: h }));
    assert.ok(l.text.indexOf('"offline_grace_s":' + Math.round(h * 3600) + '}') > 0);
    const back = expectOk(openList(l.text));
    assert.is(back.machine.offline_grace_hours, Math.round(h * 3600) / 3600);
    if (h === Math.floor(h)) assert.is(back.machine.offline_grace_hours, h);
  }
});

test('openList reads back what buildList wrote, for random lists and machines', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = rng(seed);
    const m = header({
      display_name: seed % 2 ? 'Läthe "big" \\ one' : 'lathe',
      unauthorized_warn_only: seed % 3 === 0,
      always_enabled: seed % 5 === 0,
      second_relay: seed % 2 ? { unauthorized_warn_only: true, always_enabled: false, display_name: 'dust' } : null,
      offline_grace_hours: seed,
    });
    const list = listOf(randomEntries(r, Math.floor(r() * 300)), seed * 3, m);
    const back = expectOk(openList(list.text));
    assert.equal(back.machine, list.machine);
    assert.equal([back.version, back.issued_at, back.count, back.digest, back.recStart], [list.version, list.issued_at, list.count, list.digest, list.recStart]);
    assert.equal(plain(back), plain(list));
    for (let i = 1; i < back.count; i++) assert.ok(fobAt(back, i) > fobAt(back, i - 1), 'ascending');
  }
});

test('the digest depends on every byte after line 1', () => {
  const list = listOf(randomEntries(rng(3), 150), 4);
  const t = list.text;
  for (let i = LINE1_BYTES; i < t.length; i += 97) {
    const c = t.charCodeAt(i);
    const changed = t.substring(0, i) + String.fromCharCode(c === 65 ? 66 : 65) + t.substring(i + 1);
    assert.is.not(contentDigest(changed, sha256Hex), list.digest, 'byte ' + i);
  }
});

test('lookups: present and absent fobs, including 0 and 4294967295, by binary search over the records', () => {
  const r = rng(11);
  const entries = [{ fob: 0, flags: 1, name: 'zero' }, { fob: 4294967295, flags: 2, name: 'max' }].concat(randomEntries(r, 2000));
  const list = listOf(entries, 1);
  const held = new Set<number>();
  for (let i = 0; i < list.count; i++) held.add(fobAt(list, i));
  for (const e of entries) {
    const i = findFob(list, e.fob);
    assert.ok(i >= 0);
    assert.is(fobAt(list, i), e.fob);
  }
  for (let k = 0; k < 2000; k++) {
    const f = Math.floor(r() * 4294967296);
    if (!held.has(f)) assert.is(findFob(list, f), -1);
  }
  for (const bad of [-1, 4294967296, 1.5, NaN, Infinity]) assert.is(findFob(list, bad), -1);
  assert.is(nameAt(list, findFob(list, 0)), 'zero');
  assert.is(nameAt(list, findFob(list, 4294967295)), 'max');
  assert.is(findFob(listOf([], 1), 0), -1);
  for (const f of [0, 1, 255, 256, 65535, 65536, 16777215, 16777216, 4294967295]) assert.is(keyFob(fobKey(f), 0), f);
});

test('subjectFromEntry maps flags and name; subjectForFob is null for an unknown fob', () => {
  const list = listOf([
    { fob: 12, flags: FLAG_MAIN + FLAG_SECOND + FLAG_OVERRIDE + FLAG_EXPIRED, name: 'Ada' },
    { fob: 13, flags: 0, name: 'Bo' },
  ], 1);
  const s = subjectForFob(list, 12)!;
  assert.equal([s.main, s.second, s.override, s.expired, s.fob, s.name, s.full_name, s.account_id], [true, true, true, true, '0000000012', 'Ada', 'Ada', '']);
  const b = subjectFromEntry(list, 1);
  assert.equal([b.main, b.second, b.override, b.expired], [false, false, false, false]);
  assert.is(subjectForFob(list, 14), null);
});

test('entriesFor: one entry per fob, flags exactly as the decision\'s subjectFor', () => {
  const machine = machineConfig({
    authorizations_or: ['Lathe', 'Metal'],
    second_relay: { authorizations_or: ['Dust'], unauthorized_warn_only: false, always_enabled: false, alias: null, display_name: 'dust' },
    expiry_grace_days: 30,
  });
  const users = [
    user({ account_id: 'a', preferred_name: 'Ann', fob_codes: ['0000000001', '0000000002'], authorizations: ['Metal'] }),
    user({ account_id: 'b', preferred_name: 'Bea', fob_codes: ['0000000003'], authorizations: ['Dust', 'Lathe'], oops_override: true }),
    user({ account_id: 'c', preferred_name: 'Cy', fob_codes: ['0000000004'], authorizations: [], expiration_ymd: '2026-01-01' }),
    user({ account_id: 'd', preferred_name: '', first_name: 'Dee', fob_codes: ['0000000005'], expiration_ymd: '2026-10-30' }),
    user({ account_id: 'e', preferred_name: 'Émile Zola-Long-Name', fob_codes: ['0000000006', '9999999999'] }),
  ];
  const today = '2026-11-22';
  const entries = entriesFor(users, machine, today);
  assert.is(entries.length, 6, 'the 10-digit code above 2^32-1 is left out');
  const list = listOf(entries, 1);
  const expect = [[1, FLAG_MAIN], [2, FLAG_MAIN], [3, FLAG_MAIN + FLAG_SECOND + FLAG_OVERRIDE], [4, FLAG_EXPIRED], [5, 0], [6, 0]];
  for (const [fob, flags] of expect) assert.is(flagsAt(list, findFob(list, fob)), flags, 'fob ' + fob);
  assert.is(nameAt(list, findFob(list, 5)), 'Dee', 'falls back like subjectFor');
  assert.is(nameAt(list, findFob(list, 6)), '?mile Zola-Long-');
  for (const u of users) {
    for (const code of u.fob_codes) {
      const i = findFob(list, Number(code));
      if (i < 0) continue;
      const server = subjectFor(u, machine, code, today);
      const unit = subjectFromEntry(list, i);
      assert.equal(
        [unit.fob, unit.name, unit.main, unit.second, unit.override, unit.expired],
        [server.fob, server.name, server.main, server.second, server.override, server.expired],
      );
    }
  }
});

test('the signature is an HMAC of line 1: any changed byte fails the signature, the structure or the digest', () => {
  const list = listOf(randomEntries(rng(5), 40), 9, header({ second_relay: { unauthorized_warn_only: false, always_enabled: true, display_name: 'x' } }));
  const sig = signList(list.digest, KEY, hmac);
  assert.is(sig, hmac(KEY, 'fobgate-list/2 ' + list.digest));
  expectOk(verifyList(list.text, sig, KEY, hmac, sha256Hex));
  expectOk(verifyList(list.text, sig.toUpperCase(), KEY, hmac, sha256Hex));
  const t = list.text;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const changed = t.substring(0, i) + String.fromCharCode(c === 48 ? 49 : 48) + t.substring(i + 1);
    const r = verifyList(changed, sig, KEY, hmac, sha256Hex);
    assert.is(r.ok, false, 'byte ' + i);
  }
  expectFail(verifyList(t, signList(list.digest, 'b4'.repeat(32), hmac), KEY, hmac, sha256Hex), 'LIST_SIGNATURE');
  expectFail(verifyList(t, '', KEY, hmac, sha256Hex), 'LIST_SIGNATURE');
  expectFail(verifyList(t, sig.substring(1), KEY, hmac, sha256Hex), 'LIST_SIGNATURE');
  expectFail(verifyList(t, null, KEY, hmac, sha256Hex), 'LIST_SIGNATURE');
  expectFail(checkSignature(list.digest, 42, KEY, hmac), 'LIST_SIGNATURE');
  // a record changed and the digest recomputed: line 1 changes, so the signature fails
  expectFail(verifyList(withBody(t.substring(LINE1_BYTES, t.length - 1) + 'Z'), sig, KEY, hmac, sha256Hex), 'LIST_SIGNATURE');
});

test('malformed files never throw and say what is wrong', () => {
  const good = listOf([{ fob: 1, flags: 1, name: 'a' }, { fob: 2, flags: 2, name: 'b' }], 4).text;
  const body = good.substring(LINE1_BYTES);
  const nl = body.indexOf('\n');
  const hl = body.substring(0, nl);
  const recs = body.substring(nl + 1);
  const cases: unknown[] = [
    undefined, 42, '', 'hello\nworld',
    'fobgate-list/2 xyz\n' + body,
    'fobgate-list/1 ' + specDigest(body) + '\n' + body,
    'fobgate-list/2 ' + specDigest(body).toUpperCase() + '\n' + body,
    withBody('not json\n' + recs),
    withBody('[]\n' + recs),
    withBody(hl.replace('"count":2', '"count":3') + '\n' + recs),
    withBody(hl.replace('"count":2', '"count":1') + '\n' + recs),
    withBody(hl.replace('"count":2', '"count":-1') + '\n' + recs),
    withBody(hl.replace('"count":2', '"count":' + (MAX_LIST_COUNT + 1)) + '\n' + recs),
    withBody(hl.replace('"version":4', '"version":4.5') + '\n' + recs),
    withBody(hl.replace('"version":4', '"version": 4') + '\n' + recs),
    withBody(hl.replace('"always_enabled":false', '"always_enabled":0') + '\n' + recs),
    withBody(hl + '\n' + recs + 'x'),
    withBody(hl + '\n' + recs.substring(1)),
    withBody(hl),
    withBody(' '.repeat(2000) + hl + '\n' + recs),
  ];
  for (let k = 0; k < cases.length; k++) expectFail(openList(cases[k] as string), 'LIST_MALFORMED');
});

test('a full list checked as it arrives: announced line 1, header and size, ascending fobs, known flags, every byte', () => {
  const list = listOf(randomEntries(rng(8), 500), 6);
  const t = list.text;
  const feedAll = (text: string, digest: string, bytes: number, chunk: number): FullListCheck => {
    const c = new FullListCheck(digest, bytes);
    for (let p = 0; p < text.length; p += chunk) if (!c.feed(text.substring(p, p + chunk))) break;
    return c;
  };
  for (const chunk of [1, 7, 21, 80, 536, 1 << 20]) {
    const c = feedAll(t, list.digest, t.length, chunk);
    const h = expectOk(c.finish());
    assert.equal([h.version, h.count], [6, list.count], 'chunk ' + chunk);
  }
  expectFail(feedAll(t, list.digest.replace(/^./, list.digest[0] === 'a' ? 'b' : 'a'), t.length, 536).finish(), 'LIST_DIGEST');
  expectFail(feedAll(t, list.digest, t.length + 21, 536).finish(), 'LIST_MALFORMED');
  expectFail(feedAll(t, list.digest, t.length - 21, 536).finish(), 'LIST_MALFORMED');
  expectFail(feedAll(t.substring(0, t.length - 5), list.digest, t.length, 536).finish(), 'LIST_MALFORMED');
  // records out of order or repeated, and a flag byte with unknown bits (digests recomputed: structure only)
  const rs = list.recStart;
  const swapped = t.substring(0, rs) + t.substring(rs + RECORD_BYTES, rs + 2 * RECORD_BYTES) + t.substring(rs, rs + RECORD_BYTES) + t.substring(rs + 2 * RECORD_BYTES);
  const twice = t.substring(0, rs) + t.substring(rs, rs + RECORD_BYTES) + t.substring(rs, rs + RECORD_BYTES) + t.substring(rs + 2 * RECORD_BYTES);
  const flag = t.substring(0, rs + 4) + '\x10' + t.substring(rs + 5);
  for (const bad of [swapped, twice, flag]) {
    const d = specDigest(bad.substring(LINE1_BYTES));
    const fixed = 'fobgate-list/2 ' + d + '\n' + bad.substring(LINE1_BYTES);
    const m = expectFail(feedAll(fixed, d, fixed.length, 536).finish(), 'LIST_MALFORMED');
    assert.match(m, /ascending|flag/);
  }
  const c = new FullListCheck(list.digest, t.length);
  assert.is(c.feed(null as unknown as string), false);
  expectFail(c.finish(), 'LIST_MALFORMED');
});

test('buildList never throws on garbage entries, and keeps at most MAX_LIST_COUNT', () => {
  const junk = [null, undefined, 7, { fob: 'x' }, { fob: 3, flags: 'a', name: 5 }, { fob: 2, flags: 255, name: null }] as unknown as ListEntry[];
  const list = listOf(junk, 1);
  assert.equal(plain(list), [{ fob: 2, flags: 15, name: '' }, { fob: 3, flags: 0, name: '' }]);
  assert.is(listOf(null as unknown as ListEntry[], 1).count, 0);
  expectOk(openList(list.text));
  const many: ListEntry[] = [];
  for (let i = 0; i < MAX_LIST_COUNT + 10; i++) many.push({ fob: 5 + i, flags: 1, name: 'm' });
  const capped = listOf(many, 1);
  assert.is(capped.count, MAX_LIST_COUNT);
  expectOk(openList(capped.text));
});

test('checkNewer: newer applies, same is a no-op, older and same-version-other-content are rollbacks', () => {
  const l5 = listOf([{ fob: 1, flags: 1, name: 'a' }], 5);
  const l5b = listOf([{ fob: 2, flags: 1, name: 'b' }], 5);
  assert.is(expectOk(checkNewer(null, l5)), 'newer');
  assert.is(expectOk(checkNewer(4, l5, 'x'.repeat(64))), 'newer');
  assert.is(expectOk(checkNewer(5, l5, l5.digest)), 'same');
  assert.is(expectOk(checkNewer(5, l5)), 'same');
  expectFail(checkNewer(5, l5b, l5.digest), 'LIST_ROLLBACK');
  expectFail(checkNewer(6, l5, 'x'.repeat(64)), 'LIST_ROLLBACK');
});

test('checkMachine refuses a list for another machine', () => {
  const list = listOf([], 1, header({ name: 'saw' }));
  expectOk(checkMachine(list, 'saw'));
  expectFail(checkMachine(list, 'lathe'), 'LIST_WRONG_MACHINE');
});

test('16,383 members: the file is 21 bytes per member plus its header, built and checked whole', () => {
  const entries: ListEntry[] = [];
  for (let i = 0; i < MAX_LIST_COUNT; i++) entries.push({ fob: 100000 + i * 37, flags: i % 7, name: 'Member number ' + i });
  const list: AuthList = buildList(header({}), entries, 3, 1, sha256Hex);
  assert.is(list.count, MAX_LIST_COUNT);
  assert.is(list.text.length, list.recStart + MAX_LIST_COUNT * RECORD_BYTES);
  assert.ok(list.text.length < 345000, list.text.length + ' bytes');
  expectOk(verifyList(list.text, signList(list.digest, KEY, hmac), KEY, hmac, sha256Hex));
  assert.is(nameAt(list, findFob(list, 100000 + 37 * 16000)), 'Member number 16');
});

// ---------------------------------------------------------------- source gate

const GATED = ['authlist-list.ts', 'authlist-machine.ts', 'authlist-build.ts', 'authlist-digest.ts', 'authlist-delta.ts', 'authlist-receive.ts', 'authlist-sign.ts', 'authlist-entries.ts'];
const BITWISE = [
  ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken, ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.CaretEqualsToken, ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
];

function gateProblems(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const at = (n: ts.Node) => file + ':' + (sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1);
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && BITWISE.indexOf(n.operatorToken.kind) >= 0) found.push(at(n) + ' bitwise operator');
    if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.TildeToken) found.push(at(n) + ' bitwise ~');
    if (ts.isSpreadElement(n) || ts.isSpreadAssignment(n)) found.push(at(n) + ' spread');
    if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) found.push(at(n) + ' destructuring');
    if (ts.isParameter(n) && (n.initializer !== undefined || n.dotDotDotToken !== undefined)) found.push(at(n) + ' default/rest parameter');
    if ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n)) && n.questionDotToken !== undefined) found.push(at(n) + ' ?.');
    if (ts.isIdentifier(n) && ['Map', 'Set', 'Symbol', 'Uint8Array', 'Uint32Array', 'Buffer', 'require', 'process'].indexOf(n.text) >= 0) found.push(at(n) + ' ' + n.text);
    if (ts.isClassDeclaration(n) && n.heritageClauses !== undefined) found.push(at(n) + ' extends');
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

test('source gate: the list code has no bitwise operators, typed arrays or syntax the interpreter (or Lua) lacks', () => {
  for (const f of GATED) {
    const text = ts.sys.readFile('shared/src/' + f) ?? ts.sys.readFile('src/' + f);
    assert.ok(text, 'found ' + f);
    assert.equal(gateProblems(f, text!), [], f);
  }
  assert.equal(gateProblems('x.ts', 'const a = b | c; let d = 1; d >>= 2; const e = new Uint8Array(2);').length, 3, 'the gate catches what it looks for');
});

test.run();
