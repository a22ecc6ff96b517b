// End to end, a large space: a real server with 5,000 members and the built firmware in the
// simulator. The first sync announces the list for download (too large for the sync answer); the
// unit fetches it with a signed request and streams it into flash in network-sized chunks, then
// decides a member's fob locally with the name read from the names file. Instrumented: every
// Storage.write and JSON.parse the firmware makes, so no list-sized string ever passes through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LIST_PATH, SYNC_PATH, decodeList, findFob, listMemoryBytes, nameAt, NAME_WIDTH, type AuthList } from '@fobgate/shared';
import { UnitSim } from '../../sim/unit-sim.js';
import { HTTP_CHUNK } from '../../sim/http-module.js';
import { toBytes } from '../../sim/storage-file.js';
import { E2EServer, ensureFirmware, healthy, member } from './harness.js';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const COUNT = 5000;

function fobOf(i: number): string {
  return String(20000000 + i * 13).padStart(10, '0');
}

const MEMBERS = (() => {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < COUNT; i++) out.push(member(String(1000 + i), 'Member' + i, fobOf(i), ['Lathe']));
  return out;
})();

interface FlashWrite {
  name: string;
  offset: number;
  length: number;
  t: number;
  real: number;
}

let server: E2EServer;
let unit: UnitSim | null = null;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer({ members: MEMBERS, machines: { lathe: { authorizations_or: ['Lathe'] } } });
  await server.start();
});

test.after(async () => {
  if (unit) unit.close();
  await server.close();
});

function sha256Hex(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

test('5,000 members: the first sync downloads the full list into flash in small chunks; a fob is then decided locally with the name from flash', async () => {
  const reg = await server.admin('POST', '/api/admin/units', { machine: 'lathe' });
  assert.is(reg.status, 200);
  const key = (reg.json as { key: string }).key;
  const u = new UnitSim({ storagePath: null, settleCapMs: 15_000 });
  unit = u;
  u.flash({
    config: {
      machine: 'lathe', server_url: server.url, key, wifi: { ssid: 'makerspace', password: 'not-a-real-password' },
      profile: 'esp32', pins: {}, i2c_address: 0x27, sync_interval_s: 5,
    },
  });
  // Instrument the flash the firmware sees (its require("Storage") binds these at boot).
  const writes: FlashWrite[] = [];
  const storage = u.storage;
  const write = storage.write.bind(storage);
  storage.write = (name: unknown, data: unknown, offset?: unknown, size?: unknown): boolean => {
    writes.push({ name: String(name), offset: Number(offset ?? 0), length: toBytes(data).length, t: u.clock.now, real: performance.now() });
    return write(name, data, offset, size);
  };
  u.boot();
  // ... and the interpreter's JSON.parse (a fresh sandbox per boot).
  const parsed: number[] = [];
  const json = u.sandbox!.evaluate('JSON') as { parse: (text: unknown, reviver?: unknown) => unknown };
  const parse = json.parse;
  json.parse = (text: unknown, reviver?: unknown) => {
    parsed.push(typeof text === 'string' ? text.length : -1);
    return parse.call(json, text, reviver);
  };

  const startedAt = u.clock.now;
  const holds = (v: number) => u.http.log.some((x) => x.path === SYNC_PATH && x.body.indexOf('"list_version":' + v + ',') >= 0);
  const announced = () => {
    for (const x of u.http.log) {
      const m = x.path === SYNC_PATH && x.responseBody ? /"list":\{"kind":"fetch","version":(\d+),"bytes":(\d+)/.exec(x.responseBody) : null;
      if (m) return { version: Number(m[1]), bytes: Number(m[2]) };
    }
    return null;
  };
  const ok = await u.until(() => {
    const a = announced();
    return a !== null && holds(a.version);
  }, 120_000, 100);
  assert.ok(ok, 'the unit reports holding the announced list; console: ' + u.consoleLines.slice(-5).join(' | '));
  const a = announced()!;

  // On the wire: a small sync answer announcing the list, then one signed download of the raw text.
  const syncAnswers = u.http.log.filter((x) => x.path === SYNC_PATH && x.outcome === 'ok').map((x) => (x.responseBody || '').length);
  assert.ok(Math.max(...syncAnswers) < 4096, 'sync answers stay small: ' + Math.max(...syncAnswers));
  const downloads = u.http.log.filter((x) => x.path === LIST_PATH);
  assert.is(downloads.length, 1, 'one download');
  const dl = downloads[0];
  assert.is(dl.status, 200);
  assert.is((dl.responseBody || '').length, a.bytes);
  const req = JSON.parse(dl.body) as { machine: string; counter: number; version: number };
  assert.equal(Object.keys(req).sort(), ['counter', 'machine', 'version']);
  assert.is(req.version, a.version);
  assert.ok(a.bytes > 100_000, 'a list of ' + a.bytes + ' bytes');

  // In flash: the slot's text file is exactly the download, written in network-sized chunks.
  const text = dl.responseBody!;
  const slotFile = ['fgla', 'fglb'].find((n) => storage.text(n) === text);
  assert.ok(slotFile, 'a slot holds the downloaded text');
  const slotWrites = writes.filter((w) => w.name === slotFile);
  assert.is(slotWrites.length, Math.ceil(a.bytes / HTTP_CHUNK), 'one flash write per network chunk');
  let at = 0;
  for (const w of slotWrites) {
    assert.is(w.offset, at);
    at += w.length;
  }
  const firmwareWrites = writes;
  const largestWrite = Math.max(...firmwareWrites.map((w) => w.length));
  const largestParse = Math.max(...parsed);
  assert.ok(largestWrite <= 4096, 'largest Storage.write ' + largestWrite + ' bytes');
  assert.ok(largestParse < 4096, 'largest JSON.parse input ' + largestParse + ' characters');
  assert.ok(!firmwareWrites.some((w) => w.length >= a.bytes / 10), 'no list-sized string written');

  // Names stay in flash, name i at i*16 of the names file.
  const names = storage.text(slotFile + 'n')!;
  assert.is(names.length, (COUNT) * NAME_WIDTH);
  const list = (decodeList(text, sha256Hex) as { ok: true; value: AuthList }).value;
  const i = findFob(list, Number(fobOf(2500)));
  assert.ok(i >= 0);
  assert.is(names.substring(i * NAME_WIDTH, (i + 1) * NAME_WIDTH).trim(), 'Member2500');
  assert.is(nameAt(list, i), 'Member2500');

  // The member at the machine: decided locally, no request between the last bit and the relay.
  const ins = await u.insertFob(fobOf(2500));
  await u.advance(100);
  assert.ok(u.relay, 'relay on');
  assert.is(u.lcdText, 'Welcome,\nMember2500');
  const on = u.writesAfter(u.board.relay, ins.lastBitSeq).find((w) => w.value === 1)!;
  assert.equal(u.http.log.filter((x) => x.seq > ins.lastBitSeq && x.seq < on.seq), [], 'no HTTP request in between');
  await u.removeFob();
  await u.advance(10);
  assert.not.ok(u.relay);
  await u.insertFob('0000999999');
  await u.advance(100);
  assert.not.ok(u.relay);
  assert.is(u.lcdLines[0].trim(), 'Unknown RFID');
  await u.removeFob();

  const pointer = writes.filter((w) => w.name.indexOf('fglp') === 0)[0];
  const pointerAt = pointer.t;
  const bytesPerMember = listMemoryBytes(list) / list.count;
  console.log('  size: list ' + a.bytes + ' bytes for ' + list.count + ' fobs (' + (a.bytes / list.count).toFixed(1) + ' bytes per member of text), sync answer at most ' + Math.max(...syncAnswers) + ' bytes');
  console.log('  size: download ' + slotWrites.length + ' chunks of <= ' + HTTP_CHUNK + ' bytes; largest Storage.write ' + largestWrite + ' bytes, largest JSON.parse input ' + largestParse + ' chars');
  console.log('  size: download sent at ' + (dl.t - startedAt) + ' ms, list in force at ' + (pointerAt - startedAt) + ' ms simulated (' + (pointerAt - dl.t) + ' ms from request to switch: the simulated clock waits for host I/O), ' + (pointer.real - dl.real).toFixed(0) + ' ms real from request to switch (server, loopback, flash writes, verification)');
  console.log('  size: RAM for the list ' + listMemoryBytes(list) + ' bytes = ' + bytesPerMember + ' bytes per member (typed arrays); names file ' + names.length + ' bytes in flash');
  assert.is(bytesPerMember, 5);
  healthy(u);

  // A power cycle: the downloaded list is in force again at boot, no new download.
  u.powerCycle();
  await u.advance(2000);
  await u.insertFob(fobOf(4999));
  await u.advance(100);
  assert.ok(u.relay);
  assert.is(u.lcdText, 'Welcome,\nMember4999');
  await u.removeFob();
  await u.advance(6000);
  assert.is(u.http.log.filter((x) => x.path === LIST_PATH).length, 1, 'no second download after the reboot');
  healthy(u);
});

test('a download altered in transit is refused and reported, the held list stays in force, and the retry applies', async () => {
  const u = unit!;
  const heldVersion = () => {
    const last = u.http.log.filter((x) => x.path === SYNC_PATH).pop();
    const m = last ? /"list_version":(\d+),/.exec(last.body) : null;
    return m ? Number(m[1]) : -1;
  };
  const before = heldVersion();
  assert.ok(before > 0);
  // A newer version the server can only send whole: the unit is offline while the members change
  // and the server restarts (its kept versions, the bases of deltas, are gone; the harness starts
  // it with its original members again, which is one more new version).
  u.http.online = false;
  // (5,000 members are more than PUT /api/admin/users takes in one body: reload users.json instead)
  writeFileSync(join(server.dir, 'users.json'), JSON.stringify(MEMBERS.slice(0, COUNT - 1)));
  const reload = await server.admin('POST', '/api/reload-users');
  assert.is(reload.status, 200, JSON.stringify(reload.json));
  await server.stop();
  await server.start();
  let altered = 0;
  u.http.hook = (ex, res) => {
    if (ex.path !== LIST_PATH || res.status !== 200) return res;
    altered++;
    const i = Math.floor(res.body.length * 0.4);
    return { ...res, body: res.body.substring(0, i) + (res.body.charAt(i) === 'A' ? 'B' : 'A') + res.body.substring(i + 1) };
  };
  u.http.online = true;
  const downloads = () => u.http.log.filter((x) => x.path === LIST_PATH).length;
  const n = downloads();
  assert.ok(await u.until(() => altered >= 1 && u.http.log.filter((x) => x.path === SYNC_PATH && x.outcome === 'ok').length > 0 && downloads() > n, 60_000, 100));
  await u.advance(200);
  assert.is(heldVersion(), before, 'still on the held list');
  await u.insertFob(fobOf(10));
  await u.advance(100);
  assert.ok(u.relay, 'the held list decides');
  assert.is(u.lcdText, 'Welcome,\nMember10');
  await u.removeFob();
  u.http.hook = null;
  assert.ok(await u.until(() => heldVersion() > before, 120_000, 100), 'the retried download applies');
  const rejected = (await server.events('lathe')).filter((e) => e.type === 'list_rejected');
  assert.is(rejected.length, 1, 'reported once: ' + JSON.stringify(rejected.map((e) => [e.reason, e.detail])));
  assert.is(rejected[0].reason, 'LIST_DIGEST');
  const applied = (await server.events('lathe')).filter((e) => e.type === 'list_applied');
  assert.ok(applied.length >= 2);
  console.log('  size: altered download refused after ' + altered + ' attempt(s); the retry applied v' + heldVersion() + ' after ' + (downloads() - n) + ' downloads');
  healthy(u);
});

test('a power cut in the middle of a download: after the reboot the held list is in force, then the download completes', async () => {
  const u = unit!;
  const heldVersion = () => {
    const last = u.http.log.filter((x) => x.path === SYNC_PATH).pop();
    const m = last ? /"list_version":(\d+),/.exec(last.body) : null;
    return m ? Number(m[1]) : -1;
  };
  const before = heldVersion();
  u.http.online = false;
  writeFileSync(join(server.dir, 'users.json'), JSON.stringify(MEMBERS.slice(0, COUNT - 2)));
  const reload = await server.admin('POST', '/api/reload-users');
  assert.is(reload.status, 200, JSON.stringify(reload.json));
  await server.stop();
  await server.start();
  const boots = u.boots.length;
  // 100 bytes into the first chunk written to a slot's text file, the power goes
  u.cutPowerDuringWrite(/^fgl[ab]$/, 100);
  u.http.online = true;
  assert.ok(await u.until(() => u.boots.length > boots, 60_000, 100), 'the unit lost power during the download');
  const afterBoot = u.http.log.length;
  assert.ok(await u.until(() => u.http.log.slice(afterBoot).some((x) => x.path === SYNC_PATH), 30_000, 100));
  const first = u.http.log.slice(afterBoot).find((x) => x.path === SYNC_PATH)!;
  assert.ok(first.body.indexOf('"list_version":' + before + ',') >= 0, 'the held list is in force after the reboot');
  await u.insertFob(fobOf(20));
  await u.advance(100);
  assert.ok(u.relay);
  assert.is(u.lcdText, 'Welcome,\nMember20');
  await u.removeFob();
  assert.ok(await u.until(() => heldVersion() > before, 120_000, 100), 'the download completes after the reboot');
  await u.insertFob(fobOf(20));
  await u.advance(100);
  assert.ok(u.relay, 'the new list decides');
  await u.removeFob();
  const rejected = (await server.events('lathe')).filter((e) => e.type === 'list_rejected');
  assert.is(rejected.length, 1, 'a power cut is not a rejected list (only the altered download of the previous test)');
  healthy(u);
});

test.run();
