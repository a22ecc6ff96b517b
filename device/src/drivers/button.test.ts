// Debounced button: the reference wiring (normally closed to ground, pull-up: pressed = HIGH).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Button, BUTTON_DEBOUNCE_MS } from './button.js';
import { FakeInputPin, FakeTime } from '../../test/fake-pins-clock.js';

function rig(idleLevel: boolean, pressedLevel: boolean) {
  const time = new FakeTime();
  const pin = new FakeInputPin(idleLevel);
  const events: string[] = [];
  const button = new Button(pin, time, {
    name: 'oops button',
    pressedLevel: pressedLevel,
    onPress: () => events.push('press'),
    onRelease: () => events.push('release'),
  });
  button.setup();
  return { time, pin, events, button };
}

test('a clean press (pin goes high) is reported after the debounce time', () => {
  const r = rig(false, true);
  r.pin.set(true, r.time.now());
  assert.equal(r.events, []);
  r.time.advance(BUTTON_DEBOUNCE_MS);
  assert.equal(r.events, ['press']);
  assert.is(r.button.isPressed(), true);
  r.pin.set(false, r.time.now());
  r.time.advance(BUTTON_DEBOUNCE_MS);
  assert.equal(r.events, ['press', 'release']);
  assert.match(r.button.describe(), /released, 1 presses/);
});

test('contact bounce gives one press', () => {
  const r = rig(false, true);
  for (let i = 0; i < 6; i++) {
    r.pin.set(i % 2 === 0, r.time.now());
    r.time.advance(2);
  }
  r.pin.set(true, r.time.now());
  r.time.advance(BUTTON_DEBOUNCE_MS + 5);
  assert.equal(r.events, ['press']);
});

test('a glitch shorter than the debounce time is ignored', () => {
  const r = rig(false, true);
  r.pin.set(true, 0);
  r.time.advance(3);
  r.pin.set(false, 3);
  r.time.advance(50);
  assert.equal(r.events, []);
  assert.is(r.time.count(), 0);
});

test('a button held at boot is not a press; normally-open wiring works with pressedLevel false', () => {
  const held = rig(true, true);
  assert.is(held.button.isPressed(), true);
  held.time.advance(100);
  assert.equal(held.events, []);
  const no = rig(true, false);
  no.pin.set(false, 0);
  no.time.advance(BUTTON_DEBOUNCE_MS);
  assert.equal(no.events, ['press']);
});

test('stop removes the watch and the debounce timer', () => {
  const r = rig(false, true);
  r.pin.set(true, 0);
  r.button.stop();
  assert.is(r.time.count(), 0);
  assert.is(r.pin.activeWatches(), 0);
  r.time.advance(100);
  assert.equal(r.events, []);
});

test.run();
