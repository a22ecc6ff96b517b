// HD44780 16x2 character LCD in 4-bit mode behind a PCF8574 backpack. Expander bits: RS 0x01,
// RW 0x02 (always 0: write only), E 0x04, backlight 0x08, D4..D7 on 0x10..0x80.
// Each nibble is sent as two bytes, [n|BL|rs|E, n|BL|rs]: data is latched when E falls. Every
// transfer (one I2C write) starts with one byte [BL|rs] that settles RS while E is low, and so does
// every change of RS inside a transfer. show() rewrites only the changed span of each line.
import type { TimerId, Timers } from '../hal.js';
import type { Driver } from './driver.js';
import type { ByteWriter } from './pcf8574.js';

export const LCD_COLS = 16;
export const LCD_ROWS = 2;

const RS = 0x01;
const EN = 0x04;
const BACKLIGHT = 0x08;

const CMD_CLEAR = 0x01;
const CMD_ENTRY_INCREMENT = 0x06;
const CMD_DISPLAY_OFF = 0x08;
const CMD_DISPLAY_ON = 0x0c; // display on, cursor off, blink off
const CMD_FUNCTION_4BIT_2LINE = 0x28; // 4-bit bus, 2 lines, 5x8 font
const CMD_SET_DDRAM = 0x80;
const ROW_OFFSET_2 = 0x40;

/** The init sequence: writes and the wait after each (datasheet "initializing by instruction"). */
const WAIT_AFTER_FIRST_MS = 5; // > 4.1 ms
const WAIT_AFTER_SECOND_MS = 1; // > 100 us
const WAIT_AFTER_CLEAR_MS = 2; // > 1.52 ms
const NO_TIMER = -1;

/** Replaces anything outside printable ASCII (and '~', an arrow in the LCD's ROM) with '?'. */
export function lcdText(s: string): string {
  let out = '';
  const n = s.length < LCD_COLS ? s.length : LCD_COLS;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c <= 0x7d ? s.charAt(i) : '?';
  }
  while (out.length < LCD_COLS) out += ' ';
  return out;
}

/** Builds one transfer's bytes, settling RS before the first strobe and on every RS change. */
class Transfer {
  bytes: number[] = [];
  private rs = -1;
  nibble(n: number, rs: number): void {
    const b = ((n & 0x0f) << 4) | BACKLIGHT | rs;
    if (rs !== this.rs) {
      this.bytes.push(BACKLIGHT | rs);
      this.rs = rs;
    }
    this.bytes.push(b | EN, b);
  }
  command(c: number): void {
    this.nibble(c >> 4, 0);
    this.nibble(c, 0);
  }
  data(d: number): void {
    this.nibble(d >> 4, RS);
    this.nibble(d, RS);
  }
}

export class Hd44780 implements Driver {
  failed = false;
  private ready = false;
  private timer: TimerId = NO_TIMER;
  private writes = 0;
  /** What the glass shows (only meaningful once ready). */
  private shown: string[] = ['', ''];
  /** What the caller asked for. */
  private wanted: string[] = [lcdText(''), lcdText('')];
  private readonly write: ByteWriter;
  private readonly timers: Timers;

  constructor(write: ByteWriter, timers: Timers) {
    this.write = write;
    this.timers = timers;
  }

  /** Starts the init sequence (about 8 ms, on timers); text shown meanwhile appears when done. */
  setup(): void {
    this.stop();
    this.failed = false;
    this.ready = false;
    this.shown = ['', ''];
    const t = new Transfer();
    t.nibble(0x3, 0);
    if (!this.send(t)) return;
    this.later(WAIT_AFTER_FIRST_MS, () => {
      const t2 = new Transfer();
      t2.nibble(0x3, 0);
      if (!this.send(t2)) return;
      this.later(WAIT_AFTER_SECOND_MS, () => {
        const t3 = new Transfer();
        t3.nibble(0x3, 0);
        t3.nibble(0x2, 0);
        t3.command(CMD_FUNCTION_4BIT_2LINE);
        t3.command(CMD_DISPLAY_OFF);
        t3.command(CMD_CLEAR);
        if (!this.send(t3)) return;
        this.later(WAIT_AFTER_CLEAR_MS, () => {
          const t4 = new Transfer();
          t4.command(CMD_ENTRY_INCREMENT);
          t4.command(CMD_DISPLAY_ON);
          if (!this.send(t4)) return;
          this.ready = true;
          this.shown = [lcdText(''), lcdText('')];
          this.render();
        });
      });
    });
  }

  /** Shows two lines (16 ASCII characters each: padded, truncated, others as '?'). */
  show(line1: string, line2: string): void {
    this.wanted[0] = lcdText(line1);
    this.wanted[1] = lcdText(line2);
    if (this.ready && !this.failed) this.render();
  }

  /** The text the unit wants on the display (even when the LCD has failed). */
  lines(): string[] {
    return [this.wanted[0], this.wanted[1]];
  }

  isReady(): boolean {
    return this.ready && !this.failed;
  }

  /** Clears a pending init timer (for shutdown). */
  stop(): void {
    if (this.timer !== NO_TIMER) this.timers.clearTimeout(this.timer);
    this.timer = NO_TIMER;
  }

  describe(): string {
    const state = this.failed ? 'FAILED (not answering)' : this.ready ? 'ready' : 'starting';
    return 'lcd 16x2: ' + state + ', ' + this.writes + ' writes';
  }

  private later(ms: number, fn: () => void): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = NO_TIMER;
      fn();
    }, ms);
  }

  private render(): void {
    for (let row = 0; row < LCD_ROWS; row++) {
      const want = this.wanted[row];
      const have = this.shown[row];
      let first = 0;
      while (first < LCD_COLS && want.charCodeAt(first) === have.charCodeAt(first)) first++;
      if (first === LCD_COLS) continue;
      let last = LCD_COLS - 1;
      while (want.charCodeAt(last) === have.charCodeAt(last)) last--;
      const t = new Transfer();
      t.command(CMD_SET_DDRAM | ((row === 0 ? 0 : ROW_OFFSET_2) + first));
      for (let i = first; i <= last; i++) t.data(want.charCodeAt(i));
      if (!this.send(t)) return;
      this.shown[row] = want;
    }
  }

  /** One I2C transfer; a throw marks the driver failed (and is swallowed). */
  private send(t: Transfer): boolean {
    if (this.failed) return false;
    try {
      this.write(new Uint8Array(t.bytes));
      this.writes++;
      return true;
    } catch (e) {
      this.failed = true;
      this.ready = false;
      this.stop();
      return false;
    }
  }
}
