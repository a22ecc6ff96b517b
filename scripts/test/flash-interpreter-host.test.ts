// `npm run flash` against the REAL Espruino 2v29 interpreter (ESP32-sized, 16,383 variables)
// behind its TCP console, with the network blocked (own namespace, loopback only): the real
// espruino CLI uploads the built firmware and config to Storage, the tool waits until the unit
// has written everything, the firmware's own FG_INFO() reports digests that match the bytes
// sent, and the firmware's own first signed sync reaches the real server. Host profile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flashMain } from '../src/flash.js';
import { EXIT } from '../src/exit-codes.js';
import { runInOwnNetns } from './netns.js';
import { interpreterSuite } from './interpreter-suite.js';
import type { TelnetInterpreter } from './telnet-interpreter.js';
import { consoleEval, eventTypes, firmwareText, timedIo, toolEnv, unitKeys } from './flash-fixture.js';

runInOwnNetns(import.meta.url);

const suite = interpreterSuite();

if (suite) {
  const server = () => suite.server;
  let interp: TelnetInterpreter | null = null;
  test.before(async () => {
    interp = await suite.startInterpreter();
  });

  test('unknown machine, unreachable server: said after the unit answered, nothing uploaded', async () => {
    const port = interp!.port;
    const c = timedIo();
    assert.is(await flashMain(['--machine', 'nope', '--port', port, '--profile', 'host'], c.io, toolEnv(server())), EXIT.FAILED);
    assert.match(c.all(), /unknown machine "nope" on .*Known machines: .*lathe/);
    assert.match(c.all(), 'a unit answers');
    const d = timedIo();
    assert.is(await flashMain(['--machine', 'lathe', '--port', port, '--profile', 'host'], d.io, { FOBGATE_SERVER: 'http://127.0.0.1:9', FOBGATE_ADMIN_TOKEN: 'x' }), EXIT.SERVER);
    assert.match(d.all(), 'cannot reach the fobgate server');
    assert.is(await consoleEval('require("Storage").read(".bootcde")===undefined'), 'true');
  });

  test('host profile over tcp://, offline: uploaded, written, verified by the firmware, first signed sync', async () => {
    if (!interp) throw new Error('no interpreter');
    const c = timedIo();
    const cli: string[] = [];
    const code = await flashMain(['--machine', 'lathe', '--port', interp.port, '--profile', 'host', '--sync-timeout', '90'], c.io, toolEnv(server()), { onCliLine: (l) => cli.push(l) });
    const all = c.all();
    if (process.env.FOBGATE_TEST_ECHO) console.log(all);
    assert.is(code, EXIT.OK, all + '\n--- interpreter:\n' + interp.output().slice(-1500));
    for (const step of ['[1/6] build', 'will store it unchanged', '[2/6] unit', 'a unit answers', '[3/6] register', '[4/6] upload', '[5/6] verify', 'had taken everything', 'verified (sha256', '[6/6] sync', 'first sync', 'flashed, verified and online']) {
      assert.match(all, step);
    }
    // The CLI never looked anything up (the namespace has no route out: it would have said so).
    assert.not.ok(cli.some((l) => /getURL|not found|Loading http|Module /i.test(l)), cli.join('\n'));
    assert.ok(cli.some((l) => l.includes('Upload Complete')));

    // The interpreter's flash holds exactly the built program (no byte added in front) and it runs.
    const fw = firmwareText();
    assert.is(await consoleEval('require("Storage").read(".bootcde").length'), String(fw.length));
    assert.is(await consoleEval('require("Storage").read(".bootcde").substr(0,60)'), fw.slice(0, 60).replace(/\n/g, '\r\n'));
    assert.is(await consoleEval('typeof FG_INFO'), 'function');

    // The server took the new key only after the upload was verified, then at the unit's own sync.
    const keys = await unitKeys(server(), 'lathe');
    assert.ok(keys.unit && keys.pending === null, JSON.stringify(keys));
    assert.match(all, keys.unit!.unit_id);
    const types = (await eventTypes(server(), 'lathe')).filter((x) => x.startsWith('unit_'));
    assert.equal(types, ['unit_key_issued', 'unit_verified', 'unit_registered']);
    // No key (64 hex characters) in anything the tool printed.
    assert.not.match(all, /[0-9a-f]{64}/);
  });
}

test.run();
