// The full authorization list: build, text round trip, strict decoding, lookups, subjects,
// signature, rollback, and the 5,000-member size budget.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type AuthList, type ListEntry,
  FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, NAME_WIDTH,
  buildList, encodeList, encodeListHead, decodeList, findFob, nameAt, entryAt, subjectFromEntry, subjectForFob, listMemoryBytes,
  entriesFor, signText, verifyText, checkNewer, checkMachine, encodeDelta, diffLists,
} from './authlist.js';
import { subjectFor } from './decision.js';
import {
  sha256Hex, hmac, KEY, rng, machineConfig, header, user, randomEntries, listOf, plain,
} from '../test/authlist-helpers.js';

function entriesOfList(list: AuthList): ListEntry[] {
  const out: ListEntry[] = [];
  for (let i = 0; i < list.count; i++) out.push(entryAt(list, i));
  return out;
}

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

/** The digest as the format defines it, written independently of the module (lines: header, fobs, flags, names). */
function specDigest(body: string): string {
  const lines = body.split('\n');
  const h = (x: string) => {
    let hs = '';
    for (let p = 0; p < x.length; p += 2048) hs += sha256Hex(x.substring(p, p + 2048));
    return sha256Hex(hs);
  };
  return sha256Hex(lines[0] + '\n' + h(lines[1] || '') + '\n' + h(lines[2] || '') + '\n' + h(lines.slice(3).join('\n')));
}

test('the digest follows the documented piecewise definition', () => {
  for (const n of [0, 1, 383, 384, 385, 3000]) {
    const text = encodeList(listOf(randomEntries(rng(n + 1), n), 2));
    const nl = text.indexOf('\n');
    assert.is(text.substring(15, nl), specDigest(text.substring(nl + 1)), 'count ' + n);
  }
});

test('buildList sorts, dedupes (first wins), pads names and keeps flags', () => {
  const list = listOf([
    { fob: 30, flags: FLAG_MAIN, name: 'Carol' },
    { fob: 10, flags: FLAG_MAIN | FLAG_OVERRIDE, name: 'Alice' },
    { fob: 20, flags: 0, name: 'Bob with a very long name indeed' },
    { fob: 10, flags: 0, name: 'Duplicate' },
    { fob: -1, flags: 0, name: 'bad fob' },
    { fob: 4294967296, flags: 0, name: 'too big' },
  ], 7);
  assert.is(list.count, 3);
  assert.equal(Array.from(list.fobs), [10, 20, 30]);
  assert.equal(Array.from(list.flags), [FLAG_MAIN | FLAG_OVERRIDE, 0, FLAG_MAIN]);
  assert.is(list.names.length, 3 * NAME_WIDTH);
  assert.is(list.names.substr(0, 16), 'Alice           ');
  assert.is(nameAt(list, 1), 'Bob with a very', 'cut to 16, trailing space trimmed');
  assert.equal(entryAt(list, 2), { fob: 30, flags: FLAG_MAIN, name: 'Carol' });
  assert.match(list.digest, /^[0-9a-f]{64}$/);
});

test('names: the decision\'s LCD-safe form ("?" for non-ASCII), padded; trailing padding trimmed on read', () => {
  const list = listOf([{ fob: 1, flags: 0, name: ' Zoë\tK  ' }, { fob: 2, flags: 0, name: 'Emoji \ud83d\ude00 fan' }], 1);
  assert.is(list.names.substr(0, 16), ' Zo??K' + ' '.repeat(10));
  assert.is(nameAt(list, 0), ' Zo??K');
  assert.is(nameAt(list, 1), 'Emoji ? fan', 'a surrogate pair is one "?"');
});

test('machine display names travel as printable ASCII (the chip re-renders them byte for byte)', () => {
  const m = header({ display_name: 'Dreh\u00e4nk \u03a9 \ud83d\ude00 "big" \\', second_relay: { unauthorized_warn_only: true, always_enabled: false, display_name: 'K\u00fchlung' } });
  const list = listOf([], 1, m);
  assert.is(list.machine.display_name, 'Dreh?nk ? ? "big" \\');
  assert.is(list.machine.second_relay!.display_name, 'K?hlung');
  const text = encodeList(list);
  assert.ok(/^[\x20-\x7e\n]*$/.test(text));
  assert.equal(expectOk(decodeList(text, sha256Hex)).machine, list.machine);
});

test('fractional offline grace hours survive the text exactly (carried as whole seconds)', () => {
  for (const h of [0.5, 1 / 3, 72, 0.1 + 0.2, 1000]) {
    const list = listOf([{ fob: 1, flags: 1, name: 'a' }], 1, header({ offline_grace_hours: h }));
    const text = encodeList(list);
    assert.ok(text.indexOf('"offline_grace_s":' + Math.round(h * 3600) + '}') > 0);
    const back = expectOk(decodeList(text, sha256Hex));
    assert.is(back.machine.offline_grace_hours, Math.round(h * 3600) / 3600);
    assert.is(encodeList(back), text);
    if (h === Math.floor(h)) assert.is(back.machine.offline_grace_hours, h);
  }
});

test('round trip: encode -> decode gives the same list; text is printable ASCII', () => {
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
    const text = encodeList(list);
    assert.ok(/^[\x20-\x7e\n]*$/.test(text), 'printable ASCII');
    const back = expectOk(decodeList(text, sha256Hex));
    assert.equal(back.machine, list.machine);
    assert.is(back.version, list.version);
    assert.is(back.issued_at, list.issued_at);
    assert.is(back.count, list.count);
    assert.is(back.digest, list.digest);
    assert.equal(plain(back), plain(list));
    assert.is(encodeList(back), text);
  }
});

test('empty list round trips', () => {
  const list = listOf([], 1);
  const back = expectOk(decodeList(encodeList(list), sha256Hex));
  assert.is(back.count, 0);
  assert.is(findFob(back, 0), -1);
  assert.is(listMemoryBytes(back), 0);
});

test('digest depends on every part of the content', () => {
  const e = [{ fob: 5, flags: FLAG_MAIN, name: 'Ann' }];
  const d0 = listOf(e, 1).digest;
  assert.is.not(listOf(e, 2).digest, d0, 'version');
  assert.is.not(listOf([{ fob: 6, flags: FLAG_MAIN, name: 'Ann' }], 1).digest, d0, 'fob');
  assert.is.not(listOf([{ fob: 5, flags: 0, name: 'Ann' }], 1).digest, d0, 'flags');
  assert.is.not(listOf([{ fob: 5, flags: FLAG_MAIN, name: 'Anne' }], 1).digest, d0, 'name');
  assert.is.not(listOf(e, 1, header({ unauthorized_warn_only: true })).digest, d0, 'machine header');
  assert.is(listOf(e, 1).digest, d0, 'deterministic');
});

test('lookups: present and absent fobs, including 0 and 4294967295', () => {
  const r = rng(99);
  const entries = randomEntries(r, 2000);
  entries.push({ fob: 0, flags: 1, name: 'zero' }, { fob: 4294967295, flags: 2, name: 'max' });
  const list = listOf(entries, 3);
  const want: { [fob: string]: boolean } = {};
  for (let i = 0; i < entries.length; i++) want[String(entries[i].fob)] = true;
  for (let i = 0; i < list.count; i++) assert.is(findFob(list, list.fobs[i]), i);
  assert.is(list.fobs[findFob(list, 0)], 0);
  assert.is(list.fobs[findFob(list, 4294967295)], 4294967295);
  for (let k = 0; k < 2000; k++) {
    const f = Math.floor(r() * 4294967296);
    const i = findFob(list, f);
    if (want[String(f)]) assert.is(list.fobs[i], f);
    else assert.is(i, -1);
  }
  const small = listOf([{ fob: 7, flags: 0, name: 'x' }], 1);
  assert.is(findFob(small, 0), -1);
  assert.is(findFob(small, 4294967295), -1);
  assert.is(findFob(small, 6), -1);
  assert.is(findFob(small, 8), -1);
  assert.is(findFob(small, 7.5), -1);
  assert.is(findFob(small, -7), -1);
  assert.is(findFob(small, 4294967296 + 7), -1, 'no uint32 wrap-around');
  assert.is(findFob(small, NaN), -1);
});

test('subjectFromEntry maps flags and name; subjectForFob is null for an unknown fob', () => {
  const list = listOf([
    { fob: 91703745, flags: FLAG_MAIN | FLAG_SECOND | FLAG_OVERRIDE | FLAG_EXPIRED, name: 'Grace' },
    { fob: 12, flags: 0, name: 'Nobody' },
  ], 1);
  const i = findFob(list, 91703745);
  assert.equal(subjectFromEntry(list, i), {
    fob: '0091703745', account_id: '', name: 'Grace', full_name: 'Grace',
    main: true, second: true, override: true, expired: true,
  });
  const s = subjectForFob(list, 12);
  assert.ok(s);
  assert.equal([s!.main, s!.second, s!.override, s!.expired, s!.fob], [false, false, false, false, '0000000012']);
  assert.is(subjectForFob(list, 13), null);
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
  const expect = [
    [1, FLAG_MAIN], [2, FLAG_MAIN], [3, FLAG_MAIN | FLAG_SECOND | FLAG_OVERRIDE], [4, FLAG_EXPIRED], [5, 0], [6, 0],
  ];
  for (let k = 0; k < expect.length; k++) {
    const i = findFob(list, expect[k][0]);
    assert.ok(i >= 0);
    assert.is(list.flags[i], expect[k][1], 'fob ' + expect[k][0]);
  }
  assert.is(nameAt(list, findFob(list, 5)), 'Dee', 'falls back like subjectFor');
  assert.is(nameAt(list, findFob(list, 6)), '?mile Zola-Long-');
  // The same subject on both sides: what the unit derives from its list equals the server's.
  for (let u = 0; u < users.length; u++) {
    for (let c = 0; c < users[u].fob_codes.length; c++) {
      const code = users[u].fob_codes[c];
      const i = findFob(list, Number(code));
      if (i < 0) continue;
      const server = subjectFor(users[u], machine, code, today);
      const unit = subjectFromEntry(list, i);
      assert.equal(
        [unit.fob, unit.name, unit.main, unit.second, unit.override, unit.expired],
        [server.fob, server.name, server.main, server.second, server.override, server.expired],
      );
    }
  }
});

test('tampering with any single byte of the text is rejected (digest, format or signature)', () => {
  const list = listOf(randomEntries(rng(5), 40), 9, header({ second_relay: { unauthorized_warn_only: false, always_enabled: true, display_name: 'x' } }));
  const text = encodeList(list);
  const sig = signText(text, KEY, hmac);
  expectOk(verifyText(text, sig, KEY, hmac));
  const firstLine = text.indexOf('\n');
  let byDigest = 0;
  for (let p = 0; p < text.length; p++) {
    const c = text.charCodeAt(p);
    const alt = String.fromCharCode(c === 65 ? 66 : 65);
    const bad = text.substring(0, p) + alt + text.substring(p + 1);
    const d = decodeList(bad, sha256Hex);
    assert.is(d.ok, false, 'byte ' + p + ' accepted by decodeList');
    if (!d.ok) {
      assert.ok(d.error.code === 'LIST_DIGEST' || d.error.code === 'LIST_MALFORMED', d.error.code);
      if (d.error.code === 'LIST_DIGEST') byDigest++;
    }
    // The signature covers the digest line; the digest covers the rest.
    if (p < firstLine) expectFail(verifyText(bad, sig, KEY, hmac), 'LIST_SIGNATURE');
  }
  assert.ok(byDigest > text.length / 2, 'most changes are caught by the digest itself');
  // Truncation and extension too.
  expectFail(decodeList(text.substring(0, text.length - 1), sha256Hex), 'LIST_MALFORMED');
  expectFail(decodeList(text + ' ', sha256Hex), 'LIST_MALFORMED');
  // A correctly re-digested forgery still fails the signature.
  const forged = listOf(entriesOfList(list).concat([{ fob: 777, flags: FLAG_MAIN | FLAG_OVERRIDE, name: 'Mallory' }]), 9,
    list.machine);
  expectOk(decodeList(encodeList(forged), sha256Hex));
  expectFail(verifyText(encodeList(forged), sig, KEY, hmac), 'LIST_SIGNATURE');
});

test('a list signature is an HMAC of the digest line; a delta signature covers all its text', () => {
  const a = listOf(randomEntries(rng(12), 30), 1);
  const b = listOf(randomEntries(rng(13), 30), 2);
  const text = encodeList(a);
  assert.is(signText(text, KEY, hmac), hmac(KEY, 'fobgate-list/1 ' + a.digest));
  const dtext = encodeDelta(diffLists(a, b));
  assert.is(signText(dtext, KEY, hmac), hmac(KEY, dtext));
  const dsig = signText(dtext, KEY, hmac);
  for (let p = 0; p < dtext.length; p += 3) {
    const bad = dtext.substring(0, p) + (dtext[p] === 'A' ? 'B' : 'A') + dtext.substring(p + 1);
    expectFail(verifyText(bad, dsig, KEY, hmac), 'LIST_SIGNATURE');
  }
});

test('decodeList with stored names: uses them (no copy) and checks them against the digest', () => {
  const list = listOf(randomEntries(rng(21), 500), 4);
  const text = encodeList(list);
  const r = expectOk(decodeList(text, sha256Hex, { names: list.names }));
  assert.is(r.names, list.names);
  assert.equal(plain(r), plain(list));
  const wrong = 'X' + list.names.substring(1);
  expectFail(decodeList(text, sha256Hex, { names: wrong }), 'LIST_DIGEST');
  expectFail(decodeList(text, sha256Hex, { names: list.names.substring(16) }), 'LIST_MALFORMED');
  // The head plus the names is the whole text (a unit writes them one after the other).
  assert.is(encodeListHead(list) + list.names, text);
});

test('signature: wrong key or altered signature rejected; hex case of the signature ignored', () => {
  const text = encodeList(listOf(randomEntries(rng(6), 10), 2));
  const sig = signText(text, KEY, hmac);
  assert.match(sig, /^[0-9a-f]{64}$/);
  expectOk(verifyText(text, sig.toUpperCase(), KEY, hmac));
  expectFail(verifyText(text, sig, 'b4'.repeat(32), hmac), 'LIST_SIGNATURE');
  for (let p = 0; p < sig.length; p += 7) {
    const bad = sig.substring(0, p) + (sig[p] === '0' ? '1' : '0') + sig.substring(p + 1);
    expectFail(verifyText(text, bad, KEY, hmac), 'LIST_SIGNATURE');
  }
  expectFail(verifyText(text, '', KEY, hmac), 'LIST_SIGNATURE');
  expectFail(verifyText(text, sig.substring(1), KEY, hmac), 'LIST_SIGNATURE');
  expectFail(verifyText(text, null as unknown as string, KEY, hmac), 'LIST_SIGNATURE');
});

test('malformed input never throws and says what is wrong', () => {
  const good = encodeList(listOf([{ fob: 1, flags: 1, name: 'a' }, { fob: 2, flags: 2, name: 'b' }], 4));
  const digestOf = (body: string) => 'fobgate-list/1 ' + specDigest(body) + '\n' + body;
  const body = good.substring(good.indexOf('\n') + 1);
  const lines = body.split('\n');
  const cases: [unknown, string][] = [
    [undefined, 'LIST_MALFORMED'],
    [42, 'LIST_MALFORMED'],
    ['', 'LIST_MALFORMED'],
    ['hello\nworld', 'LIST_MALFORMED'],
    ['fobgate-list/1 xyz\n', 'LIST_MALFORMED'],
    ['fobgate-list/2 ' + specDigest(body) + '\n' + body, 'LIST_MALFORMED'],
    [digestOf('not json\n\n\n'), 'LIST_MALFORMED'],
    [digestOf('[]\n\n\n'), 'LIST_MALFORMED'],
    [digestOf(lines[0].replace('"count":2', '"count":3') + '\n' + lines.slice(1).join('\n')), 'LIST_MALFORMED'],
    [digestOf(lines[0].replace('"count":2', '"count":-1') + '\n' + lines.slice(1).join('\n')), 'LIST_MALFORMED'],
    [digestOf(lines[0].replace('"version":4', '"version":4.5') + '\n' + lines.slice(1).join('\n')), 'LIST_MALFORMED'],
    [digestOf(lines[0].replace('"version":4', '"version": 4') + '\n' + lines.slice(1).join('\n')), 'LIST_MALFORMED'],
    [digestOf(lines[0].replace('"always_enabled":false', '"always_enabled":0') + '\n' + lines.slice(1).join('\n')), 'LIST_MALFORMED'],
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + lines[2] + '\n' + lines[3] + 'x'), 'LIST_MALFORMED'],
    [digestOf(lines[0] + '\n' + lines[1].replace(/^./, '*') + '\n' + lines[2] + '\n' + lines[3]), 'LIST_MALFORMED'],
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + 'Aw==' + '\n' + lines[3]), 'LIST_MALFORMED'], // flags 0x03,...: wrong length
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + 'AQIA' + '\n' + lines[3]), 'LIST_MALFORMED'], // padding missing
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + 'AQJ=' + '\n' + lines[3]), 'LIST_MALFORMED'], // non-zero pad bits
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + 'EBA=' + '\n' + lines[3]), 'LIST_MALFORMED'], // flag 0x10
    [digestOf(lines[0] + '\n' + lines[1] + '\n' + 'AyA=' + '\n' + lines[3]), 'LIST_MALFORMED'], // second flag 0x20
  ];
  for (let k = 0; k < cases.length; k++) {
    const r = decodeList(cases[k][0] as string, sha256Hex);
    assert.is(r.ok, false, 'case ' + k);
    expectFail(r, cases[k][1]);
  }
  // Unsorted and duplicate fobs (valid digest, canonical header).
  const swapped = listOf([{ fob: 1, flags: 0, name: 'a' }, { fob: 2, flags: 0, name: 'b' }], 1);
  const f = swapped.fobs;
  const t = f[0];
  f[0] = f[1];
  f[1] = t;
  const rebuilt = encodeList(swapped);
  const rebody = rebuilt.substring(rebuilt.indexOf('\n') + 1);
  assert.match(expectFail(decodeList(digestOf(rebody), sha256Hex), 'LIST_MALFORMED'), 'ascending');
  f[0] = f[1];
  const dup = encodeList(swapped);
  assert.match(expectFail(decodeList(digestOf(dup.substring(dup.indexOf('\n') + 1)), sha256Hex), 'LIST_MALFORMED'), 'unique');
});

test('buildList never throws on garbage entries', () => {
  const junk = [null, undefined, 7, { fob: 'x' }, { fob: 3, flags: 'a', name: 5 }, { fob: 2, flags: 255, name: null }] as unknown as ListEntry[];
  const list = listOf(junk, 1);
  assert.equal(plain(list), [{ fob: 2, flags: 15, name: ' '.repeat(16) }, { fob: 3, flags: 0, name: ' '.repeat(16) }]);
  assert.is(listOf(null as unknown as ListEntry[], 1).count, 0);
  expectOk(decodeList(encodeList(list), sha256Hex));
});

test('checkNewer: newer applies, same is a no-op, older and same-version-other-content are rollbacks', () => {
  const l5 = listOf([{ fob: 1, flags: 1, name: 'a' }], 5);
  const other5 = listOf([{ fob: 2, flags: 1, name: 'b' }], 5);
  assert.equal(checkNewer(null, l5), { ok: true, value: 'newer' });
  assert.equal(checkNewer(4, l5), { ok: true, value: 'newer' });
  assert.equal(checkNewer(5, l5, l5.digest), { ok: true, value: 'same' });
  assert.equal(checkNewer(5, l5), { ok: true, value: 'same' });
  assert.match(expectFail(checkNewer(6, l5), 'LIST_ROLLBACK'), 'older');
  assert.match(expectFail(checkNewer(5, other5, l5.digest), 'LIST_ROLLBACK'), 'different content');
  // A delta's result is checked the same way.
  const d = diffLists(listOf([], 3), l5);
  expectFail(checkNewer(7, { version: d.to, digest: d.digest }), 'LIST_ROLLBACK');
});

test('checkMachine refuses a list for another machine', () => {
  const list = listOf([], 1);
  expectOk(checkMachine(list, 'lathe'));
  assert.match(expectFail(checkMachine(list, 'bandsaw'), 'LIST_WRONG_MACHINE'), 'bandsaw');
});

test('5,000 members: RAM <= 6 bytes per member, measured sizes, fast decode and lookups', () => {
  const r = rng(2026);
  const entries = randomEntries(r, 5000);
  for (let i = 0; i < entries.length; i++) entries[i].fob = 100000 + i * 37 + Math.floor(r() * 30);
  const list = listOf(entries, 1000);
  assert.is(list.count, 5000);
  const text = encodeList(list);
  const ram = listMemoryBytes(list);
  const t0 = Date.now();
  const back = expectOk(decodeList(text, sha256Hex));
  const decodeMs = Date.now() - t0;
  assert.is(listMemoryBytes(back), ram);
  assert.ok(ram / list.count <= 6, 'RAM per member ' + ram / list.count);
  assert.is(ram, 5000 * 5);
  const namesBytes = back.names.length;
  const prev = listOf(entries.slice(0, 4999), 999);
  const delta = encodeDelta(diffLists(prev, list));
  console.log(
    'size: authlist 5000 members: text ' + text.length + ' B (' + (text.length / 5000).toFixed(1) + ' B/member), RAM ' + ram +
    ' B (' + ram / 5000 + ' B/member: fobs+flags), names in flash ' + namesBytes + ' B, 1-member delta ' + delta.length +
    ' B, node decode ' + decodeMs + ' ms',
  );
  for (let i = 0; i < 5000; i += 97) assert.is(findFob(back, entries[i].fob) >= 0, true);
});

test.run();
