// A relay on one output pin: off at setup, set(on), and the state it was last told.
import type { OutputPin } from '../hal.js';
import type { Driver } from './driver.js';

export interface RelayOptions {
  /** A short name for describe(), e.g. "relay" or "second relay". */
  name: string;
  /** True when the relay board switches on with the pin LOW. */
  activeLow: boolean;
}

export class Relay implements Driver {
  failed = false;
  private on = false;
  private readonly pin: OutputPin;
  private readonly opts: RelayOptions;

  constructor(pin: OutputPin, opts: RelayOptions) {
    this.pin = pin;
    this.opts = opts;
    if (pin.refused) this.failed = true;
  }

  setup(): void {
    this.set(false);
  }

  /**
   * Switches the relay; the state is remembered even if the pin write failed. A pin that failed
   * (refused at setup, or a write threw) is not written again: a pin write never throws twice.
   */
  set(on: boolean): void {
    this.on = on;
    if (this.failed) return;
    try {
      this.pin.write(this.opts.activeLow ? !on : on);
    } catch (e) {
      this.failed = true;
    }
  }

  isOn(): boolean {
    return this.on;
  }

  describe(): string {
    return this.opts.name + ': ' + (this.on ? 'on' : 'off') + (this.opts.activeLow ? ' (active low)' : '') + (this.failed ? ', FAILED' : '');
  }
}
