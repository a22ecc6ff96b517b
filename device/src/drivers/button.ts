// A debounced push button. The reference oops button is normally closed to ground with the
// internal pull-up: idle it reads LOW, pressed (contact opens) it reads HIGH. A broken wire
// therefore reads as a press, which fails safe (the machine stops).
import type { InputPin, StopWatch, TimerId, Timers } from '../hal.js';
import type { Driver } from './driver.js';

/** How long the level must stay put before it counts. */
export const BUTTON_DEBOUNCE_MS = 10;
const NO_TIMER = -1;

export interface ButtonOptions {
  name: string;
  /** The pin level while pressed: true (HIGH) for the reference normally-closed wiring. */
  pressedLevel: boolean;
  onPress: () => void;
  /** Called when the button is let go; optional. */
  onRelease?: () => void;
  /** Debounce override in ms (default BUTTON_DEBOUNCE_MS). */
  debounceMs?: number;
}

export class Button implements Driver {
  failed = false;
  private pressed = false;
  private presses = 0;
  private timer: TimerId = NO_TIMER;
  private stopWatch: StopWatch | null = null;
  private readonly pin: InputPin;
  private readonly timers: Timers;
  private readonly opts: ButtonOptions;
  private readonly debounceMs: number;

  constructor(pin: InputPin, timers: Timers, opts: ButtonOptions) {
    this.pin = pin;
    this.timers = timers;
    this.opts = opts;
    this.debounceMs = opts.debounceMs !== undefined ? opts.debounceMs : BUTTON_DEBOUNCE_MS;
  }

  /** Takes the current level as the starting state (no press reported for a button held at boot). */
  setup(): void {
    this.stop();
    this.pressed = this.pin.read() === this.opts.pressedLevel;
    this.stopWatch = this.pin.watch(() => {
      this.onEdge();
    }, { edge: 'both', debounceMs: 0 });
  }

  isPressed(): boolean {
    return this.pressed;
  }

  /** Removes the watch and the pending debounce timer. */
  stop(): void {
    if (this.stopWatch) this.stopWatch();
    this.stopWatch = null;
    if (this.timer !== NO_TIMER) this.timers.clearTimeout(this.timer);
    this.timer = NO_TIMER;
  }

  describe(): string {
    return this.opts.name + ': ' + (this.pressed ? 'pressed' : 'released') + ', ' + this.presses + ' presses';
  }

  /** Any edge restarts the settle timer; only a level that held for debounceMs counts. */
  private onEdge(): void {
    if (this.timer !== NO_TIMER) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = NO_TIMER;
      this.settle();
    }, this.debounceMs);
  }

  private settle(): void {
    const now = this.pin.read() === this.opts.pressedLevel;
    if (now === this.pressed) return;
    this.pressed = now;
    if (now) {
      this.presses++;
      this.opts.onPress();
    } else if (this.opts.onRelease) {
      this.opts.onRelease();
    }
  }
}
