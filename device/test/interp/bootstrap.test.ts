// @timeout 600 (the real interpreter runs in real time; on a busy machine it can pass the runner's default)
// The harness's bootstrap (how every interpreter test flashes a unit) survives a piece request
// that is never answered: the interpreter's HTTP client has no timeouts, so the harness watches
// progress and starts again from reset(); what lands in Storage is whole (its SHA-256 checked).
// CI once lost a whole tap file to a bootstrap that waited 120 s for nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InterpUnit, interpreterPresent } from './harness.js';

const present = interpreterPresent('device/test/interp/bootstrap.test.ts');
const it = present ? test : test.skip;
let u: InterpUnit;

test.after(async () => {
  if (u) await u.close();
});

it('a hung piece request: the bootstrap starts again and the files land whole', async () => {
  u = new InterpUnit({ bootstrapStallMs: 2_000 });
  const big = 'x'.repeat(5_000) + 'end';
  await u.writeFiles({ warm: 'first' });
  u.fileServer!.holdNext = 1;
  await u.writeFiles({ data: big, note: 'second file' });
  assert.is(u.bootstrapRetries, 1, 'one retry');
  assert.is(await u.evaluateBare<string>('require("Storage").read("data")'), big);
  assert.is(await u.evaluateBare<string>('require("Storage").read("note")'), 'second file');
});

it('a bootstrap that never gets going says so after three attempts', async () => {
  u.fileServer!.holdNext = 3;
  let err: Error | null = null;
  try {
    await u.writeFiles({ never: 'lands' });
  } catch (e) {
    err = e as Error;
  }
  assert.ok(err, 'it gives up');
  assert.match(err!.message, /the bootstrap writing never stalled 3 times; the last time: no piece was served within 2000 ms/, err!.message);
});

test.run();
