// The unit's drivers on the board's pins: relays first (off, whatever happens next), then the
// oops LED, status LED and LCD where the board has them, the Wiegand reader and the oops button,
// whose callbacks go to the tap path (unit-taps.ts).
import { Relay } from './drivers/relay.js';
import { Button } from './drivers/button.js';
import { OopsLed } from './drivers/oops-led.js';
import { StatusLed } from './drivers/ws2812.js';
import { Hd44780 } from './drivers/hd44780.js';
import { connectPcf8574 } from './drivers/pcf8574.js';
import { WiegandReader } from './drivers/wiegand.js';
import { cardRead, oopsPressed, presentChanged, readerOverrun } from './unit-taps.js';
import type { UnitContext } from './unit-context.js';

/** Builds the drivers into the unit (an absent part stays null). */
export function wireDrivers(u: UnitContext): void {
  const hal = u.hal;
  const cfg = u.cfg;
  const pins = cfg.pins;
  // Relays first: whatever happens next, they are off.
  u.relay = new Relay(hal.output(pins.relay), { name: 'relay', activeLow: cfg.relay_active_low });
  u.relay.setup();
  if (pins.second_relay !== null) {
    u.second = new Relay(hal.output(pins.second_relay), { name: 'second relay', activeLow: cfg.relay_active_low });
    u.second.setup();
  }
  if (pins.oops_led !== null) u.oopsLed = new OopsLed(hal.output(pins.oops_led), hal.timers);
  if (pins.status_led !== null && hal.neopixel) u.statusLed = new StatusLed(hal.neopixel, { pin: pins.status_led, brightness: 0.3 });
  if (pins.lcd_sda !== null && pins.lcd_scl !== null) {
    const i2c = hal.i2c(pins.lcd_sda, pins.lcd_scl, 400000);
    if (i2c) u.lcd = new Hd44780(connectPcf8574(i2c, cfg.i2c_address), hal.timers);
  }
  u.reader = new WiegandReader({
    d0: hal.input(pins.wiegand_d0, 'up'),
    d1: hal.input(pins.wiegand_d1, 'up'),
    present: hal.input(pins.card_present, 'down'),
    clock: hal.clock,
    timers: hal.timers,
    onCard: (card) => {
      cardRead(u, card);
    },
    onError: (code, message) => {
      u.event({ type: 'error', at: 0, up: 0, reason: code, detail: message });
    },
    onPresent: (present) => {
      presentChanged(u, present);
    },
    onOverrun: () => {
      readerOverrun(u);
    },
    bits: cfg.reader_bits,
  });
  u.button = new Button(hal.input(pins.oops_button, 'up'), hal.timers, {
    name: 'oops button',
    pressedLevel: true,
    onPress: () => {
      oopsPressed(u);
    },
  });
}
