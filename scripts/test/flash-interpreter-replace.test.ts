// Replacing the unit on a machine (issue 8.10) with the esp32 profile, against the REAL
// interpreter behind its TCP console, network blocked: the working unit (the built firmware in
// the simulator, syncing every second) keeps getting 200 through the whole flash, and its key is
// retired only after the new unit's upload was verified and the new unit signed its first sync.
// The esp32 profile refuses the loopback server address unless --force-loopback (issue 8.12).
// The Wi-Fi password is not ASCII: the config digest is over the UTF-8 bytes the unit stores.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flashMain } from '../src/flash.js';
import { EXIT } from '../src/exit-codes.js';
import { runInOwnNetns } from './netns.js';
import { interpreterSuite } from './interpreter-suite.js';
import { eventTypes, secretsFile, timedIo, toolEnv, unitKeys, WIFI_PASSWORD } from './flash-fixture.js';

runInOwnNetns(import.meta.url);

const suite = interpreterSuite();

if (suite) {
  const server = () => suite.server;
  test('esp32 profile replacing a working unit: the old one syncs (200) until the new one is verified and synced', async () => {
    const old = await suite.startWorkingUnit('drill-press');
    const oldId = (await unitKeys(server(), 'drill-press')).unit!.unit_id;
    const interp = await suite.startInterpreter();
    const secrets = secretsFile();
    const args = ['--machine', 'drill-press', '--port', interp.port, '--profile', 'esp32', '--secrets', secrets, '--sync-timeout', '90'];

    // Without --force-loopback the esp32 profile refuses the server's loopback address, before anything.
    const refused = timedIo();
    assert.is(await flashMain(args, refused.io, toolEnv(server())), EXIT.USAGE);
    assert.match(refused.all(), /127\.0\.0\.1 is the unit's own loopback: an ESP32 can never reach it/);
    assert.equal((await eventTypes(server(), 'drill-press')).filter((x) => x.startsWith('unit_')), ['unit_key_issued', 'unit_registered']);

    const c = timedIo();
    const code = await flashMain(args.concat(['--force-loopback']), c.io, toolEnv(server()));
    const all = c.all();
    if (process.env.FOBGATE_TEST_ECHO) console.log(all);
    assert.is(code, EXIT.OK, all + '\n--- interpreter:\n' + interp.output().slice(-1500));
    assert.match(all, `[3/6] register: replacing the unit registered for drill-press (unit ${oldId})`);
    assert.match(all, 'keeps working until this one');
    assert.match(all, `the previous unit's key (unit ${oldId}) is retired`);
    assert.not.match(all, WIFI_PASSWORD);

    // Through register, upload and verify the working unit kept syncing, every answer 200.
    const registeredAt = c.at(/^\[3\/6\] register/);
    const verifiedAt = c.at(/verified \(sha256/);
    const during = old.statuses(registeredAt).length - old.statuses(verifiedAt).length;
    assert.ok(during >= 1, 'the old unit synced while the new one was flashed');
    assert.ok(
      old.statuses(registeredAt).slice(0, during).every((s) => s === 200),
      'old unit during the flash: ' + old.statuses(registeredAt).join(','),
    );
    // Then its key is retired: 401 from the new unit's first sync on, never 200 again.
    assert.ok(await old.until(() => old.statuses(verifiedAt).includes(401), 20_000), 'old unit: ' + old.statuses(verifiedAt).join(','));
    const after = old.statuses(verifiedAt);
    assert.not.ok(after.slice(after.indexOf(401)).includes(200));

    const keys = await unitKeys(server(), 'drill-press');
    assert.is.not(keys.unit!.unit_id, oldId);
    assert.equal((await eventTypes(server(), 'drill-press')).filter((x) => x.startsWith('unit_')), ['unit_key_issued', 'unit_registered', 'unit_key_issued', 'unit_verified', 'unit_key_rotated']);
  });
}

test.run();
