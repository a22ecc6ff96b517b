// A flash whose verification fails, against the REAL interpreter behind its TCP console, network
// blocked: the unit's config is changed in its flash between upload and verification (what a
// corrupted transfer looks like to the firmware's FG_INFO()). The tool says the config digest
// differs, withdraws the new key, and the machine's working unit (the built firmware in the
// simulator) keeps syncing with 200; the half-flashed unit is never accepted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flashMain } from '../src/flash.js';
import { EXIT } from '../src/exit-codes.js';
import { runInOwnNetns } from './netns.js';
import { interpreterSuite } from './interpreter-suite.js';
import { consoleEval, eventTypes, timedIo, toolEnv, unitKeys } from './flash-fixture.js';

runInOwnNetns(import.meta.url);

const suite = interpreterSuite();

if (suite) {
  const server = () => suite.server;
  test('a config that changed on the unit fails verification; the new key is withdrawn, the old unit keeps working', async () => {
    const old = await suite.startWorkingUnit('table-saw');
    const oldId = (await unitKeys(server(), 'table-saw')).unit!.unit_id;
    const interp = await suite.startInterpreter();
    const c = timedIo();
    const code = await flashMain(['--machine', 'table-saw', '--port', interp.port, '--profile', 'host', '--sync-timeout', '30'], c.io, toolEnv(server()), {
      // Queued behind the upload on the unit's console: runs after the firmware has started.
      beforeVerify: async () => {
        await consoleEval('require("Storage").write("fobgate.json", "{}")', 120_000);
      },
    });
    const all = c.all();
    if (process.env.FOBGATE_TEST_ECHO) console.log(all);
    assert.is(code, EXIT.FAILED, all);
    assert.match(all, /verification failed: config digest [0-9a-f]{16}… differs from the uploaded [0-9a-f]{16}…/);
    assert.not.match(all, /firmware digest .* differs/);
    assert.match(all, 'The new key was withdrawn; the unit registered for table-saw keeps working.');
    assert.not.match(all, '[6/6] sync');

    const keys = await unitKeys(server(), 'table-saw');
    assert.equal(keys.unit!.unit_id, oldId);
    assert.is(keys.pending, null);
    const types = (await eventTypes(server(), 'table-saw')).filter((x) => x.startsWith('unit_'));
    assert.equal(types, ['unit_key_issued', 'unit_registered', 'unit_key_issued', 'unit_key_cancelled']);

    // The working unit: every sync since the flash began answered 200, and it goes on.
    const since = c.at(/^\[3\/6\] register/);
    const before = old.statuses(since).length;
    assert.ok(await old.until(() => old.statuses(since).length >= before + 3, 20_000));
    assert.ok(old.statuses(since).every((s) => s === 200), old.statuses(since).join(','));
  });
}

test.run();
