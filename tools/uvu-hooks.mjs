// Preloaded into every test file by tools/test.mjs (`node --import ./tools/uvu-hooks.mjs`).
//
// uvu 0.5 runs a file's before/after hooks inside `try { … } finally { return … }`, so an error
// thrown by a hook is swallowed: the file prints "(0 / 7)" and exits 0 without saying why. This
// wraps the default suite's hook registration so a hook's error is printed with the hook's kind
// and the file fails, then rethrows so uvu stops the suite as before.
import { test } from 'uvu';

function visible(register, kind) {
  return (fn) => register(async (state) => {
    try {
      await fn(state);
    } catch (e) {
      process.exitCode = 1;
      const text = e && e.stack ? e.stack : String(e);
      console.error(`\n[${kind} hook failed] ${text}\n`);
      throw e;
    }
  });
}

const before = test.before;
const beforeEach = test.before.each;
const after = test.after;
const afterEach = test.after.each;
test.before = visible(before, 'before');
test.before.each = visible(beforeEach, 'before.each');
test.after = visible(after, 'after');
test.after.each = visible(afterEach, 'after.each');
