// End to end, the board side: the host profile (Espruino for Linux: no Wifi, inert pins) runs the
// same firmware.js against the server; FG_INFO() reports the flash digests and no secret reaches
// the console; a unit without (or with a corrupt) config says so and starts once flashed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONFIG_FILE, UnitSim } from '../../sim/unit-sim.js';
import { E2EServer, ensureFirmware, fleetRow, startUnit, untilSynced, healthy } from './harness.js';

let server: E2EServer;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
});

test.after(async () => {
  await server.close();
});

test('FG_INFO() prints the SHA-256 of .bootcde and fobgate.json; the unit key never reaches the console', async () => {
  const h = await startUnit(server, 'lathe');
  const u = h.unit;
  try {
    await untilSynced(u);
    const out = u.typeAtConsole('FG_INFO()');
    const m = /^FGINFO (\{.*\})$/m.exec(out);
    assert.ok(m, 'one FGINFO line: ' + out);
    const info = JSON.parse(m![1]) as { fw: string; cfg: string; version: string };
    assert.is(info.fw, u.storageDigest('.bootcde'));
    assert.is(info.cfg, u.storageDigest(CONFIG_FILE));
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    await u.insertFob('0012345678');
    await u.advance(6000);
    await u.removeFob();
    await u.advance(6000);
    const all = u.consoleLines.join('\n');
    assert.not.ok(all.includes(h.key), 'key not printed');
    assert.not.ok(all.includes('not-a-real-password'), 'Wi-Fi password not printed');
  } finally {
    u.close();
  }
});

test('host profile: no Wifi module and inert pins, the same firmware.js syncs with the server', async () => {
  const r = await server.admin('POST', '/api/admin/units', { machine: 'saw' });
  const key = (r.json as { key: string }).key;
  const u = new UnitSim({ profile: 'host' });
  try {
    u.flash({ config: { machine: 'saw', server_url: server.url, key, wifi: null, profile: 'host', pins: {}, i2c_address: 39, sync_interval_s: 5 } });
    u.boot();
    assert.ok(await untilSynced(u), 'synced without a Wifi module');
    assert.ok(u.http.log.some((x) => x.outcome === 'ok' && /"list":\{/.test(x.responseBody || '')), 'got its list');
    assert.is(u.i2c.I2C1.log.length, 0, 'no I2C traffic: pins are inert on the host profile');
    assert.is(u.wifi.record.connects, 0);
    const row = await fleetRow(server, 'saw');
    assert.ok(row.online);
    assert.ok((row.list_version_held ?? 0) >= 1, 'server sees the list held');
    healthy(u);
  } finally {
    u.close();
  }
});

test('no config in Storage -> relays off and "Not configured"; a corrupt config too; flashing one later starts the unit', async () => {
  const u = new UnitSim();
  try {
    u.flash({});
    u.boot();
    await u.advance(1000);
    assert.is(u.lcdText, 'Not configured\nflash a config');
    assert.not.ok(u.relay);
    u.storage.write(CONFIG_FILE, '{"machine": "mill", "key": ');
    await u.advance(6000);
    assert.not.ok(u.relay);
    healthy(u);
    const r = await server.admin('POST', '/api/admin/units', { machine: 'mill' });
    const key = (r.json as { key: string }).key;
    u.storage.write(CONFIG_FILE, JSON.stringify({ machine: 'mill', server_url: server.url, key, wifi: { ssid: 'x', password: 'y' }, profile: 'esp32', pins: {}, i2c_address: 39, sync_interval_s: 5 }));
    assert.ok(await u.until(() => u.lcdText === 'Please Insert\nRFID Card', 30_000, 100), 'started after the flash: ' + JSON.stringify(u.lcdText));
    assert.ok(await untilSynced(u));
    healthy(u);
  } finally {
    u.close();
  }
});

test.run();
