// @timeout 600 (the real interpreter runs in real time; on a busy machine it can pass the runner's default)
// The list scenario (lists-scenario.ts) in the real interpreter at 12000 variables: a list too large
// to travel inline downloaded in pieces into flash, a member far in it decided with the name from
// flash, a delta (two added, one removed), a power cut; memory figures printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureFirmware, interpreterPresent } from './harness.js';
import { describeFigures, listScenario, LIST_MEMBERS } from './lists-scenario.js';

const present = interpreterPresent('device/test/interp/lists-12k.test.ts');
const it = present ? test : test.skip;

it('12000 variables: download, far member, delta, removed member refused, power cut: all from flash, no memory trouble', async () => {
  ensureFirmware();
  const f = await listScenario(12000);
  console.log(describeFigures(12000, f));
  for (const peak of [f.download.peak, f.delta.peak, f.tap.peak]) assert.ok(peak < 12000, 'peak ' + peak + ' below the ' + 12000 + ' variables');
  assert.ok(LIST_MEMBERS > 350, 'the list is too large to travel inline');
});

test.run();
