/* eslint max-lines: ['error', 850] -- one test per rule of users.json / machines.json (51 tests, each read alone), kept with the schemas' order */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatIssue,
  formatIssues,
  isValidYmd,
  machineByName,
  MAX_CONFIG_ISSUES,
  parseMachines,
  parseMachinesJson,
  parseUsers,
  parseUsersJson,
  unusedAuthorizationWarnings,
} from './config.js';
import type { ConfigIssue, MachinesConfig, Parsed, UserRecord } from './config-types.js';

// ---- helpers ---------------------------------------------------------------------------------

type Obj = { [k: string]: unknown };

function user(over: Obj): Obj {
  const u: Obj = {
    account_id: 'a1',
    full_name: 'Jane Doe',
    first_name: 'Jane',
    last_name: 'Doe',
    preferred_name: 'Jane',
    email: 'jane@example.org',
    expiration_ymd: '2027-01-31',
    fob_codes: ['0091703745'],
    authorizations: ['lathe'],
  };
  const keys = Object.keys(over);
  for (const k of keys) {
    if (over[k] === undefined) delete u[k];
    else u[k] = over[k];
  }
  return u;
}

/** Formatted errors of a failed parse (fails the test if it parsed). */
function errorsOf<T>(r: Parsed<T>): string[] {
  if (r.ok) {
    assert.unreachable('expected errors, got a valid result');
    return [];
  }
  return r.errors.map(formatIssue);
}

function valueOf<T>(r: Parsed<T>): T {
  if (!r.ok) {
    assert.unreachable('expected a valid result, got:\n' + formatIssues(r.errors));
    throw new Error('unreachable');
  }
  return r.value;
}

function usersErrors(list: unknown): string[] {
  return errorsOf(parseUsers(list));
}

function machinesErrors(data: unknown): string[] {
  return errorsOf(parseMachines(data));
}

// ---- formatting ------------------------------------------------------------------------------

test('formatIssue: file, path, message; line when known; whole document without a path', () => {
  assert.is(
    formatIssue({ file: 'machines.json', path: '/lathe/second_relay/authorizations_or', message: 'must not be empty' }),
    'machines.json: /lathe/second_relay/authorizations_or: must not be empty',
  );
  assert.is(formatIssue({ file: 'users.json', path: '', message: 'invalid JSON: x', line: 3 }), 'users.json (line 3): invalid JSON: x');
  assert.is(formatIssue({ file: 'users.json', path: '', message: 'must be a JSON array of users, got object' }), 'users.json: must be a JSON array of users, got object');
  assert.is(formatIssue({ file: 'm.csv', path: '/2', message: 'bad', line: 4 }), 'm.csv: /2 (line 4): bad');
  const list: ConfigIssue[] = [
    { file: 'a', path: '/1', message: 'x' },
    { file: 'a', path: '/2', message: 'y' },
  ];
  assert.is(formatIssues(list), 'a: /1: x\na: /2: y');
  assert.is(formatIssues([]), '');
  assert.not.throws(() => formatIssue(null as unknown as ConfigIssue));
  assert.not.throws(() => formatIssues(null as unknown as ConfigIssue[]));
});

// ---- users.json: valid ------------------------------------------------------------------------

test('users: a valid file round-trips, fob codes canonicalised, oops_override defaults to false', () => {
  const text = JSON.stringify(
    [
      user({ fob_codes: ['91703745', ' 0000012345 '], authorizations: ['lathe', 'mill'] }),
      user({ account_id: 'b2', full_name: 'Bo Lee', fob_codes: [], authorizations: [], oops_override: true }),
    ],
    null,
    2,
  );
  const r = parseUsersJson(text);
  const users = valueOf(r);
  assert.equal(r.warnings, []);
  assert.equal(users, [
    {
      account_id: 'a1',
      full_name: 'Jane Doe',
      first_name: 'Jane',
      last_name: 'Doe',
      preferred_name: 'Jane',
      email: 'jane@example.org',
      expiration_ymd: '2027-01-31',
      fob_codes: ['0091703745', '0000012345'],
      authorizations: ['lathe', 'mill'],
      oops_override: false,
    },
    {
      account_id: 'b2',
      full_name: 'Bo Lee',
      first_name: 'Jane',
      last_name: 'Doe',
      preferred_name: 'Jane',
      email: 'jane@example.org',
      expiration_ymd: '2027-01-31',
      fob_codes: [],
      authorizations: [],
      oops_override: true,
    },
  ]);
  // Output holds exactly the known keys, in fresh objects.
  assert.equal(Object.keys(users[0]).sort(), [
    'account_id', 'authorizations', 'email', 'expiration_ymd', 'first_name', 'fob_codes', 'full_name', 'last_name', 'oops_override', 'preferred_name',
  ]);
});

test('users: an empty array is valid', () => {
  assert.equal(parseUsersJson('[]'), { ok: true, value: [], warnings: [] });
});

test('users: a fob listed twice for one user is kept once with a warning', () => {
  const r = parseUsers([user({ fob_codes: ['91703745', '0091703745'] })]);
  const users = valueOf(r);
  assert.equal(users[0].fob_codes, ['0091703745']);
  assert.equal(r.warnings.map(formatIssue), [
    'users.json: /0/fob_codes/1: fob code "0091703745" is listed twice for this user (also /0/fob_codes/0); kept once',
  ]);
});

test('users: file name is used in every issue', () => {
  const r = parseUsers({}, 'members/users.json');
  assert.equal(errorsOf(r), ['members/users.json: must be a JSON array of users, got object']);
  assert.equal(errorsOf(parseUsersJson('{', 'x.json')), ["x.json (line 1, column 2): invalid JSON: unexpected end of the file (missing '}')"]);
});

// ---- users.json: every error kind ---------------------------------------------------------------

test('users: the document must be an array', () => {
  assert.equal(usersErrors({}), ['users.json: must be a JSON array of users, got object']);
  assert.equal(usersErrors(null), ['users.json: must be a JSON array of users, got null']);
  assert.equal(usersErrors(3), ['users.json: must be a JSON array of users, got number']);
  assert.equal(usersErrors('[]'), ['users.json: must be a JSON array of users, got string']);
  assert.equal(usersErrors(undefined), ['users.json: must be a JSON array of users, got undefined']);
});

test('users: each entry must be an object', () => {
  assert.equal(usersErrors([user({}), [], null, 'x']), [
    'users.json: /1: must be an object (one user), got array',
    'users.json: /2: must be an object (one user), got null',
    'users.json: /3: must be an object (one user), got string',
  ]);
});

test('users: unknown keys are errors', () => {
  assert.equal(usersErrors([user({ colour: 'red', Email: 'x' })]), ['users.json: /0: unknown key "colour"', 'users.json: /0: unknown key "Email"']);
});

test('users: every required string field, missing and wrongly typed', () => {
  const fields = ['account_id', 'full_name', 'first_name', 'last_name', 'preferred_name', 'email', 'expiration_ymd'];
  for (const f of fields) {
    const missing: Obj = {};
    missing[f] = undefined;
    assert.equal(usersErrors([user(missing)]), ['users.json: /0/' + f + ': is required (a string)'], f);
    const wrong: Obj = {};
    wrong[f] = 12;
    assert.equal(usersErrors([user(wrong)]), ['users.json: /0/' + f + ': must be a string, got number'], f);
  }
  assert.equal(usersErrors([user({ email: null })]), ['users.json: /0/email: must be a string, got null']);
});

test('users: account_id must not be empty', () => {
  assert.equal(usersErrors([user({ account_id: '  ' })]), ['users.json: /0/account_id: must not be empty']);
});

test('users: expiration_ymd must be a real calendar date', () => {
  for (const bad of ['2026-13-01', '2026-00-10', '2025-02-29', '2026-04-31', '2026-1-01', '20260101', '2026-01-01T00:00', '', '2026-01-00']) {
    assert.equal(
      usersErrors([user({ expiration_ymd: bad })]),
      ['users.json: /0/expiration_ymd: must be a calendar date written YYYY-MM-DD, got ' + JSON.stringify(bad)],
      bad,
    );
  }
  for (const good of ['2024-02-29', '2000-02-29', '2026-12-31', '2026-01-01']) {
    assert.is(parseUsers([user({ expiration_ymd: good })]).ok, true, good);
  }
  assert.is(isValidYmd('1900-02-29'), false);
  assert.is(isValidYmd('2100-02-29'), false);
  assert.is(isValidYmd('2400-02-29'), true);
});

test('users: fob_codes must be an array of valid codes, each error at its own path', () => {
  assert.equal(usersErrors([user({ fob_codes: undefined })]), ['users.json: /0/fob_codes: is required (an array of fob code strings)']);
  assert.equal(usersErrors([user({ fob_codes: '0091703745' })]), ['users.json: /0/fob_codes: must be an array of strings, got string']);
  assert.equal(usersErrors([user({ fob_codes: ['0091703745', 91703746, '12ab', '', '123456789012', null] })]), [
    'users.json: /0/fob_codes/1: must be a string, got number',
    'users.json: /0/fob_codes/2: fob code "12ab" must contain only digits 0-9',
    'users.json: /0/fob_codes/3: fob code is empty',
    'users.json: /0/fob_codes/4: fob code "123456789012" has more than 10 digits',
    'users.json: /0/fob_codes/5: must be a string, got null',
  ]);
});

test('users: authorizations must be an array of strings', () => {
  assert.equal(usersErrors([user({ authorizations: undefined })]), ['users.json: /0/authorizations: is required (an array of authorization names)']);
  assert.equal(usersErrors([user({ authorizations: { lathe: true } })]), ['users.json: /0/authorizations: must be an array of strings, got object']);
  assert.equal(usersErrors([user({ authorizations: ['lathe', 1, ['x']] })]), [
    'users.json: /0/authorizations/1: must be a string, got number',
    'users.json: /0/authorizations/2: must be a string, got array',
  ]);
});

test('users: oops_override must be a boolean when present', () => {
  assert.equal(usersErrors([user({ oops_override: 'yes' })]), ['users.json: /0/oops_override: must be a boolean, got string']);
  assert.equal(usersErrors([user({ oops_override: null })]), ['users.json: /0/oops_override: must be a boolean, got null']);
  assert.equal(usersErrors([user({ oops_override: 1 })]), ['users.json: /0/oops_override: must be a boolean, got number']);
});

test('users: a fob shared by two users is an error naming both users', () => {
  const errs = usersErrors([
    user({ account_id: 'a1', full_name: 'Jane Doe', fob_codes: ['0000000001', '91703745'] }),
    user({ account_id: 'b2', full_name: 'Bo Lee', fob_codes: ['0000000002'] }),
    user({ account_id: 'c3', full_name: 'Cy Young', fob_codes: ['0000000003', '0091703745'] }),
  ]);
  assert.equal(errs, [
    'users.json: /2/fob_codes/1: duplicate fob code "0091703745": held by both account_id "a1" (Jane Doe) at /0/fob_codes/1 and account_id "c3" (Cy Young)',
  ]);
});

test('users: a fob shared by three users is reported at each later holder, naming the first', () => {
  const errs = usersErrors([
    user({ account_id: 'a1', full_name: 'Jane Doe', fob_codes: ['7'] }),
    user({ account_id: 'b2', full_name: 'Bo Lee', fob_codes: ['07'] }),
    user({ account_id: 'c3', full_name: 'Cy Young', fob_codes: ['0000000007'] }),
  ]);
  assert.equal(errs, [
    'users.json: /1/fob_codes/0: duplicate fob code "0000000007": held by both account_id "a1" (Jane Doe) at /0/fob_codes/0 and account_id "b2" (Bo Lee)',
    'users.json: /2/fob_codes/0: duplicate fob code "0000000007": held by both account_id "a1" (Jane Doe) at /0/fob_codes/0 and account_id "c3" (Cy Young)',
  ]);
});

test('users: duplicate account_id is an error naming both', () => {
  assert.equal(
    usersErrors([
      user({ account_id: 'a1', full_name: 'Jane Doe', fob_codes: ['1'] }),
      user({ account_id: 'a1', full_name: 'Bo Lee', fob_codes: ['2'] }),
    ]),
    ['users.json: /1/account_id: duplicate account_id "a1": used by both /0 (Jane Doe) and /1 (Bo Lee)'],
  );
});

test('users: all problems are collected, not just the first', () => {
  const errs = usersErrors([
    user({ email: 5, expiration_ymd: 'soon', extra: 1 }),
    'nope',
    user({ account_id: 'b', fob_codes: ['x'], oops_override: 'no', authorizations: [3] }),
  ]);
  assert.equal(errs, [
    'users.json: /0: unknown key "extra"',
    'users.json: /0/email: must be a string, got number',
    'users.json: /0/expiration_ymd: must be a calendar date written YYYY-MM-DD, got "soon"',
    'users.json: /1: must be an object (one user), got string',
    'users.json: /2/fob_codes/0: fob code "x" must contain only digits 0-9',
    'users.json: /2/authorizations/0: must be a string, got number',
    'users.json: /2/oops_override: must be a boolean, got string',
  ]);
});

test('users: the number of listed errors is capped, the rest counted', () => {
  const many: unknown[] = [];
  for (let i = 0; i < 3000; i++) many.push(null);
  const r = parseUsers(many);
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.is(r.errors.length, MAX_CONFIG_ISSUES + 1);
    assert.is(formatIssue(r.errors[MAX_CONFIG_ISSUES]), 'users.json: ' + (3000 - MAX_CONFIG_ISSUES) + ' more errors not listed');
  }
});

// ---- JSON text ----------------------------------------------------------------------------------

test('JSON syntax errors name the line (and column)', () => {
  const text = '[\n  {"account_id": "a1",\n   "full_name" "x"}\n]';
  assert.equal(errorsOf(parseUsersJson(text)), [
    'users.json (line 3, column 16): invalid JSON: expected \':\' after the property name "full_name", found \'"\'',
  ]);
  const cases: [string, string][] = [
    ['', 'users.json (line 1, column 1): invalid JSON: the file is empty'],
    ['   \n  ', 'users.json (line 2, column 3): invalid JSON: the file is empty'],
    ['[', "users.json (line 1, column 2): invalid JSON: unexpected end of the file (missing ']')"],
    ['[1,]', "users.json (line 1, column 4): invalid JSON: trailing comma before ']'"],
    ['{"a":1,\n}', "users.json (line 2, column 1): invalid JSON: trailing comma before '}'"],
    ['[1 2]', "users.json (line 1, column 4): invalid JSON: expected ',' or ']' after an array element, found '2'"],
    ['{"a":1 "b":2}', 'users.json (line 1, column 8): invalid JSON: expected \',\' or \'}\' after the value of "a", found \'"\''],
    ["{'a':1}", "users.json (line 1, column 2): invalid JSON: expected a property name in double quotes, found '''"],
    ['[]]', "users.json (line 1, column 3): invalid JSON: unexpected ']' after the end of the JSON document"],
    ['[\n\n undefined]', "users.json (line 3, column 2): invalid JSON: expected a value, found 'u'"],
    ['["a\nb"]', 'users.json (line 1, column 4): invalid JSON: unescaped character U+000A inside a string (write a line break as \\n)'],
    ['["\\x"]', 'users.json (line 1, column 3): invalid JSON: invalid escape \\x inside a string'],
    ['["\\u12g4"]', 'users.json (line 1, column 3): invalid JSON: invalid \\u escape inside a string (needs 4 hex digits)'],
    ['["abc', 'users.json (line 1, column 2): invalid JSON: unterminated string (missing closing ")'],
    ['[01]', 'users.json (line 1, column 2): invalid JSON: numbers must not have leading zeros'],
    ['[1.]', 'users.json (line 1, column 2): invalid JSON: invalid number (digits must follow the decimal point)'],
    ['[1e+]', 'users.json (line 1, column 2): invalid JSON: invalid number (digits must follow the exponent)'],
    ['[-]', 'users.json (line 1, column 2): invalid JSON: invalid number'],
    ['[NaN]', "users.json (line 1, column 2): invalid JSON: expected a value, found 'N'"],
    ['\u0000', 'users.json (line 1, column 1): invalid JSON: expected a value, found character U+0000'],
  ];
  for (const c of cases) assert.equal(errorsOf(parseUsersJson(c[0])), [c[1]], JSON.stringify(c[0]));
});

test('JSON: valid documents of every kind pass the syntax check', () => {
  const docs = ['[]', ' [ ] ', '[{"a":[1,-2.5e+3,0,0.5,1E2,true,false,null,"x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"]}]', '{}', '"s"', '0', '-0.0e-0'];
  for (const d of docs) {
    const r = parseMachinesJson(d);
    if (!r.ok) for (const e of r.errors) assert.not.match(e.message, 'invalid JSON', d);
  }
});

test('JSON: duplicate keys are errors with their line (JSON would silently keep the last)', () => {
  const text = '{\n  "lathe": {"authorizations_or": ["a"]},\n  "mill": {"authorizations_or": ["b"]},\n  "lathe": {"authorizations_or": ["c"]}\n}';
  assert.equal(errorsOf(parseMachinesJson(text)), [
    'machines.json: /lathe (line 4): duplicate key "lathe" (first on line 2; JSON would keep only the last)',
  ]);
  const users = '[\n{"account_id":"a","account_id":"b"}]';
  const errs = errorsOf(parseUsersJson(users));
  assert.is(errs[0], 'users.json: /0/account_id (line 2): duplicate key "account_id" (first on line 2; JSON would keep only the last)');
  // Escaped spellings of the same key are the same key.
  assert.equal(errorsOf(parseMachinesJson('{"a":{"alias":"x","\\u0061lias":"y","authorizations_or":["q"]}}')), [
    'machines.json: /a/alias (line 1): duplicate key "alias" (first on line 1; JSON would keep only the last)',
  ]);
});

test('JSON: a leading byte order mark is accepted', () => {
  assert.is(parseUsersJson('\ufeff[]').ok, true);
  assert.is(parseUsersJson('\u00ef\u00bb\u00bf[]').ok, true);
});

test('JSON: non-text input is rejected, not thrown', () => {
  assert.equal(errorsOf(parseUsersJson(undefined as unknown as string)), ['users.json: must be JSON text, got undefined']);
  assert.equal(errorsOf(parseMachinesJson(42 as unknown as string)), ['machines.json: must be JSON text, got number']);
});

// ---- machines.json: valid -------------------------------------------------------------------------

test('machines: a valid file round-trips with defaults and display names', () => {
  const text = JSON.stringify({
    lathe: { authorizations_or: ['lathe'], alias: 'Big Lathe' },
    'laser-1': {
      authorizations_or: ['laser'],
      unauthorized_warn_only: false,
      always_enabled: false,
      second_relay: { authorizations_or: ['rotary'], unauthorized_warn_only: true },
    },
    dust_collector: { authorizations_or: [], always_enabled: true, offline_grace_hours: 0.5, expiry_grace_days: 0, legacy_updates: false },
    drill: { authorizations_or: ['drill'], second_relay: { authorizations_or: ['x'], alias: 'Drill Light', always_enabled: true }, expiry_grace_days: 30 },
    saw: { authorizations_or: ['saw'], alias: null, second_relay: null, expiry_grace_days: null },
  });
  const r = parseMachinesJson(text);
  const m = valueOf(r);
  assert.equal(r.warnings, []);
  assert.equal(m.names, ['lathe', 'laser-1', 'dust_collector', 'drill', 'saw']);
  assert.equal(m.byName.lathe, {
    name: 'lathe',
    authorizations_or: ['lathe'],
    unauthorized_warn_only: false,
    always_enabled: false,
    alias: 'Big Lathe',
    display_name: 'Big Lathe',
    second_relay: null,
    offline_grace_hours: 72,
    expiry_grace_days: null,
    legacy_updates: true,
  });
  assert.equal(m.byName['laser-1'].second_relay, {
    authorizations_or: ['rotary'],
    unauthorized_warn_only: true,
    always_enabled: false,
    alias: null,
    display_name: 'laser-1 second relay',
  });
  assert.is(m.byName['laser-1'].display_name, 'laser-1');
  const dust = m.byName.dust_collector;
  assert.equal([dust.always_enabled, dust.offline_grace_hours, dust.expiry_grace_days, dust.legacy_updates], [true, 0.5, 0, false]);
  assert.equal(m.byName.drill.second_relay, {
    authorizations_or: ['x'],
    unauthorized_warn_only: false,
    always_enabled: true,
    alias: 'Drill Light',
    display_name: 'Drill Light',
  });
  assert.is(m.byName.drill.expiry_grace_days, 30);
  assert.equal([m.byName.saw.alias, m.byName.saw.second_relay, m.byName.saw.expiry_grace_days], [null, null, null]);
});

test('machines: second relay default display name uses the machine alias', () => {
  const m = valueOf(parseMachines({ laser: { authorizations_or: ['a'], alias: 'Laser', second_relay: { authorizations_or: ['b'] } } }));
  assert.is(m.byName.laser.second_relay && m.byName.laser.second_relay.display_name, 'Laser second relay');
});

test('machines: an empty object is valid; an empty main list without warn-only/always-on warns', () => {
  assert.equal(parseMachinesJson('{}'), { ok: true, value: { names: [], byName: {} }, warnings: [] });
  const r = parseMachines({ a: { authorizations_or: [] }, b: { authorizations_or: [], unauthorized_warn_only: true }, c: { authorizations_or: [], always_enabled: true } });
  assert.is(r.ok, true);
  assert.equal(r.warnings.map(formatIssue), [
    'machines.json: /a/authorizations_or: is empty and the machine is neither unauthorized_warn_only nor always_enabled: nobody is authorized to use it',
  ]);
});

test('machines: a machine may repeat its own name as its alias, in any case', () => {
  assert.is(parseMachines({ lathe: { authorizations_or: ['a'], alias: 'LATHE' } }).ok, true);
});

test('machines: machineByName is safe for names inherited from Object.prototype', () => {
  const m = valueOf(parseMachines({ lathe: { authorizations_or: ['a'] } }));
  assert.is(machineByName(m, 'lathe'), m.byName.lathe);
  assert.is(machineByName(m, 'constructor'), null);
  assert.is(machineByName(m, 'toString'), null);
  assert.is(machineByName(m, '__proto__'), null);
  assert.is(machineByName(m, 'nope'), null);
});

// ---- machines.json: every error kind --------------------------------------------------------------

test('machines: the document must be an object', () => {
  assert.equal(machinesErrors([]), ['machines.json: must be a JSON object keyed by machine name, got array']);
  assert.equal(machinesErrors(null), ['machines.json: must be a JSON object keyed by machine name, got null']);
  assert.equal(machinesErrors('x'), ['machines.json: must be a JSON object keyed by machine name, got string']);
  assert.equal(machinesErrors(true), ['machines.json: must be a JSON object keyed by machine name, got boolean']);
});

test('machines: each machine must be an object', () => {
  assert.equal(machinesErrors({ a: [], b: null, c: 1 }), [
    'machines.json: /a: must be an object (one machine), got array',
    'machines.json: /b: must be an object (one machine), got null',
    'machines.json: /c: must be an object (one machine), got number',
  ]);
});

test('machines: names must match ^[a-z0-9_-]+$ and not be reserved', () => {
  const ok = { authorizations_or: ['a'] };
  assert.equal(machinesErrors({ Lathe: ok, 'big saw': ok, 'a/b': ok, '': ok, 'ok-name_1': ok, 'é': ok }), [
    'machines.json: /Lathe: machine name "Lathe" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
    'machines.json: /big saw: machine name "big saw" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
    'machines.json: /a~1b: machine name "a/b" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
    'machines.json: /: machine name "" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
    'machines.json: /é: machine name "é" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
  ]);
  assert.equal(machinesErrors(JSON.parse('{"__proto__": {"authorizations_or": ["a"]}, "constructor": {"authorizations_or": ["a"]}}')), [
    'machines.json: /__proto__: machine name "__proto__" is reserved',
    'machines.json: /constructor: machine name "constructor" is reserved',
  ]);
});

test('machines: unknown keys in a machine and in its second relay', () => {
  assert.equal(
    machinesErrors({ a: { authorizations_or: ['x'], colour: 1, second_relay: { authorizations_or: ['y'], offline_grace_hours: 3 } } }),
    ['machines.json: /a: unknown key "colour"', 'machines.json: /a/second_relay: unknown key "offline_grace_hours"'],
  );
});

test('machines: authorizations_or is required and must be an array of strings', () => {
  assert.equal(machinesErrors({ a: {} }), ['machines.json: /a/authorizations_or: is required (an array of authorization names)']);
  assert.equal(machinesErrors({ a: { authorizations_or: 'lathe' } }), ['machines.json: /a/authorizations_or: must be an array of strings, got string']);
  assert.equal(machinesErrors({ a: { authorizations_or: ['x', null] } }), ['machines.json: /a/authorizations_or/1: must be a string, got null']);
});

test('machines: the second relay needs a non-empty authorizations_or', () => {
  assert.equal(machinesErrors({ lathe: { authorizations_or: ['a'], second_relay: { authorizations_or: [] } } }), [
    'machines.json: /lathe/second_relay/authorizations_or: must not be empty',
  ]);
  assert.equal(machinesErrors({ lathe: { authorizations_or: ['a'], second_relay: { always_enabled: true } } }), [
    'machines.json: /lathe/second_relay/authorizations_or: is required (an array of authorization names)',
  ]);
  assert.equal(machinesErrors({ lathe: { authorizations_or: ['a'], second_relay: ['x'] } }), [
    'machines.json: /lathe/second_relay: must be an object, got array',
  ]);
});

test('machines: booleans say what was expected and found', () => {
  assert.equal(
    machinesErrors({
      a: {
        authorizations_or: ['x'],
        unauthorized_warn_only: 'true',
        always_enabled: 0,
        legacy_updates: null,
        second_relay: { authorizations_or: ['y'], unauthorized_warn_only: [], always_enabled: {} },
      },
    }),
    [
      'machines.json: /a/unauthorized_warn_only: must be a boolean, got string',
      'machines.json: /a/always_enabled: must be a boolean, got number',
      'machines.json: /a/second_relay/unauthorized_warn_only: must be a boolean, got array',
      'machines.json: /a/second_relay/always_enabled: must be a boolean, got object',
      'machines.json: /a/legacy_updates: must be a boolean, got null',
    ],
  );
});

test('machines: alias must be a non-empty string', () => {
  assert.equal(machinesErrors({ a: { authorizations_or: ['x'], alias: 5 }, b: { authorizations_or: ['x'], alias: ' ' } }), [
    'machines.json: /a/alias: must be a string, got number',
    'machines.json: /b/alias: must not be empty (leave it out to use the machine name)',
  ]);
  assert.equal(machinesErrors({ a: { authorizations_or: ['x'], second_relay: { authorizations_or: ['y'], alias: false } } }), [
    'machines.json: /a/second_relay/alias: must be a string, got boolean',
  ]);
});

test('machines: offline_grace_hours must be a positive number', () => {
  const cases: [unknown, string][] = [
    ['72', 'must be a number of hours, got string'],
    [null, 'must be a number of hours, got null'],
    [0, 'must be a positive number of hours, got 0'],
    [-5, 'must be a positive number of hours, got -5'],
  ];
  for (const c of cases) {
    assert.equal(machinesErrors({ a: { authorizations_or: ['x'], offline_grace_hours: c[0] } }), ['machines.json: /a/offline_grace_hours: ' + c[1]]);
  }
  // 1e400 in the text is Infinity after JSON.parse
  assert.equal(errorsOf(parseMachinesJson('{"a":{"authorizations_or":["x"],"offline_grace_hours":1e400}}')), [
    'machines.json: /a/offline_grace_hours (line 1): must be a positive number of hours, got Infinity',
  ]);
});

test('machines: expiry_grace_days must be a whole number of days or null', () => {
  const cases: [unknown, string][] = [
    ['3', 'must be a whole number of days or null, got string'],
    [true, 'must be a whole number of days or null, got boolean'],
    [1.5, 'must be a whole number of days (0 or more) or null, got 1.5'],
    [-1, 'must be a whole number of days (0 or more) or null, got -1'],
  ];
  for (const c of cases) {
    assert.equal(machinesErrors({ a: { authorizations_or: ['x'], expiry_grace_days: c[0] } }), ['machines.json: /a/expiry_grace_days: ' + c[1]]);
  }
});

test('machines: names and aliases collide case-insensitively, naming both', () => {
  assert.equal(
    machinesErrors({
      lathe: { authorizations_or: ['a'] },
      mill: { authorizations_or: ['a'], alias: 'LATHE' },
    }),
    ['machines.json: /mill/alias: alias "LATHE" collides with machine name "lathe" at /lathe (machine names and aliases must be unique, ignoring case)'],
  );
  assert.equal(
    machinesErrors({
      a: { authorizations_or: ['a'], alias: 'Band Saw' },
      b: { authorizations_or: ['a'], alias: 'band saw' },
    }),
    ['machines.json: /b/alias: alias "band saw" collides with alias "Band Saw" at /a/alias (machine names and aliases must be unique, ignoring case)'],
  );
  // An alias equal to a machine name that comes later in the file.
  assert.equal(
    machinesErrors({
      a: { authorizations_or: ['a'], alias: 'Drill' },
      drill: { authorizations_or: ['a'] },
    }),
    ['machines.json: /drill: machine name "drill" collides with alias "Drill" at /a/alias (machine names and aliases must be unique, ignoring case)'],
  );
});

test('machines: second relay aliases take part in the uniqueness check', () => {
  assert.equal(
    machinesErrors({
      laser: { authorizations_or: ['a'], second_relay: { authorizations_or: ['b'], alias: 'Rotary' } },
      rotary: { authorizations_or: ['c'] },
    }),
    ['machines.json: /rotary: machine name "rotary" collides with second relay alias "Rotary" at /laser/second_relay/alias (machine names and aliases must be unique, ignoring case)'],
  );
  // The second relay may not share its own machine's name or alias either (they are different relays).
  assert.equal(
    machinesErrors({ laser: { authorizations_or: ['a'], alias: 'Laser', second_relay: { authorizations_or: ['b'], alias: 'LASER' } } }),
    ['machines.json: /laser/second_relay/alias: second relay alias "LASER" collides with machine name "laser" at /laser (machine names and aliases must be unique, ignoring case)'],
  );
});

test('machines: all problems are collected across machines', () => {
  const errs = machinesErrors({
    lathe: { authorizations_or: ['a'], second_relay: { authorizations_or: [] } },
    Mill: {},
    saw: { authorizations_or: 3, extra: true, offline_grace_hours: -1 },
  });
  assert.equal(errs, [
    'machines.json: /lathe/second_relay/authorizations_or: must not be empty',
    'machines.json: /Mill: machine name "Mill" must match ^[a-z0-9_-]+$ (lowercase letters, digits, "_" and "-")',
    'machines.json: /saw: unknown key "extra"',
    'machines.json: /saw/authorizations_or: must be an array of strings, got number',
    'machines.json: /saw/offline_grace_hours: must be a positive number of hours, got -1',
  ]);
});

// ---- cross-file ---------------------------------------------------------------------------------

test('unusedAuthorizationWarnings: authorizations no machine lists (main or second relay)', () => {
  const machines = valueOf(
    parseMachines({
      lathe: { authorizations_or: ['lathe'] },
      laser: { authorizations_or: ['laser'], second_relay: { authorizations_or: ['rotary'] } },
    }),
  );
  const users = valueOf(
    parseUsers([
      user({ account_id: 'a', fob_codes: ['1'], authorizations: ['lathe', 'lather'] }),
      user({ account_id: 'b', fob_codes: ['2'], authorizations: ['rotary', 'laser', 'welding'] }),
    ]),
  );
  assert.equal(unusedAuthorizationWarnings(users, machines).map(formatIssue), [
    'users.json: /0/authorizations/1: authorization "lather" is not used by any machine',
    'users.json: /1/authorizations/2: authorization "welding" is not used by any machine',
  ]);
  assert.equal(unusedAuthorizationWarnings(users, machines, 'members.json')[0].file, 'members.json');
  const none: MachinesConfig = { names: [], byName: {} };
  assert.is(unusedAuthorizationWarnings(users, none).length, 5);
  assert.equal(unusedAuthorizationWarnings([], machines), []);
  assert.equal(unusedAuthorizationWarnings(null as unknown as UserRecord[], null as unknown as MachinesConfig), []);
});

test('unusedAuthorizationWarnings: an authorization named like an Object.prototype member', () => {
  const machines = valueOf(parseMachines({ lathe: { authorizations_or: ['lathe'] } }));
  const users = valueOf(parseUsers([user({ authorizations: ['constructor', 'toString', '__proto__'] })]));
  assert.is(unusedAuthorizationWarnings(users, machines).length, 3);
});

// ---- garbage never throws ---------------------------------------------------------------------

/** Deterministic pseudo-random numbers (no Math.random: reproducible failures). */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function garbageValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * 10);
  if (depth > 4 || k < 3) {
    const leaves: unknown[] = [null, true, false, 0, -1, 1.5, '', 'x', '0091703745', '2026-02-30', 'lathe', '__proto__', 1e308, [], {}];
    return leaves[Math.floor(r() * leaves.length)];
  }
  if (k < 6) {
    const a: unknown[] = [];
    const n = Math.floor(r() * 4);
    for (let i = 0; i < n; i++) a.push(garbageValue(r, depth + 1));
    return a;
  }
  const keys = ['account_id', 'full_name', 'fob_codes', 'authorizations', 'oops_override', 'authorizations_or', 'alias', 'second_relay',
    'always_enabled', 'offline_grace_hours', 'expiry_grace_days', 'lathe', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  const o: Obj = {};
  const n = Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    Object.defineProperty(o, keys[Math.floor(r() * keys.length)], { value: garbageValue(r, depth + 1), enumerable: true, configurable: true, writable: true });
  }
  return o;
}

test('garbage values never throw and always give a Parsed result', () => {
  const r = rng(7);
  for (let i = 0; i < 2000; i++) {
    const g = garbageValue(r, 0);
    const list = [g, [g], [g, g], { m: g }];
    for (const x of list) {
      const u = parseUsers(x);
      const m = parseMachines(x);
      assert.type(u.ok, 'boolean');
      assert.type(m.ok, 'boolean');
      const text = JSON.stringify(x);
      if (typeof text === 'string') {
        assert.type(parseUsersJson(text).ok, 'boolean');
        assert.type(parseMachinesJson(text).ok, 'boolean');
      }
    }
  }
});

test('garbage text never throws', () => {
  const r = rng(11);
  const alphabet = '[]{}",:0123456789-+.eE \n\ttruefalsenull\\u"ab/~\u0000\u00ff';
  const seeds = [JSON.stringify([user({})]), JSON.stringify({ lathe: { authorizations_or: ['a'], second_relay: { authorizations_or: ['b'] } } })];
  for (let i = 0; i < 3000; i++) {
    let t: string;
    if (i % 2 === 0) {
      t = '';
      const n = Math.floor(r() * 40);
      for (let j = 0; j < n; j++) t += alphabet.charAt(Math.floor(r() * alphabet.length));
    } else {
      // Mutate a valid document: delete, duplicate or replace one character.
      const s = seeds[i % 4 === 1 ? 0 : 1];
      const p = Math.floor(r() * s.length);
      const c = alphabet.charAt(Math.floor(r() * alphabet.length));
      const op = Math.floor(r() * 3);
      t = op === 0 ? s.slice(0, p) + s.slice(p + 1) : op === 1 ? s.slice(0, p) + c + s.slice(p) : s.slice(0, p) + c + s.slice(p + 1);
    }
    const u = parseUsersJson(t);
    const m = parseMachinesJson(t);
    // The syntax check agrees with JSON.parse about what is valid JSON.
    let valid = true;
    try {
      JSON.parse(t);
    } catch {
      valid = false;
    }
    for (const res of [u, m]) {
      const syntaxError = !res.ok && res.errors.some((e) => e.message.indexOf('invalid JSON') === 0);
      assert.is(syntaxError, !valid, JSON.stringify(t));
      if (!res.ok) for (const e of res.errors) assert.type(formatIssue(e), 'string');
    }
  }
});

test('deeply nested and huge inputs do not throw', () => {
  let deep = '';
  for (let i = 0; i < 100000; i++) deep += '[';
  assert.is(parseUsersJson(deep).ok, false);
  let closed = deep;
  for (let i = 0; i < 100000; i++) closed += ']';
  assert.is(parseUsersJson(closed).ok, false);
  assert.is(parseMachinesJson(closed).ok, false);

  const big: Obj[] = [];
  for (let i = 0; i < 5000; i++) big.push(user({ account_id: 'm' + i, fob_codes: [String(100000 + i)] }));
  const r = parseUsersJson(JSON.stringify(big));
  assert.is(valueOf(r).length, 5000);

  const hugeName = 'k'.repeat(100000);
  const errs = machinesErrors(JSON.parse('{"' + hugeName + '": 1, "' + hugeName.toUpperCase() + '": {}}'));
  assert.is(errs.length, 2);
  for (const e of errs) assert.ok(e.length < 400, 'messages cut long keys: ' + e.length);
});

test('prototype-pollution keys are rejected and pollute nothing', () => {
  const usersText = '[{"__proto__": {"polluted": true}, "account_id": "a"}]';
  const errs = errorsOf(parseUsersJson(usersText));
  assert.ok(errs.indexOf('users.json: /0 (line 1): unknown key "__proto__"') >= 0, errs.join('\n'));
  const machinesText = '{"__proto__": {"polluted": true, "authorizations_or": ["a"]}, "lathe": {"authorizations_or": ["a"], "__proto__": {"x": 1}}}';
  assert.equal(errorsOf(parseMachinesJson(machinesText)), [
    'machines.json: /__proto__ (line 1): machine name "__proto__" is reserved',
    'machines.json: /lathe (line 1): unknown key "__proto__"',
  ]);
  const probe: Obj = {};
  assert.is(probe.polluted, undefined);
  assert.is(probe.x, undefined);
  // Objects whose hasOwnProperty is shadowed are still read correctly.
  assert.equal(machinesErrors({ a: { authorizations_or: ['x'], hasOwnProperty: 1 } }), ['machines.json: /a: unknown key "hasOwnProperty"']);
});

test('input that throws on access is reported, not thrown', () => {
  const evil = {};
  Object.defineProperty(evil, 'authorizations_or', {
    enumerable: true,
    get() {
      throw new Error('boom');
    },
  });
  assert.equal(machinesErrors({ a: evil }), ['machines.json: could not be read: boom']);
  const evilUsers: unknown[] = [];
  Object.defineProperty(evilUsers, 0, {
    enumerable: true,
    get() {
      throw 'kaboom';
    },
  });
  assert.equal(usersErrors(evilUsers), ['users.json: could not be read: kaboom']);
});

test('issues found in a file\'s text carry the line of the value they concern', () => {
  const text = [
    '[',
    '  {"account_id": "a1", "full_name": "Jane Doe", "first_name": "Jane", "last_name": "Doe",',
    '   "preferred_name": "Jane", "email": "jane@example.org", "expiration_ymd": "2027-01-31",',
    '   "fob_codes": ["0091703745"], "authorizations": ["lathe"]},',
    '  {"account_id": "b2", "full_name": "Bo Lee", "first_name": "Bo", "last_name": "Lee",',
    '   "preferred_name": "Bo", "email": 7, "expiration_ymd": "2027-02-30",',
    '   "fob_codes": ["12ab",',
    '                 "91703745"], "authorizations": ["lathe"], "colour": "red"}',
    ']',
  ].join('\n');
  assert.equal(errorsOf(parseUsersJson(text)), [
    'users.json: /1 (line 8): unknown key "colour"',
    'users.json: /1/email (line 6): must be a string, got number',
    'users.json: /1/expiration_ymd (line 6): must be a calendar date written YYYY-MM-DD, got "2027-02-30"',
    'users.json: /1/fob_codes/0 (line 7): fob code "12ab" must contain only digits 0-9',
    'users.json: /1/fob_codes/1 (line 8): duplicate fob code "0091703745": held by both account_id "a1" (Jane Doe) at /0/fob_codes/0 and account_id "b2" (Bo Lee)',
  ]);
  // A missing key is placed on the line of the object that lacks it.
  const machines = '{\n  "lathe": {"authorizations_or": ["a"]},\n  "mill": {\n    "alias": "Mill"\n  }\n}';
  assert.equal(errorsOf(parseMachinesJson(machines)), ['machines.json: /mill/authorizations_or (line 3): is required (an array of authorization names)']);
});

test('JSON: comments and other JSON5 liberties are syntax errors', () => {
  assert.equal(errorsOf(parseMachinesJson('{\n  // the lathe\n  "lathe": {"authorizations_or": ["a"]}\n}')), [
    'machines.json (line 2, column 3): invalid JSON: comments are not allowed in JSON',
  ]);
  assert.equal(errorsOf(parseMachinesJson('{"a": {"authorizations_or": ["x"], "offline_grace_hours": .5}}')), [
    "machines.json (line 1, column 59): invalid JSON: expected a value, found '.'",
  ]);
});

test.run();
