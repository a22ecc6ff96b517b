// The flash tool's checks before and around the upload, against the real server and the real
// espruino CLI: the program the CLI will store (no byte added, for both board profiles), the
// serial port choice and the CLI's serial arguments (a USB port itself cannot be reached here),
// a failed flash leaving the working unit alone (issue 8.10), the loopback refusal for esp32
// units (issue 8.12), --dry-run. The uploads themselves are tested against the real interpreter
// in flash-interpreter-*.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARD_DIR } from '@fobgate/device/builtins';
import { ensureFirmware, FIRMWARE_PATH } from '@fobgate/device/ensure-firmware';
import { flashMain } from '../src/flash.js';
import { EXIT } from '../src/exit-codes.js';
import { CLI_BASE_ARGS, choosePort, uploadArgs } from '../src/espruino-cli.js';
import { renderProgram, writeCliBoard } from '../src/cli-program.js';
import { lanAddresses, unreachableFromLan } from '../src/unit-server-address.js';
import { captureIo, startServer, TEST_TOKEN, type ServerProcess } from './server-process.js';
import { startSimUnit } from './sim-unit.js';
import { eventTypes, unitKeys } from './flash-fixture.js';

let server: ServerProcess;
const work = mkdtempSync(join(tmpdir(), 'fobgate-flash-test-'));
const secrets = join(work, 'secrets.json');
writeFileSync(secrets, JSON.stringify({ wifi: { ssid: 'makerspace', password: 'hunter2-wifi-pass' } }));
const env = () => ({ FOBGATE_SERVER: server.url, FOBGATE_ADMIN_TOKEN: TEST_TOKEN }) as NodeJS.ProcessEnv;
const LAN = { eth0: [{ address: '192.168.1.20', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.168.1.20/24' }] } as never;
const lanUrl = () => `http://192.168.1.20:${new URL(server.url).port}`;

function emptyDevDir(): string {
  const d = mkdtempSync(join(work, 'dev-'));
  writeFileSync(join(d, 'ttyS0'), ''); // a built-in UART is not a candidate
  return d;
}

test.before(async () => {
  ensureFirmware();
  server = await startServer();
});
test.after(async () => {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

test('the CLI stores the built program unchanged with the board file it gets, for both profiles', async () => {
  for (const profile of ['esp32', 'host'] as const) {
    const r = await renderProgram(writeCliBoard(profile, work), FIRMWARE_PATH, work);
    assert.ok(r.ok, profile + ': ' + (!r.ok && r.problem));
  }
  // The board file on its own (what the tool passed before): the host build lacks Wifi and ESP32,
  // so the CLI looked them up and put "\n" in front of the program: no digest could ever match.
  const raw = await renderProgram(join(BOARD_DIR, 'host.json'), FIRMWARE_PATH, work);
  assert.not.ok(raw.ok);
  assert.match(!raw.ok ? raw.problem : '', 'puts 1 byte(s) in front: "\\n"');
});

test('the CLI arguments: Storage upload, paced over serial, full speed over TCP, never online', () => {
  const serial = uploadArgs({ port: '/dev/ttyUSB0', baud: 115200, boardFile: 'b.json', storage: [{ name: 'fobgate.json', path: '/tmp/c.json' }], program: 'fw.js' });
  assert.equal(serial, ['-p', '/dev/ttyUSB0', '-b', '115200', '--board', 'b.json', '--config', 'SAVE_ON_SEND=1', '--storage', 'fobgate.json:/tmp/c.json', 'fw.js']);
  const tcp = uploadArgs({ port: 'tcp://10.0.0.5:23', baud: 115200, boardFile: 'b.json', storage: [], program: 'fw.js' });
  assert.ok(tcp.join(' ').includes('--config STORAGE_UPLOAD_METHOD=1'));
  assert.equal(CLI_BASE_ARGS, ['--no-ble', '--config', 'MODULE_URL=', '--config', 'BOARD_JSON_URL=']);
  // Every module any board has is built in for the CLI: nothing left to fetch.
  const board = JSON.parse(readFileSync(writeCliBoard('host', work), 'utf8')) as { info: { builtin_modules: string[] } };
  for (const m of ['Storage', 'http', 'crypto', 'Wifi', 'ESP32', 'neopixel']) assert.ok(board.info.builtin_modules.includes(m), m);
});

test('serial port choice: none, several (listed), permission denied (with the Linux fix)', async () => {
  const dev = join(work, 'dev');
  mkdirSync(dev, { recursive: true });
  const none = choosePort(undefined, dev);
  assert.is('code' in none && none.code, 'NO_PORT');
  writeFileSync(join(dev, 'ttyUSB0'), '');
  assert.equal(choosePort(undefined, dev), { port: join(dev, 'ttyUSB0') });
  writeFileSync(join(dev, 'ttyACM0'), '');
  writeFileSync(join(dev, 'ttyS0'), '');
  const several = choosePort(undefined, dev);
  assert.ok('code' in several && several.code === 'SEVERAL_PORTS');
  assert.match((several as { message: string }).message, 'ttyACM0');
  assert.match((several as { message: string }).message, 'ttyUSB0');
  assert.not.match((several as { message: string }).message, 'ttyS0');
  const denied = choosePort(join(dev, 'ttyUSB0'), dev, () => {
    throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
  });
  assert.ok('code' in denied && denied.code === 'PORT_PERMISSION');
  assert.match((denied as { message: string }).message, 'usermod -aG dialout');
  const c = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--unit-server-url', lanUrl()], c.io, env(), { devDir: dev }), EXIT.PORT);
  assert.match(c.err.join('\n'), 'several serial ports');
  const d = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--unit-server-url', lanUrl(), '--port', join(dev, 'ttyUSB0')], d.io, env(), { checkAccess: () => { throw new Error('EACCES'); } }), EXIT.PORT);
  assert.match(d.err.join('\n'), 'permission denied on');
});

test('a serial port the CLI cannot open: the CLI is asked with the serial arguments and its answer explained', async () => {
  // A path that exists and is accessible but is no serial device: the CLI (serialport) does not
  // list it. On a laptop this is a USB adapter that went away between the check and the open.
  const dev = mkdtempSync(join(work, 'dev-'));
  writeFileSync(join(dev, 'ttyUSB0'), '');
  const c = captureIo();
  const code = await flashMain(['--machine', 'lathe', '--secrets', secrets, '--unit-server-url', lanUrl(), '--unit-timeout', '10'], c.io, env(), { devDir: dev });
  const err = c.err.join('\n');
  assert.is(code, EXIT.PORT, err);
  assert.match(err, `the unit did not answer on ${join(dev, 'ttyUSB0')}`);
  assert.match(err, 'does not see that serial port');
  assert.match(err, 'Nothing was changed on the server');
});

test('a flash with no USB device leaves the unit on that machine syncing (200, never 401), nothing registered', async () => {
  const old = await startSimUnit(server.url, TEST_TOKEN, 'lathe');
  try {
    const keyEvents = async () => (await eventTypes(server, 'lathe')).filter((x) => x.startsWith('unit_'));
    const before = await keyEvents();
    const t0 = performance.now();
    const c = captureIo();
    assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--unit-server-url', lanUrl()], c.io, env(), { devDir: emptyDevDir() }), EXIT.PORT);
    assert.match(c.err.join('\n'), 'no serial port found');
    assert.equal(await keyEvents(), before, 'the server was not touched');
    assert.equal(before, ['unit_key_issued', 'unit_registered']);
    assert.is((await unitKeys(server, 'lathe')).pending, null);
    assert.ok(await old.until(() => old.statuses(t0).length >= 3, 20_000));
    assert.ok(old.statuses(t0).every((s) => s === 200), old.statuses(t0).join(','));
  } finally {
    old.stop();
  }
});

test('a unit that does not answer (port refused, or silent): reported before the server is touched', async () => {
  const refused = captureIo();
  const before = await eventTypes(server, 'drill-press');
  assert.is(await flashMain(['--machine', 'drill-press', '--secrets', secrets, '--unit-server-url', lanUrl(), '--port', 'tcp://127.0.0.1:1', '--unit-timeout', '10'], refused.io, env()), EXIT.FAILED);
  assert.match(refused.err.join('\n'), /the unit did not answer on tcp:\/\/127\.0\.0\.1:1/);
  // A console that accepts the connection and never says anything (a unit stuck in a loop).
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const c = captureIo();
    const port = `tcp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    assert.is(await flashMain(['--machine', 'drill-press', '--secrets', secrets, '--unit-server-url', lanUrl(), '--port', port, '--unit-timeout', '3'], c.io, env()), EXIT.FAILED);
    assert.match(c.err.join('\n'), 'did not answer');
    assert.match(c.err.join('\n'), 'press the unit\'s EN/reset button');
  } finally {
    silent.close();
  }
  assert.equal(await eventTypes(server, 'drill-press'), before);
});

test('esp32 profile: a loopback or unspecified server address is refused with this machine\'s LAN addresses', async () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LocalHost', 'x.localhost', '0.0.0.0', '0']) assert.ok(unreachableFromLan(h), h);
  for (const h of ['192.168.1.20', 'fobgate.local', '10.0.0.1', '172.16.0.1']) assert.not.ok(unreachableFromLan(h), h);
  assert.equal(lanAddresses(LAN), [{ address: '192.168.1.20', iface: 'eth0' }]);
  assert.equal(lanAddresses({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null }] } as never), []);

  const c = captureIo();
  // FOBGATE_SERVER is the local server: that is what a unit would be told by default.
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets], c.io, env(), { interfaces: LAN, devDir: emptyDevDir() }), EXIT.USAGE);
  const err = c.err.join('\n');
  assert.match(err, `the unit would be told to reach the server at ${server.url}`);
  assert.match(err, "127.0.0.1 is the unit's own loopback: an ESP32 can never reach it");
  assert.match(err, `This machine's LAN address: 192.168.1.20 (eth0); e.g. --unit-server-url ${lanUrl()}`);
  assert.match(err, '--force-loopback');
  assert.not.match(c.out.join('\n'), '[1/6] build', 'refused before anything else');

  const none = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--unit-server-url', 'http://0.0.0.0:3000'], none.io, env(), { interfaces: {}, devDir: emptyDevDir() }), EXIT.USAGE);
  assert.match(none.err.join('\n'), 'not an address a unit can connect to');
  assert.match(none.err.join('\n'), 'no LAN address right now');

  // Forced, or the host profile (the interpreter runs on this machine): on to the port step.
  const forced = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--secrets', secrets, '--force-loopback'], forced.io, env(), { interfaces: LAN, devDir: emptyDevDir() }), EXIT.PORT);
  const host = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--profile', 'host'], host.io, env(), { interfaces: LAN, devDir: emptyDevDir() }), EXIT.PORT);
});

test('--dry-run writes the config write and the program without a unit or server', async () => {
  const out = join(work, 'upload.js');
  const c = captureIo();
  const code = await flashMain(['--machine', 'lathe', '--dry-run', '--out', out, '--secrets', secrets, '--unit-server-url', 'http://192.168.1.20:3000'], c.io, { FOBGATE_SERVER: 'http://127.0.0.1:9' });
  assert.is(code, EXIT.OK, c.err.join('\n'));
  const text = readFileSync(out, 'latin1');
  assert.match(text, 'require("Storage").write("fobgate.json"');
  assert.ok(text.endsWith(readFileSync(FIRMWARE_PATH, 'latin1')));
  assert.not.match(c.out.join('\n'), 'hunter2');
});

test('usage: --help, missing machine, bad profile, bad server address', async () => {
  const h = captureIo();
  assert.is(await flashMain(['--help'], h.io, env()), EXIT.OK);
  for (const s of ['--force-loopback', '6 sync', 'Exit codes', 'does not\n              fit in RAM']) assert.match(h.out.join('\n'), s);
  const m = captureIo();
  assert.is(await flashMain([], m.io, env()), EXIT.USAGE);
  assert.match(m.err.join('\n'), '--machine <name> is required');
  const p = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--profile', 'esp8266'], p.io, env()), EXIT.USAGE);
  const u = captureIo();
  assert.is(await flashMain(['--machine', 'lathe', '--profile', 'host', '--unit-server-url', 'https://x'], u.io, env()), EXIT.USAGE);
  assert.match(u.err.join('\n'), 'is not http://host[:port][/path]');
});

test.run();
