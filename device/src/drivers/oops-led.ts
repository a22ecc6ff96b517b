// The LED in the oops button: lit while the machine is oopsed, optionally blinking for attention.
import type { OutputPin, TimerId, Timers } from '../hal.js';
import type { Driver } from './driver.js';

const NO_TIMER = -1;

export class OopsLed implements Driver {
  failed = false;
  private on = false;
  private lit = false;
  private blinkTimer: TimerId = NO_TIMER;
  private readonly pin: OutputPin;
  private readonly timers: Timers;

  constructor(pin: OutputPin, timers: Timers) {
    this.pin = pin;
    this.timers = timers;
    if (pin.refused) this.failed = true;
  }

  setup(): void {
    this.set(false);
  }

  /** Steady on or off (stops any blinking). */
  set(on: boolean): void {
    this.stopBlink();
    this.on = on;
    this.drive(on);
  }

  /** Blinks with the given half-period until set() is called. */
  blink(halfPeriodMs: number): void {
    this.stopBlink();
    this.on = true;
    this.drive(true);
    this.blinkTimer = this.timers.setInterval(() => {
      this.drive(!this.lit);
    }, halfPeriodMs);
  }

  isOn(): boolean {
    return this.on;
  }

  /** Clears the blink timer (for shutdown). */
  stop(): void {
    this.stopBlink();
  }

  describe(): string {
    const mode = this.blinkTimer !== NO_TIMER ? 'blinking' : this.on ? 'on' : 'off';
    return 'oops led: ' + mode + (this.failed ? ', FAILED' : '');
  }

  private stopBlink(): void {
    if (this.blinkTimer !== NO_TIMER) this.timers.clearInterval(this.blinkTimer);
    this.blinkTimer = NO_TIMER;
  }

  private drive(lit: boolean): void {
    this.lit = lit;
    if (this.failed) return;
    try {
      this.pin.write(lit);
    } catch (e) {
      this.failed = true;
    }
  }
}
