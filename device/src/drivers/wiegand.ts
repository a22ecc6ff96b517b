// Wiegand reader with a card-present (CST) line. The D0/D1 falling-edge watches only store a bit
// and stamp the time; a timer owned by the driver ends the frame after a ~25 ms gap and hands it
// to the shared decoder (parity, 26/34 bits), which yields a card number or a coded error.
import { decodeWiegand } from '@fobgate/shared';
import type { SharedErrorCode } from '@fobgate/shared';
import type { Clock, InputPin, StopWatch, TimerId, Timers } from '../hal.js';
import type { Driver } from './driver.js';

/** Silence on both data lines that ends a frame (bits arrive every ~2 ms within a frame). */
export const WIEGAND_GAP_MS = 25;
/** Longest frame kept; longer ones are reported as a length error. */
export const WIEGAND_MAX_BITS = 64;
const NO_TIMER = -1;

export interface WiegandOptions {
  d0: InputPin;
  d1: InputPin;
  /** The card-present line (high while a card is in range), or null when not wired. */
  present: InputPin | null;
  clock: Clock;
  timers: Timers;
  onCard: (card: number, bits: number) => void;
  onError: (code: SharedErrorCode, message: string) => void;
  onPresent: (present: boolean) => void;
  /** Gap override in ms (default WIEGAND_GAP_MS). */
  gapMs?: number;
}

export class WiegandReader implements Driver {
  failed = false;
  private readonly opts: WiegandOptions;
  private readonly gapMs: number;
  private readonly bits = new Uint8Array(WIEGAND_MAX_BITS);
  private count = 0;
  private lastEdge = 0;
  private timer: TimerId = NO_TIMER;
  private stops: StopWatch[] = [];
  private present = false;
  private cards = 0;
  private errors = 0;

  constructor(opts: WiegandOptions) {
    this.opts = opts;
    this.gapMs = opts.gapMs !== undefined ? opts.gapMs : WIEGAND_GAP_MS;
  }

  setup(): void {
    this.stop();
    this.count = 0;
    this.stops.push(this.opts.d0.watch((state, t) => {
      this.bit(0, t);
    }, { edge: 'falling', debounceMs: 0 }));
    this.stops.push(this.opts.d1.watch((state, t) => {
      this.bit(1, t);
    }, { edge: 'falling', debounceMs: 0 }));
    const cst = this.opts.present;
    if (cst) {
      this.present = cst.read();
      this.stops.push(cst.watch((state) => {
        if (state === this.present) return;
        this.present = state;
        this.opts.onPresent(state);
      }, { edge: 'both', debounceMs: 0 }));
    }
  }

  /** The card-present line as last seen (false when the line is not wired). */
  isPresent(): boolean {
    return this.present;
  }

  /** Removes the watches and the frame timer. */
  stop(): void {
    for (const s of this.stops) s();
    this.stops = [];
    if (this.timer !== NO_TIMER) this.opts.timers.clearTimeout(this.timer);
    this.timer = NO_TIMER;
  }

  describe(): string {
    return 'wiegand: ' + this.cards + ' cards, ' + this.errors + ' errors, card ' + (this.present ? 'present' : 'absent');
  }

  /** Pin callback: store the bit, stamp the time, make sure the frame timer runs. */
  private bit(value: number, t: number): void {
    if (this.count < WIEGAND_MAX_BITS) this.bits[this.count] = value;
    this.count++;
    this.lastEdge = t;
    if (this.timer === NO_TIMER) this.arm(this.gapMs);
  }

  private arm(ms: number): void {
    this.timer = this.opts.timers.setTimeout(() => {
      this.timer = NO_TIMER;
      this.check();
    }, ms);
  }

  /** Ends the frame once the lines were quiet for the gap; otherwise waits for the rest of it. */
  private check(): void {
    const quiet = this.opts.clock.now() - this.lastEdge;
    if (quiet < this.gapMs) {
      this.arm(this.gapMs - quiet);
      return;
    }
    const n = this.count;
    this.count = 0;
    if (n > WIEGAND_MAX_BITS) {
      this.errors++;
      this.opts.onError('WIEGAND_LENGTH', 'Wiegand frame of ' + n + ' bits is too long');
      return;
    }
    const r = decodeWiegand(this.bits, n);
    if (r.ok) {
      this.cards++;
      this.opts.onCard(r.value.card, r.value.bits);
    } else {
      this.errors++;
      this.opts.onError(r.error.code, r.error.message);
    }
  }
}
