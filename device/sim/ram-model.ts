// A coarse model of the interpreter's variable store, so the simulator refuses what the chip
// cannot hold. The real interpreter has `total` variables of 14 bytes (16,383 on the ESP32,
// ~12,000 to plan by); the firmware uses about `baseline` of them when idle (measured in the real
// interpreter, see docs/list-transfer.md); a string costs about one variable per 12 characters.
// Every string the firmware hands to a native (JSON.parse, crypto, atob/btoa, E.toString,
// Storage.write, an HTTP body) must fit, with a second copy of itself, into what is free: the
// interpreter needs that much to parse, hash or copy it. Beyond that it runs out of memory, which
// on the chip interrupts the code ("OUT OF MEMORY", not catchable): here it is recorded in
// `errors` (tests assert none) and thrown.
export const CHARS_PER_VAR = 12;
/**
 * Idle variables of the built firmware in the real interpreter (16,383-variable build, any list
 * size: the list stays in flash). Re-measure with the interpreter benchmark when the firmware grows.
 */
export const SIM_PROGRAM_VARS = 4700;

/** Variables a string of `len` characters occupies. */
export function varsFor(len: number): number {
  return Math.ceil(len / CHARS_PER_VAR) + 1;
}

export class RamModel {
  readonly total: number;
  readonly baseline: number;
  /** OUT OF MEMORY events: what was being done and how large. */
  readonly errors: string[] = [];
  /** The largest string a native took, in characters, and where. */
  largest = 0;
  largestAt = '';
  /** Set when memory ran out since the last E.getErrorFlags(). */
  flagged = false;

  constructor(total: number, baseline = SIM_PROGRAM_VARS) {
    this.total = total;
    this.baseline = Math.min(baseline, total);
  }

  /** What process.memory() reports as free. */
  free(): number {
    return Math.max(0, this.total - this.baseline);
  }

  /** The longest string a native can take. */
  maxString(): number {
    return Math.max(0, (Math.floor(this.free() / 2) - 1) * CHARS_PER_VAR);
  }

  /**
   * A native is about to take a string of `len` characters held in RAM (`what` names the call).
   * Returns an error message when it does not fit (the caller throws it), else ''.
   */
  take(what: string, len: number): string {
    if (len > this.largest) {
      this.largest = len;
      this.largestAt = what;
    }
    if (2 * varsFor(len) <= this.free()) return '';
    const msg = 'OUT OF MEMORY at ' + what + ': a ' + len + '-character string needs ' + 2 * varsFor(len) + ' of ' + this.free() + ' free variables (' + this.total + ' in all)';
    this.errors.push(msg);
    this.flagged = true;
    return msg;
  }
}
