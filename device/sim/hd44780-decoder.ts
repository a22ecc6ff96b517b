// A model of a 16x2 HD44780 character LCD behind a PCF8574 I2C backpack: it takes the bytes the
// firmware writes to the expander, latches a nibble on each falling edge of the enable bit, runs
// the controller's instruction set (4/8-bit interface, clear, home, entry mode, display control,
// shift, DDRAM/CGRAM addresses) and reconstructs the visible text so tests can read the screen.

/** PCF8574 bit -> LCD line, the common backpack wiring. */
export const PCF_RS = 0x01;
export const PCF_RW = 0x02;
export const PCF_EN = 0x04;
export const PCF_BACKLIGHT = 0x08;

const DDRAM_SIZE = 0x80;
const LINE_LEN = 40;

export class Hd44780Model {
  /** Data latched while in 8-bit mode (right after power-on) or 4-bit mode after `0x2x`. */
  eightBit = true;
  twoLines = false;
  displayOn = false;
  cursorOn = false;
  blinkOn = false;
  backlight = false;
  increment = true;
  shiftOnWrite = false;
  /** Display shift (in characters) from the shift instruction. */
  shift = 0;
  /** Address counter. */
  addr = 0;
  /** Whether the address counter points into CGRAM. */
  cgram = false;
  /** Whether a function set (initialisation) has been seen since power-on. */
  initialised = false;
  readonly ddram = new Uint8Array(DDRAM_SIZE).fill(0x20);
  readonly cgramData = new Uint8Array(64);
  private prev = 0;
  private highNibble: number | null = null;
  private highRs = 0;
  /** Every instruction/data byte the controller executed, in order: [rs, byte]. */
  readonly executed: Array<[number, number]> = [];
  /** Bytes the expander received, in order. */
  readonly rawBytes: number[] = [];
  /** Problems a real display would show as garbage (read strobes, odd nibble pairing). */
  readonly anomalies: string[] = [];

  /** Power-on reset: the controller comes up in 8-bit mode with undefined (blank) RAM. */
  powerOn(): void {
    this.eightBit = true;
    this.twoLines = false;
    this.displayOn = false;
    this.cursorOn = false;
    this.blinkOn = false;
    this.backlight = false;
    this.increment = true;
    this.shiftOnWrite = false;
    this.shift = 0;
    this.addr = 0;
    this.cgram = false;
    this.initialised = false;
    this.ddram.fill(0x20);
    this.prev = 0;
    this.highNibble = null;
    this.executed.length = 0;
    this.rawBytes.length = 0;
    this.anomalies.length = 0;
  }

  /** One byte written to the PCF8574 port. */
  writePort(b: number): void {
    const byte = b & 0xff;
    this.rawBytes.push(byte);
    if (this.rawBytes.length > 50000) this.rawBytes.splice(0, 25000);
    this.backlight = (byte & PCF_BACKLIGHT) !== 0;
    const fallingEnable = (this.prev & PCF_EN) !== 0 && (byte & PCF_EN) === 0;
    if (fallingEnable) this.strobe(this.prev);
    this.prev = byte;
  }

  private strobe(port: number): void {
    if (port & PCF_RW) {
      this.anomalies.push('read strobe (RW high) while writing');
      return;
    }
    const nibble = (port >> 4) & 0x0f;
    const rs = port & PCF_RS ? 1 : 0;
    if (this.eightBit) {
      // Only D4..D7 are wired: the low half of the bus reads as 0.
      this.execute(rs, nibble << 4);
      return;
    }
    if (this.highNibble === null) {
      this.highNibble = nibble;
      this.highRs = rs;
      return;
    }
    if (rs !== this.highRs) this.anomalies.push('RS changed between the two nibbles of a byte');
    const value = (this.highNibble << 4) | nibble;
    this.highNibble = null;
    this.execute(rs, value);
  }

  private execute(rs: number, v: number): void {
    this.executed.push([rs, v]);
    if (this.executed.length > 50000) this.executed.splice(0, 25000);
    if (rs) {
      this.writeData(v);
      return;
    }
    if (v & 0x80) {
      this.cgram = false;
      this.addr = v & 0x7f;
    } else if (v & 0x40) {
      this.cgram = true;
      this.addr = v & 0x3f;
    } else if (v & 0x20) {
      this.eightBit = (v & 0x10) !== 0;
      this.twoLines = (v & 0x08) !== 0;
      this.initialised = true;
      this.highNibble = null;
    } else if (v & 0x10) {
      const display = (v & 0x08) !== 0;
      const right = (v & 0x04) !== 0;
      if (display) this.shift = (this.shift + (right ? 1 : -1) + LINE_LEN) % LINE_LEN;
      else this.addr = this.stepAddr(this.addr, right);
    } else if (v & 0x08) {
      this.displayOn = (v & 0x04) !== 0;
      this.cursorOn = (v & 0x02) !== 0;
      this.blinkOn = (v & 0x01) !== 0;
    } else if (v & 0x04) {
      this.increment = (v & 0x02) !== 0;
      this.shiftOnWrite = (v & 0x01) !== 0;
    } else if (v & 0x02) {
      this.addr = 0;
      this.cgram = false;
      this.shift = 0;
    } else if (v & 0x01) {
      this.ddram.fill(0x20);
      this.addr = 0;
      this.cgram = false;
      this.shift = 0;
      this.increment = true;
    }
  }

  private stepAddr(a: number, up: boolean): number {
    if (!this.twoLines) return (a + (up ? 1 : DDRAM_SIZE - 1)) % DDRAM_SIZE;
    // Two-line mode: 0x00..0x27 then 0x40..0x67, wrapping between the lines.
    if (up) {
      if (a === 0x27) return 0x40;
      if (a === 0x67) return 0x00;
      return a + 1;
    }
    if (a === 0x40) return 0x27;
    if (a === 0x00) return 0x67;
    return a - 1;
  }

  private writeData(v: number): void {
    if (this.cgram) {
      this.cgramData[this.addr & 0x3f] = v;
      this.addr = (this.addr + (this.increment ? 1 : 63)) & 0x3f;
      return;
    }
    this.ddram[this.addr & 0x7f] = v;
    this.addr = this.stepAddr(this.addr, this.increment);
    if (this.shiftOnWrite) this.shift = (this.shift + (this.increment ? 1 : -1) + LINE_LEN) % LINE_LEN;
  }

  private charAt(code: number): string {
    if (code >= 0x20 && code <= 0x7d) return String.fromCharCode(code);
    if (code < 8) return '#';
    return '?';
  }

  /** The 16 visible characters of a line (0 or 1), as the glass shows them. */
  line(i: 0 | 1): string {
    if (!this.displayOn) return ' '.repeat(16);
    if (i === 1 && !this.twoLines) return ' '.repeat(16);
    const base = i === 0 ? 0x00 : 0x40;
    let s = '';
    for (let c = 0; c < 16; c++) {
      const off = (c + this.shift) % LINE_LEN;
      s += this.charAt(this.ddram[base + off]);
    }
    return s;
  }

  /** Both lines, right-trimmed, joined by "\n" (the shape of `UnitStateReport.display`). */
  text(): string {
    return this.line(0).replace(/\s+$/, '') + '\n' + this.line(1).replace(/\s+$/, '');
  }
}
