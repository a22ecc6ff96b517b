// HD44780-over-PCF8574 driver: the exact bytes of the init sequence and of short texts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeTime } from '../../test/fake-pins-clock.js';
import { Hd44780, lcdText } from './hd44780.js';
import { connectPcf8574, PCF8574_DEFAULT_ADDRESS } from './pcf8574.js';

interface Sent {
  addr: number;
  bytes: number[];
  at: number;
}

function rig() {
  const time = new FakeTime();
  const sent: Sent[] = [];
  let broken = false;
  const i2c = (addr: number, bytes: Uint8Array | number[]) => {
    if (broken) throw new Error('I2C: no ACK');
    const copy: number[] = [];
    for (let i = 0; i < bytes.length; i++) copy.push(bytes[i]);
    sent.push({ addr: addr, bytes: copy, at: time.now() });
  };
  const lcd = new Hd44780(connectPcf8574(i2c, PCF8574_DEFAULT_ADDRESS), time);
  return { time, sent, lcd, breakBus: () => { broken = true; }, fixBus: () => { broken = false; } };
}

const INIT = [
  // 0x3 nibble (8-bit mode request), then wait > 4.1 ms
  { at: 0, bytes: [0x08, 0x3c, 0x38] },
  // 0x3 again, then wait > 100 us
  { at: 5, bytes: [0x08, 0x3c, 0x38] },
  // 0x3, 0x2 (4-bit mode), function set 0x28, display off 0x08, clear 0x01; wait > 1.52 ms
  {
    at: 6,
    bytes: [0x08, 0x3c, 0x38, 0x2c, 0x28, 0x2c, 0x28, 0x8c, 0x88, 0x0c, 0x08, 0x8c, 0x88, 0x0c, 0x08, 0x1c, 0x18],
  },
  // entry mode 0x06, display on 0x0C
  { at: 8, bytes: [0x08, 0x0c, 0x08, 0x6c, 0x68, 0x0c, 0x08, 0xcc, 0xc8] },
];

function ready() {
  const r = rig();
  r.lcd.setup();
  r.time.advance(10);
  r.sent.length = 0;
  return r;
}

test('init sequence: exact bytes, address and waits', () => {
  const r = rig();
  r.lcd.setup();
  assert.is(r.lcd.isReady(), false);
  r.time.advance(20);
  assert.equal(r.sent.map((s) => ({ at: s.at, bytes: s.bytes })), INIT);
  assert.ok(r.sent.every((s) => s.addr === 0x27));
  assert.is(r.lcd.isReady(), true);
  assert.is(r.time.count(), 0, 'no timer left');
});

test('a short text: DDRAM address then data with RS set, only the changed span', () => {
  const r = ready();
  r.lcd.show('Hi', '');
  assert.equal(r.sent.map((s) => s.bytes), [[
    0x08, 0x8c, 0x88, 0x0c, 0x08, // command 0x80: row 1, column 0
    0x09, 0x4d, 0x49, 0x8d, 0x89, // 'H' 0x48 (RS settled first)
    0x6d, 0x69, 0x9d, 0x99, // 'i' 0x69
  ]]);
  r.sent.length = 0;
  r.lcd.show('Ho', 'X');
  assert.equal(r.sent.map((s) => s.bytes), [
    [0x08, 0x8c, 0x88, 0x1c, 0x18, 0x09, 0x6d, 0x69, 0xfd, 0xf9], // 0x81, 'o' 0x6F
    [0x08, 0xcc, 0xc8, 0x0c, 0x08, 0x09, 0x5d, 0x59, 0x8d, 0x89], // 0xC0 (row 2), 'X' 0x58
  ]);
});

test('the same text again writes nothing', () => {
  const r = ready();
  r.lcd.show('Welcome', 'Ada');
  const n = r.sent.length;
  r.lcd.show('Welcome', 'Ada');
  r.lcd.show('Welcome        ', 'Ada   ');
  assert.is(r.sent.length, n);
});

test('text shown while starting appears once the display is ready', () => {
  const r = rig();
  r.lcd.setup();
  r.lcd.show('A', '');
  assert.is(r.sent.length, 1);
  r.time.advance(10);
  assert.equal(r.sent[r.sent.length - 1].bytes, [0x08, 0x8c, 0x88, 0x0c, 0x08, 0x09, 0x4d, 0x49, 0x1d, 0x19]);
  assert.equal(r.lcd.lines(), ['A'.padEnd(16), ' '.repeat(16)]);
});

test('lcdText pads, truncates and replaces non-ASCII', () => {
  assert.is(lcdText(''), ' '.repeat(16));
  assert.is(lcdText('0123456789abcdefXYZ'), '0123456789abcdef');
  assert.is(lcdText('Zoë\tA~'), 'Zo??A?' + ' '.repeat(10));
});

test('a dead bus marks the driver failed; nothing throws and writes stop', () => {
  const r = rig();
  r.breakBus();
  r.lcd.setup();
  assert.is(r.lcd.failed, true);
  r.time.advance(20);
  r.lcd.show('still', 'fine');
  assert.is(r.sent.length, 0);
  assert.equal(r.lcd.lines(), ['still'.padEnd(16), 'fine'.padEnd(16)]);
  assert.match(r.lcd.describe(), /FAILED/);
  assert.is(r.time.count(), 0);
});

test('failing after init: marked failed, later shows are ignored, setup again recovers', () => {
  const r = ready();
  r.breakBus();
  r.lcd.show('x', '');
  assert.is(r.lcd.failed, true);
  r.lcd.show('y', 'z');
  assert.is(r.sent.length, 0);
  r.fixBus();
  r.lcd.setup();
  r.time.advance(10);
  assert.is(r.lcd.failed, false);
  assert.is(r.lcd.isReady(), true);
  // the whole wanted text is written again after a re-init
  assert.is(r.sent.length, INIT.length + 2);
  assert.equal(r.sent[INIT.length].bytes.slice(0, 5), [0x08, 0x8c, 0x88, 0x0c, 0x08]); // row 1
  assert.equal(r.sent[INIT.length + 1].bytes.slice(0, 5), [0x08, 0xcc, 0xc8, 0x0c, 0x08]); // row 2
});

test('connectPcf8574 passes its address and the bytes through', () => {
  const calls: Array<[number, number[]]> = [];
  const w = connectPcf8574((a, b) => calls.push([a, Array.prototype.slice.call(b) as number[]]), 0x3f);
  w([1, 2, 3]);
  assert.equal(calls, [[0x3f, [1, 2, 3]]]);
});

test.run();
