// Wiegand reader with a card-present (CST) line. The D0/D1 falling-edge watches store a bit and
// stamp the time.
//
// - A board that declares its reader's format (`bits` 26 or 34): the frame is decided the moment
//   its last bit arrives, in that bit's callback (no end-of-frame wait). Parity and the card
//   number are accumulated bit by bit as the frame arrives, so the last bit costs a few
//   operations. Bits arriving after that within the frame gap are an overrun: the frame was
//   longer than declared, and the driver says so (`onOverrun`), so the unit can undo a decision
//   taken on the first bits of a foreign frame.
// - "auto" (`bits` 0): a timer owned by the driver ends the frame after a ~25 ms gap and hands it
//   to the shared decoder (parity, 26/34 bits), which yields a card number or a coded error.
import { decodeWiegand } from '@fobgate/shared';
import type { SharedErrorCode } from '@fobgate/shared';
import type { Clock, InputPin, StopWatch, TimerId, Timers } from '../hal.js';
import type { Driver } from './driver.js';

/** Silence on both data lines that ends a frame (bits arrive every ~2 ms within a frame). */
export const WIEGAND_GAP_MS = 25;
/** Longest frame kept; longer ones are reported as a length error. */
export const WIEGAND_MAX_BITS = 64;
const NO_TIMER = -1;

/** The reader's frame length as the board declares it: 26, 34, or 0 for "auto" (end-of-frame gap). */
export type ReaderBits = 0 | 26 | 34;

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
  /** A declared-format frame went on after its last bit (optional). */
  onOverrun?: (bits: number) => void;
  /** Gap override in ms (default WIEGAND_GAP_MS). */
  gapMs?: number;
  /** Declared frame length (default 0: auto). */
  bits?: ReaderBits;
}

export class WiegandReader implements Driver {
  failed = false;
  private readonly opts: WiegandOptions;
  private readonly gapMs: number;
  private readonly declared: ReaderBits;
  private readonly half: number;
  private readonly bits = new Uint8Array(WIEGAND_MAX_BITS);
  private count = 0;
  private lastEdge = 0;
  private timer: TimerId = NO_TIMER;
  private stops: StopWatch[] = [];
  private present = false;
  private cards = 0;
  private errors = 0;
  // declared format: running sums of the frame so far
  private card = 0;
  private even = 0;
  private odd = 0;
  /** The frame was already decided at its declared length. */
  private decided = false;

  constructor(opts: WiegandOptions) {
    this.opts = opts;
    this.gapMs = opts.gapMs !== undefined ? opts.gapMs : WIEGAND_GAP_MS;
    this.declared = opts.bits === 26 || opts.bits === 34 ? opts.bits : 0;
    this.half = this.declared ? (this.declared - 2) / 2 : 0;
  }

  setup(): void {
    this.stop();
    this.reset();
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
    return 'wiegand' + (this.declared ? ' ' + this.declared + '-bit' : '') + ': ' + this.cards + ' cards, ' + this.errors + ' errors, card ' + (this.present ? 'present' : 'absent');
  }

  private reset(): void {
    this.count = 0;
    this.card = 0;
    this.even = 0;
    this.odd = 0;
    this.decided = false;
  }

  /** Pin callback: store the bit, stamp the time; a declared frame is decided at its last bit. */
  private bit(value: number, t: number): void {
    const i = this.count;
    if (i < WIEGAND_MAX_BITS) this.bits[i] = value;
    this.count = i + 1;
    this.lastEdge = t;
    if (this.timer === NO_TIMER) this.arm(this.gapMs);
    const n = this.declared;
    if (!n) return;
    if (this.decided) return;
    // E | data (2 halves) | O: parity sums and the card number, one bit at a time
    if (i <= this.half) this.even += value;
    else this.odd += value;
    if (i > 0 && i < n - 1) this.card = this.card * 2 + value;
    if (i === n - 1) {
      this.decided = true;
      this.finish(n);
    }
  }

  /** The declared frame is complete: parity checks, then the card (or the coded error). */
  private finish(n: number): void {
    if (this.even % 2 !== 0) {
      this.errors++;
      this.opts.onError('WIEGAND_PARITY', 'Wiegand ' + n + '-bit frame: even parity of the first half (bits 1-' + this.half + ') does not match');
      return;
    }
    if (this.odd % 2 !== 1) {
      this.errors++;
      this.opts.onError('WIEGAND_PARITY', 'Wiegand ' + n + '-bit frame: odd parity of the second half (bits ' + (this.half + 1) + '-' + (n - 2) + ') does not match');
      return;
    }
    this.cards++;
    this.opts.onCard(this.card, n);
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
      // whole milliseconds, at least one: a sub-millisecond remainder must not spin the timer
      this.arm(Math.max(1, Math.ceil(this.gapMs - quiet)));
      return;
    }
    const n = this.count;
    const declared = this.declared;
    const decided = this.decided;
    this.reset();
    if (declared) {
      if (decided && n > declared) {
        this.errors++;
        this.opts.onError('WIEGAND_LENGTH', 'Wiegand frame of ' + n + ' bits on a reader declared as ' + declared + '-bit: check the board\'s reader_bits');
        if (this.opts.onOverrun) this.opts.onOverrun(n);
      } else if (!decided) {
        this.errors++;
        this.opts.onError('WIEGAND_LENGTH', 'Wiegand frame of ' + n + ' bits on a reader declared as ' + declared + '-bit');
      }
      return;
    }
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
