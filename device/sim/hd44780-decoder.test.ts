// Tests of the LCD model: byte streams a PCF8574 backpack receives are decoded into the glass text,
// including the power-on 8-bit state, the 4-bit switch, addressing, and the drivers' real output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Hd44780 } from '../src/drivers/hd44780.js';
import { SimClock } from './clock.js';
import { Hd44780Model, PCF_BACKLIGHT, PCF_EN, PCF_RS } from './hd44780-decoder.js';

/** Bytes for one nibble strobe: [n|E, n] with the backlight on. */
function nib(n: number, rs: number): number[] {
  const b = ((n & 0xf) << 4) | PCF_BACKLIGHT | (rs ? PCF_RS : 0);
  return [b | PCF_EN, b];
}
function cmd(c: number): number[] {
  return [...nib(c >> 4, 0), ...nib(c, 0)];
}
function data(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(...nib(ch.charCodeAt(0) >> 4, 1), ...nib(ch.charCodeAt(0), 1));
  return out;
}
function feed(lcd: Hd44780Model, bytes: number[]): void {
  for (const b of bytes) lcd.writePort(b);
}
const INIT = [...nib(3, 0), ...nib(3, 0), ...nib(3, 0), ...nib(2, 0), ...cmd(0x28), ...cmd(0x08), ...cmd(0x01), ...cmd(0x06), ...cmd(0x0c)];

test('the datasheet init sequence ends in 4-bit, two-line mode with the display on and blank', () => {
  const lcd = new Hd44780Model();
  assert.ok(lcd.eightBit, 'powers up in 8-bit mode');
  feed(lcd, INIT);
  assert.not.ok(lcd.eightBit);
  assert.ok(lcd.twoLines);
  assert.ok(lcd.displayOn);
  assert.ok(lcd.backlight);
  assert.is(lcd.text(), '\n');
});

test('text written at line addresses shows on the right line; nothing is latched without an enable edge', () => {
  const lcd = new Hd44780Model();
  feed(lcd, INIT);
  feed(lcd, [...cmd(0x80), ...data('Welcome,')]);
  feed(lcd, [...cmd(0xc0), ...data('Ada')]);
  assert.equal([lcd.line(0), lcd.line(1)], ['Welcome,        ', 'Ada             ']);
  // Bytes without the enable bit change nothing.
  feed(lcd, [0x48 | PCF_BACKLIGHT | PCF_RS, 0x08]);
  assert.is(lcd.text(), 'Welcome,\nAda');
});

test('clear, home and an address in the middle of a line; display off hides the text', () => {
  const lcd = new Hd44780Model();
  feed(lcd, INIT);
  feed(lcd, [...cmd(0x80), ...data('ABCDEFGHIJKLMNOP')]);
  feed(lcd, [...cmd(0x85), ...data('xy')]);
  assert.is(lcd.line(0), 'ABCDExyHIJKLMNOP');
  feed(lcd, [...cmd(0x02), ...data('Z')]);
  assert.is(lcd.line(0), 'ZBCDExyHIJKLMNOP');
  feed(lcd, cmd(0x08));
  assert.is(lcd.line(0), ' '.repeat(16));
  feed(lcd, [...cmd(0x0c), ...cmd(0x01)]);
  assert.is(lcd.text(), '\n');
});

test('without the 4-bit switch every strobe is a whole (8-bit) instruction', () => {
  const lcd = new Hd44780Model();
  feed(lcd, [...nib(3, 0), ...nib(0, 0), ...nib(0x0, 0)]);
  assert.ok(lcd.eightBit);
  assert.ok(lcd.initialised);
  assert.is(lcd.executed.length, 3);
  assert.equal(lcd.executed[0], [0, 0x30]);
});

test('a read strobe (RW set) is reported as an anomaly', () => {
  const lcd = new Hd44780Model();
  feed(lcd, [0x02 | PCF_EN, 0x02]);
  assert.is(lcd.anomalies.length, 1);
});

test("the unit's HD44780 driver, byte for byte, produces the text it was asked to show", async () => {
  const clock = new SimClock();
  const lcd = new Hd44780Model();
  const timers = {
    setTimeout: (cb: () => void, ms: number) => clock.setTimer(cb, ms, false, 'firmware'),
    clearTimeout: (id: number) => { clock.clearTimer(id); },
    setInterval: (cb: () => void, ms: number) => clock.setTimer(cb, ms, true, 'firmware'),
    clearInterval: (id: number) => { clock.clearTimer(id); },
  };
  const drv = new Hd44780((bytes) => { for (const b of Array.from(bytes)) lcd.writePort(b); }, timers);
  drv.setup();
  drv.show('Welcome,', 'Grace Hopper');
  await clock.advance(20);
  assert.is(lcd.text(), 'Welcome,\nGrace Hopper');
  drv.show('Welcome,', 'Ada');
  assert.is(lcd.text(), 'Welcome,\nAda');
  assert.equal(lcd.anomalies, []);
});

test.run();
