// Board config: reference pins by default, every field validated, secrets never echoed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readBoardConfig, parseServerUrl, DEFAULT_PINS } from './board-config.js';
import { config, KEY } from '../test/fake-hal.js';

test('a minimal config gets the reference pins, address and sync interval', () => {
  const r = readBoardConfig(config());
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.value.pins, DEFAULT_PINS);
  assert.is(r.value.i2c_address, 0x27);
  assert.is(r.value.sync_interval_s, 5);
  assert.equal(r.value.server, { host: '127.0.0.1', port: 8080, base: '' });
  assert.is(r.value.key, KEY);
  assert.is(r.value.relay_active_low, false);
  assert.is(r.value.reader_bits, 0, 'auto by default');
});

test('active-low relay boards are a config flag', () => {
  const r = readBoardConfig(config({ relay_active_low: true }));
  assert.ok(r.ok && r.value.relay_active_low === true);
  const bad = readBoardConfig(config({ relay_active_low: 'yes' }));
  assert.ok(!bad.ok && bad.error.indexOf('relay_active_low') >= 0);
});

test('pins can be overridden or left out (null) where the part is optional', () => {
  const r = readBoardConfig(config({ pins: { relay: 25, second_relay: null, lcd_sda: null, lcd_scl: null } }));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.value.pins.relay, 25);
  assert.is(r.value.pins.second_relay, null);
  assert.is(r.value.pins.wiegand_d0, 16);
});

test('missing or corrupt config is an error, never a throw', () => {
  assert.equal(readBoardConfig(undefined), { ok: false, error: 'fobgate.json: no config file in Storage' });
  assert.equal(readBoardConfig('{"machine": "lat'), { ok: false, error: 'fobgate.json: not valid JSON' });
  assert.is(readBoardConfig('[]').ok, false);
  assert.is(readBoardConfig('null').ok, false);
  assert.is(readBoardConfig('\xff\xff\xff').ok, false);
});

test('each bad field is named', () => {
  const cases: [object, string][] = [
    [{ machine: 'Lathe 1' }, 'machine'],
    [{ server_url: 'https://x' }, 'server_url'],
    [{ key: 'abc' }, 'key'],
    [{ wifi: { ssid: '' } }, 'wifi'],
    [{ wifi: null }, 'wifi'],
    [{ profile: 'pico' }, 'profile'],
    [{ pins: { relay: 7 } }, 'pins/relay'],
    [{ pins: { relay: 16 } }, 'pins/relay'],
    [{ pins: { relay: null } }, 'pins/relay'],
    [{ pins: { buzzer: 3 } }, 'pins/buzzer'],
    [{ pins: { lcd_sda: null } }, 'lcd_sda'],
    [{ i2c_address: 300 }, 'i2c_address'],
    [{ sync_interval_s: 0 }, 'sync_interval_s'],
  ];
  for (const c of cases) {
    const r = readBoardConfig(config(c[0]));
    assert.is(r.ok, false, JSON.stringify(c[0]));
    if (!r.ok) assert.ok(r.error.indexOf(c[1]) >= 0, r.error);
  }
});

test('the host profile needs no Wi-Fi', () => {
  const r = readBoardConfig(config({ profile: 'host', wifi: null }));
  assert.ok(r.ok);
});

test('secrets never appear in error messages', () => {
  const secretKey = 'Z'.repeat(64);
  const r = readBoardConfig(config({ key: secretKey, wifi: { ssid: 'space', password: 'hunter22' } }));
  assert.is(r.ok, false);
  if (!r.ok) {
    assert.ok(r.error.indexOf(secretKey) < 0);
    assert.ok(r.error.indexOf('hunter22') < 0);
  }
  const w = readBoardConfig(config({ wifi: { ssid: 'space', password: 42 } }));
  assert.is(w.ok, false);
});

test('server URLs', () => {
  assert.equal(parseServerUrl('http://fobgate.local'), { host: 'fobgate.local', port: 80, base: '' });
  assert.equal(parseServerUrl('http://10.0.0.2:3000/gate/'), { host: '10.0.0.2', port: 3000, base: '/gate' });
  assert.is(parseServerUrl('http://x:99999'), null);
  assert.is(parseServerUrl('ftp://x'), null);
  assert.is(parseServerUrl('http://'), null);
  assert.is(parseServerUrl('http://host:'), null);
  assert.is(parseServerUrl('http://a b:80'), null);
  assert.is(parseServerUrl('http://h:8o'), null);
  assert.is(parseServerUrl('http://h/x?y=1'), null);
});

test('reader_bits: 26, 34 or "auto"; anything else is refused by name', () => {
  for (const [v, want] of [[26, 26], [34, 34], ['auto', 0]] as const) {
    const r = readBoardConfig(config({ reader_bits: v }));
    assert.ok(r.ok && r.value.reader_bits === want, JSON.stringify(r));
  }
  for (const v of [24, '26', null, true]) {
    const r = readBoardConfig(config({ reader_bits: v }));
    assert.ok(!r.ok && /reader_bits: must be 26, 34 or "auto"/.test(r.error), JSON.stringify(r));
  }
});

test.run();
