// Tests of the simulated GPIO: modes and pulls, writes, and setWatch edge/debounce/repeat semantics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimClock } from './clock.js';
import { PinBank, pinNumber } from './pins.js';

function bank(): { clock: SimClock; pins: PinBank } {
  const clock = new SimClock();
  return { clock, pins: new PinBank(clock) };
}

test('pin references: numbers, D-strings and pin-like objects; bad ones are -1', () => {
  assert.is(pinNumber(16), 16);
  assert.is(pinNumber('D33'), 33);
  assert.is(pinNumber({ valueOf: () => 5 }), 5);
  assert.is(pinNumber(40), -1);
  assert.is(pinNumber('X1'), -1);
  assert.is(pinNumber(1.5), -1);
});

test('pull-up reads 1 when nothing drives the pin; outside drive and output writes win', () => {
  const { pins } = bank();
  pins.pinMode(32, 'input_pullup');
  assert.is(pins.digitalRead(32), 1);
  pins.drive(32, 0);
  assert.is(pins.digitalRead(32), 0);
  pins.digitalWrite(33, 1);
  assert.ok(pins.isOutput(33));
  assert.is(pins.level(33), 1);
  assert.is(pins.writes.length, 1);
  assert.is(pins.writes[0].pin, 33);
});

test('digitalWrite of a pin array writes the bits MSB first; digitalRead reads them back', () => {
  const { pins } = bank();
  for (const p of [1, 2, 3]) pins.pinMode(p, 'output');
  pins.digitalWrite([1, 2, 3], 0b101);
  assert.equal([pins.level(1), pins.level(2), pins.level(3)], [1, 0, 1]);
  assert.is(pins.digitalRead([1, 2, 3]), 0b101);
});

test('digitalRead of a pin whose mode was set automatically turns it into an input (as Espruino does)', () => {
  const { pins } = bank();
  pins.digitalWrite(25, 1);
  assert.is(pins.digitalRead(25), 0);
  assert.is(pins.mode(25), 'input');
});

test('invalid pins and modes throw', () => {
  const { pins } = bank();
  assert.throws(() => pins.digitalWrite(99, 1), /invalid pin/);
  assert.throws(() => pins.pinMode(4, 'sideways'), /unknown pin mode/);
  assert.throws(() => pins.setWatch(() => {}, 7, { repeat: true }), /flash/);
  assert.throws(() => pins.clearWatch(1234), /Unknown Watch 1234/);
});

test('falling-edge watch fires on each falling edge with state, time and lastTime, queued not inline', async () => {
  const { clock, pins } = bank();
  pins.drive(16, 1);
  const got: Array<{ state: boolean; time: number; lastTime: number }> = [];
  pins.setWatch((e: { state: boolean; time: number; lastTime: number }) => got.push(e), 16, { repeat: true, edge: 'falling', debounce: 0 });
  await clock.advance(10);
  pins.drive(16, 0);
  assert.is(got.length, 0, 'callback runs on the next idle, not inside the edge');
  await clock.flush();
  pins.drive(16, 1);
  await clock.advance(2);
  pins.drive(16, 0);
  await clock.flush();
  assert.is(got.length, 2);
  assert.is(got[0].state, false);
  assert.is(got[0].time, 0.01);
  assert.is(got[1].time, 0.012);
  assert.is(got[1].lastTime, 0.01);
});

test('a watch without repeat fires once and is gone', async () => {
  const { clock, pins } = bank();
  let n = 0;
  pins.setWatch(() => n++, 4, { edge: 'rising' });
  pins.drive(4, 1);
  pins.drive(4, 0);
  pins.drive(4, 1);
  await clock.flush();
  assert.is(n, 1);
  assert.is(pins.watchCount(4), 0);
});

test('debounce: bounces shorter than the debounce are ignored; a stable change fires once', async () => {
  const { clock, pins } = bank();
  pins.drive(32, 0);
  const states: boolean[] = [];
  pins.setWatch((e: { state: boolean }) => states.push(e.state), 32, { repeat: true, edge: 'both', debounce: 10 });
  pins.drive(32, 1);
  await clock.advance(3);
  pins.drive(32, 0);
  await clock.advance(3);
  pins.drive(32, 1);
  await clock.advance(5);
  assert.equal(states, [], 'still bouncing');
  await clock.advance(10);
  assert.equal(states, [true]);
  pins.drive(32, 0);
  await clock.advance(2);
  pins.drive(32, 1);
  await clock.advance(20);
  assert.equal(states, [true], 'a glitch back to the same level is not reported');
});

test('clearWatch() with no argument removes every watch; powerOn resets modes and keeps outside drives', () => {
  const { pins } = bank();
  pins.setWatch(() => {}, 4, { repeat: true });
  pins.setWatch(() => {}, 5, { repeat: true });
  pins.clearWatch();
  assert.is(pins.watchCount(), 0);
  pins.digitalWrite(33, 1);
  pins.drive(18, 1);
  pins.powerOn();
  assert.not.ok(pins.isOutput(33));
  assert.is(pins.level(18), 1);
});

test.run();
