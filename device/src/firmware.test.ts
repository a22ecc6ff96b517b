// Starting the firmware: no or bad config shows `Not configured` (relays off, no crash, no
// secret printed) and the unit starts once a valid config appears; host profile; FG_INFO().
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFirmware, NOT_CONFIGURED, CONFIG_RETRY_MS } from './firmware.js';
import { CONFIG_FILE, DEFAULT_PINS } from './board-config.js';
import { infoLine, installInfo, PROGRAM_FILE } from './flash-digests.js';
import { FW_VERSION } from './version.js';
import { Hd44780Model } from '../sim/hd44780-decoder.js';
import { makeRig, config, FakeStore, KEY } from '../test/fake-hal.js';
import type { FakeRig } from '../test/fake-hal.js';

/** What the LCD glass shows, decoded from every byte written to the PCF8574. */
function glass(rig: FakeRig): string {
  const m = new Hd44780Model();
  m.powerOn();
  for (const w of rig.board.i2cWrites) for (let i = 1; i < w.length; i++) m.writePort(w[i]);
  return m.line(0).trim() + '|' + m.line(1).trim();
}

test('no config: relays off, `Not configured` on the LCD, waits without crashing', () => {
  const rig = makeRig();
  const fw = startFirmware(rig.platform);
  rig.time.advance(50);
  assert.is(fw.unit(), null);
  assert.is(rig.board.outputs[DEFAULT_PINS.relay].last(), false);
  assert.is(rig.board.outputs[DEFAULT_PINS.second_relay as number].last(), false);
  assert.ok(glass(rig).indexOf(NOT_CONFIGURED) === 0, glass(rig));
  assert.ok(rig.logs.some((l) => l.indexOf('no config file') >= 0));
  rig.time.advance(CONFIG_RETRY_MS * 3);
  assert.is(rig.http.requests.length, 0);
  fw.stop();
  assert.is(rig.time.count(), 0, 'no timer left behind');
});

test('a corrupt config is reported by field, without the key or password', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config({ key: 'not-a-key', wifi: { ssid: 'space', password: 'hunter22' } });
  const rig = makeRig(store);
  const fw = startFirmware(rig.platform);
  rig.time.advance(50);
  assert.is(fw.unit(), null);
  assert.ok(fw.problem().indexOf('key') >= 0);
  const all = rig.logs.join('\n');
  assert.ok(all.indexOf('hunter22') < 0 && all.indexOf('not-a-key') < 0);
  store.files[CONFIG_FILE] = '{"machine":';
  rig.time.advance(CONFIG_RETRY_MS);
  assert.is(fw.unit(), null);
  fw.stop();
});

test('a damaged config of an active-low board keeps its relays off (pins driven HIGH)', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config({ key: 'short', relay_active_low: true, pins: { relay: 25, second_relay: null } });
  const rig = makeRig(store);
  const fw = startFirmware(rig.platform);
  assert.is(fw.unit(), null);
  assert.is(rig.board.outputs[25].last(), true);
  assert.is(rig.board.outputs[DEFAULT_PINS.relay], undefined, 'the reference relay pin is not touched');
  fw.stop();
});

test('once a valid config is flashed the unit starts by itself', () => {
  const store = new FakeStore();
  const rig = makeRig(store);
  const fw = startFirmware(rig.platform);
  rig.time.advance(100);
  assert.is(fw.unit(), null);
  store.files[CONFIG_FILE] = config();
  rig.time.advance(CONFIG_RETRY_MS);
  assert.ok(fw.unit());
  rig.time.advance(1);
  assert.ok(rig.http.requests.length >= 1, 'first sync sent');
  assert.ok(rig.logs.every((l) => l.indexOf(KEY) < 0 && l.indexOf('hunter22') < 0), 'no secret on the console');
  fw.stop();
});

test('host profile: pins inert, no Wi-Fi needed, the unit still syncs', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config({ profile: 'host', wifi: null });
  const rig = makeRig(store);
  rig.platform.wifi = null;
  const fw = startFirmware(rig.platform);
  rig.time.advance(1);
  assert.ok(fw.unit());
  assert.is(Object.keys(rig.board.outputs).length, 0, 'no real pin touched');
  assert.ok(rig.http.requests.length >= 1);
  fw.stop();
});

test('a missing built-in module is reported and only degrades its function', () => {
  const store = new FakeStore();
  store.files[CONFIG_FILE] = config();
  const rig = makeRig(store);
  rig.platform.problems.push('module neopixel missing: no status LED');
  rig.platform.hal.neopixel = null;
  rig.platform.wifi = null;
  const fw = startFirmware(rig.platform);
  const unit = fw.unit()!;
  assert.ok(unit);
  rig.time.advance(1);
  const errors = rig.http.lastBody().events.filter((e: { type: string }) => e.type === 'error').map((e: { detail: string }) => e.detail);
  assert.ok(errors.indexOf('module neopixel missing: no status LED') >= 0, JSON.stringify(errors));
  assert.ok(errors.indexOf('module Wifi missing: network assumed up') >= 0);
  fw.stop();
});

test('FG_INFO() prints the digests of the program and the config, and the version', () => {
  const store = new FakeStore();
  store.files[PROGRAM_FILE] = 'print("hi")';
  store.files[CONFIG_FILE] = config();
  const rig = makeRig(store);
  const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
  const line = infoLine(store, rig.platform.sha256);
  assert.is(line, 'FGINFO ' + JSON.stringify({ fw: sha('print("hi")'), cfg: sha(config()), version: FW_VERSION }));
  const printed: string[] = [];
  installInfo(store, rig.platform.sha256, (l) => printed.push(l));
  (globalThis as unknown as { FG_INFO: () => void }).FG_INFO();
  assert.equal(printed, [line]);
  delete (globalThis as unknown as { FG_INFO?: unknown }).FG_INFO;
});

test('FG_INFO() reports an empty digest for a file that is not in flash', () => {
  const store = new FakeStore();
  const rig = makeRig(store);
  const info = JSON.parse(infoLine(store, rig.platform.sha256).substring('FGINFO '.length));
  assert.equal(info, { fw: '', cfg: '', version: FW_VERSION });
});

test('firmware sources use no regular expressions (the interpreter lacks ?, {n,m} and quantified groups)', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  assert.ok(files.length > 10);
  for (const f of files) {
    const src = readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    assert.ok(!/new RegExp|\.test\(|\.exec\(|=\s*\/[^/*]|\(\/[^/*]/.test(src), f + ' uses a RegExp');
  }
});

test.run();
