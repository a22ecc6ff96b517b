// @timeout 600 (the real interpreter runs in real time; on a busy machine it can pass the runner's default)
// The real interpreter: the BUILT firmware boots from Storage (.boot0 stand-in, then .bootcde) at
// 16,383 and 12,000 variables; with no config it shows `Not configured`, a config written later
// starts it without a reboot; it syncs with the real server and takes its list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, InterpUnit, interpreterPresent, startInterpUnit, unitConfig, untilListVersion, type InterpHandle } from './harness.js';

const present = interpreterPresent('device/test/interp/boot.test.ts');
const it = present ? test : test.skip;

let server: E2EServer;
const units: InterpUnit[] = [];

test.before(async () => {
  if (!present) return;
  ensureFirmware();
  server = new E2EServer();
  await server.start();
});

test.after(async () => {
  for (const u of units) await u.close();
  if (server) await server.close();
});

it('no config: relays off, LCD "Not configured / flash a config", console says why; nothing uncaught', async () => {
  const u = new InterpUnit();
  units.push(u);
  await u.install({});
  const line = await u.waitBoot();
  assert.match(line, /Not configured: fobgate.json: no config file/);
  await u.untilLcd('Not configured\nflash a config');
  assert.not.ok(u.relay);
  assert.not.ok(u.secondRelay);
  assert.ok(u.writes.some((w) => w.pin === u.board.relay && w.value === 0), 'the relay pin was driven off');
  assert.equal(u.problems, []);
});

it('a config written while it waits starts the unit without a reboot: sync, list v1, idle LCD', async () => {
  const u = units[0];
  const r = await server.admin('POST', '/api/admin/units', { machine: 'lathe' });
  const config = unitConfig(server, 'lathe', (r.json as { key: string }).key);
  const from = u.lines.length;
  const starts = u.starts;
  const text = JSON.stringify(config);
  await u.evaluate('require("Storage").write("fobgate.json",' + JSON.stringify(text) + ')');
  u.setBoard(config);
  await u.waitLine(/^fobgate \S+ on lathe: boot 1, list v0/, 20_000, from);
  await untilListVersion(server, 'lathe', 1);
  await u.untilLcd('Please Insert\nRFID Card');
  assert.is(u.starts, starts, 'no reboot');
  assert.equal(u.problems, []);
});

// one machine per size: the fleet view's list version is per machine
const RUNS = [
  { vars: 16383, machine: 'mill', fob: FOBS.cy, name: 'Cy' },
  { vars: 12000, machine: 'laser', fob: FOBS.ada, name: 'Ada' },
] as const;

for (const { vars, machine, fob, name } of RUNS) {
  it(`boots and serves a member at ${vars} variables: relay on, "Welcome," LCD, green LED; removal cuts it`, async () => {
    const h: InterpHandle = await startInterpUnit(server, machine, { vars });
    const u = h.unit;
    units.push(u);
    await untilListVersion(server, machine, 1);
    await u.untilLcd('Please Insert\nRFID Card');
    const mem = await u.memory();
    assert.is(mem.total, vars);
    console.log(`  ${vars} vars: idle usage ${mem.usage} (${((mem.usage / vars) * 100).toFixed(1)} %) with a 4-member list`);
    const tap = await u.insertFob(fob);
    await u.untilLcd('Welcome,\n' + name);
    assert.ok(u.relay, 'relay on');
    assert.ok(u.writesAfter(u.board.relay, tap.seq).some((w) => w.value === 1));
    const green = () => JSON.stringify(u.ledRgb ? u.ledRgb.map((c) => (c > 0 ? 1 : 0)) : null) === '[0,1,0]';
    assert.ok(await u.until(green, 5000), 'LED green, got ' + JSON.stringify(u.ledRgb));
    await u.removeFob();
    await u.untilLcd('Please Insert\nRFID Card');
    assert.not.ok(u.relay, 'relay off after removal');
    assert.equal(u.problems, []);
    assert.equal(await u.errorFlags(), []);
    await u.close();
  });
}

test.run();
