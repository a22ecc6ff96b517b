// Relay and oops LED drivers: safe state at setup, polarity, failure handling, blink timer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeOutputPin, FakeTime } from '../../test/fake-pins-clock.js';
import { OopsLed } from './oops-led.js';
import { Relay } from './relay.js';

test('relay is driven off at setup, then follows set()', () => {
  const pin = new FakeOutputPin();
  const relay = new Relay(pin, { name: 'relay', activeLow: false });
  relay.setup();
  assert.equal(pin.writes, [false]);
  assert.is(relay.isOn(), false);
  relay.set(true);
  assert.is(relay.isOn(), true);
  assert.is(pin.last(), true);
  relay.set(false);
  assert.equal(pin.writes, [false, true, false]);
  assert.is(relay.describe(), 'relay: off');
});

test('active-low relay inverts the pin level', () => {
  const pin = new FakeOutputPin();
  const relay = new Relay(pin, { name: 'second relay', activeLow: true });
  relay.setup();
  assert.equal(pin.writes, [true]);
  relay.set(true);
  assert.equal(pin.writes, [true, false]);
  assert.is(relay.describe(), 'second relay: on (active low)');
});

test('a throwing pin marks the relay failed without throwing, and is not written again', () => {
  const pin = new FakeOutputPin();
  pin.throwOnWrite = true;
  const relay = new Relay(pin, { name: 'relay', activeLow: false });
  relay.setup();
  relay.set(true);
  relay.set(false);
  assert.is(relay.failed, true);
  assert.is(pin.attempts, 1, 'one failed write, then no more attempts');
  assert.is(relay.isOn(), false);
  assert.match(relay.describe(), /FAILED/);
});

test('a pin the board refused at setup: relay failed from the start, never written', () => {
  const pin = new FakeOutputPin();
  pin.refused = true;
  const relay = new Relay(pin, { name: 'relay', activeLow: false });
  assert.is(relay.failed, true);
  relay.setup();
  relay.set(true);
  assert.is(pin.attempts, 0);
  assert.is(relay.isOn(), true, 'the decided state is still remembered');
  assert.is(relay.describe(), 'relay: on, FAILED');
});

test('oops led: off at setup, steady on, blink on its own timer, set() stops blinking', () => {
  const time = new FakeTime();
  const pin = new FakeOutputPin();
  const led = new OopsLed(pin, time);
  led.setup();
  assert.equal(pin.writes, [false]);
  led.set(true);
  assert.is(pin.last(), true);
  led.blink(250);
  time.advance(1000);
  assert.equal(pin.writes.slice(2), [true, false, true, false, true]);
  assert.match(led.describe(), /blinking/);
  led.set(false);
  assert.is(time.count(), 0);
  assert.is(pin.last(), false);
  assert.is(led.isOn(), false);
  led.blink(100);
  led.stop();
  assert.is(time.count(), 0);
});

test('oops led with a throwing pin is marked failed and stays quiet', () => {
  const time = new FakeTime();
  const pin = new FakeOutputPin();
  pin.throwOnWrite = true;
  const led = new OopsLed(pin, time);
  led.setup();
  led.set(true);
  assert.is(led.failed, true);
  assert.is(led.isOn(), true);
  assert.is(pin.attempts, 1);
});

test('oops led on a pin the board refused: failed from the start, never written', () => {
  const time = new FakeTime();
  const pin = new FakeOutputPin();
  pin.refused = true;
  const led = new OopsLed(pin, time);
  led.setup();
  led.blink(100);
  time.advance(500);
  led.set(false);
  assert.is(led.failed, true);
  assert.is(pin.attempts, 0);
});

test.run();
