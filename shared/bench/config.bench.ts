// Reading a members file: parseUsersJson (jsonc-parser tokens for duplicate keys + ajv schema per
// member + fob and account checks) on a 5,000-member users.json, against JSON.parse of the same
// text as the baseline measured in the same run. Also a file with one error per 100 members,
// which builds the syntax tree to give every issue its line.
//   npx tsx shared/bench/config.bench.ts
import { parseUsersJson } from '../src/config.js';

const MEMBERS = 5000;
const ROUNDS = 15;

function members(bad: boolean): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    out.push({
      account_id: 'm' + i, full_name: 'Member ' + i, first_name: 'M', last_name: String(i), preferred_name: 'M' + i,
      email: 'm' + i + '@example.org', expiration_ymd: bad && i % 100 === 0 ? '2027-02-30' : '2027-01-31',
      fob_codes: [String(100000 + i)], authorizations: ['lathe', 'mill'],
    });
  }
  return out;
}

function best(f: () => unknown): number {
  let min = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    f();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

const good = JSON.stringify(members(false), null, 2);
const bad = JSON.stringify(members(true), null, 2);
if (!parseUsersJson(good).ok || parseUsersJson(bad).ok) throw new Error('bench inputs are not what they claim');
const base = best(() => JSON.parse(good));
const valid = best(() => parseUsersJson(good));
const invalid = best(() => parseUsersJson(bad));
const kb = (good.length / 1024).toFixed(0);
console.log(`config: users.json of ${MEMBERS} members (${kb} KiB), best of ${ROUNDS}`);
console.log(`  JSON.parse (baseline)        ${base.toFixed(1)} ms`);
console.log(`  parseUsersJson, valid        ${valid.toFixed(1)} ms  (${(valid / base).toFixed(1)}x baseline, ${((valid * 1000) / MEMBERS).toFixed(1)} us per member)`);
console.log(`  parseUsersJson, 50 errors    ${invalid.toFixed(1)} ms  (${(invalid / base).toFixed(1)}x baseline, lines for every issue)`);
