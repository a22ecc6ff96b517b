// WS2812 status LED: colour floats and brightness to GRB bytes, change-only writes, failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusLed } from './ws2812.js';

function rig(brightness: number, count?: number) {
  const writes: Array<{ pin: number; grb: number[] }> = [];
  let broken = false;
  const led = new StatusLed((pin, grb) => {
    if (broken) throw new Error('neopixel failed');
    const copy: number[] = [];
    for (let i = 0; i < grb.length; i++) copy.push(grb[i]);
    writes.push({ pin: pin, grb: copy });
  }, count === undefined ? { pin: 27, brightness: brightness } : { pin: 27, brightness: brightness, count: count });
  return { led, writes, breakIt: () => { broken = true; } };
}

test('setup writes off; colours go out in GRB order scaled by brightness', () => {
  const r = rig(1);
  r.led.setup();
  assert.equal(r.writes, [{ pin: 27, grb: [0, 0, 0] }]);
  r.led.set(1, 0, 0);
  assert.equal(r.writes[1].grb, [0, 255, 0]);
  r.led.set(0, 1, 0.5);
  assert.equal(r.writes[2].grb, [255, 0, 128]);
});

test('brightness scales and values are clamped (NaN and negatives are 0)', () => {
  const r = rig(0.2);
  r.led.setup();
  r.led.set(1, 2, -1);
  assert.equal(r.led.grb(), [51, 51, 0]);
  r.led.set(NaN, 0.5, 1);
  assert.equal(r.led.grb(), [26, 0, 51]);
  const over = rig(7);
  over.led.set(1, 1, 1);
  assert.equal(over.led.grb(), [255, 255, 255]);
});

test('an unchanged colour is not rewritten', () => {
  const r = rig(1);
  r.led.setup();
  r.led.set(0, 1, 0);
  r.led.set(0, 1, 0);
  assert.is(r.writes.length, 2);
});

test('a chain of LEDs all get the colour', () => {
  const r = rig(1, 2);
  r.led.set(0, 0, 1);
  assert.equal(r.writes[0].grb, [0, 0, 255, 0, 0, 255]);
});

test('a throwing writer marks the LED failed and never throws', () => {
  const r = rig(1);
  r.led.setup();
  r.breakIt();
  r.led.set(1, 1, 1);
  assert.is(r.led.failed, true);
  r.led.set(0, 0, 1);
  assert.match(r.led.describe(), /FAILED/);
});

test.run();
