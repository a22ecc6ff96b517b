import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { num, parseArgs, str, UsageError } from './args.js';

const spec = { values: ['machine', 'timeout'], switches: ['dry-run'] };

function usageError(argv: string[]): string {
  try {
    parseArgs(argv, spec);
  } catch (e) {
    assert.instance(e, UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
}

test('values (both spellings), switches and positionals in any order', () => {
  const a = parseArgs(['import', '--machine', 'lathe', 'members.csv', '--dry-run', '--timeout=5'], spec);
  assert.equal(a.positionals, ['import', 'members.csv']);
  assert.equal(a.flags, { machine: 'lathe', 'dry-run': true, timeout: '5' });
  assert.is(str(a, 'machine'), 'lathe');
  assert.is(str(a, 'dry-run'), undefined);
  assert.is(num(a, 'timeout', 1), 5);
  assert.is(num(a, 'missing', 7), 7);
});

test('-h and --help are always known; -- ends the options', () => {
  assert.equal(parseArgs(['-h'], spec).flags, { help: true });
  assert.equal(parseArgs(['--help'], spec).flags, { help: true });
  assert.equal(parseArgs(['--', '--machine', '-h'], spec), { positionals: ['--machine', '-h'], flags: {} });
});

test('mistakes are usage errors that name the option', () => {
  assert.is(usageError(['--nope']), 'unknown option --nope (see --help)');
  assert.is(usageError(['-x']), 'unknown option -x (see --help)');
  assert.is(usageError(['--machine']), '--machine needs a value');
  assert.is(usageError(['--machine=']), '--machine needs a value');
  assert.is(usageError(['--machine', '--dry-run']), '--machine needs a value (got the option --dry-run)');
  assert.is(usageError(['--dry-run=yes']), '--dry-run does not take a value');
});

test('num refuses what is not a non-negative number, naming the value', () => {
  const bad = (v: string) => {
    try {
      num(parseArgs(['--timeout', v], spec), 'timeout', 1);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.is(bad('-5'), '--timeout must be a non-negative number, got "-5"');
  assert.is(bad('soon'), '--timeout must be a non-negative number, got "soon"');
  assert.is(bad('0.5'), 'accepted');
});

test.run();
