// The WS2812 status LED: a colour as red/green/blue floats 0..1 scaled by a brightness, sent as
// GRB bytes through the neopixel writer. Only changed colours are sent.
import type { NeopixelWrite, PinId } from '../hal.js';
import type { Driver } from './driver.js';

const BYTES_PER_LED = 3;

export interface StatusLedOptions {
  pin: PinId;
  /** Overall brightness 0..1 (a bare WS2812 at full power is blinding). */
  brightness: number;
  /** LEDs in the chain; all show the same colour. Default 1. */
  count?: number;
}

function level(c: number, brightness: number): number {
  if (!(c > 0)) return 0; // also NaN
  const v = Math.round((c > 1 ? 1 : c) * brightness * 255);
  return v > 255 ? 255 : v;
}

export class StatusLed implements Driver {
  failed = false;
  private readonly write: NeopixelWrite;
  private readonly opts: StatusLedOptions;
  private readonly brightness: number;
  private readonly bytes: Uint8Array;
  private sent = false;

  constructor(write: NeopixelWrite, opts: StatusLedOptions) {
    this.write = write;
    this.opts = opts;
    const b = opts.brightness;
    this.brightness = b > 0 ? (b > 1 ? 1 : b) : 0;
    this.bytes = new Uint8Array(BYTES_PER_LED * (opts.count !== undefined && opts.count > 0 ? opts.count : 1));
  }

  /** Turns the LED off. */
  setup(): void {
    this.sent = false;
    this.set(0, 0, 0);
  }

  /** Sets the colour (each 0..1). */
  set(red: number, green: number, blue: number): void {
    const g = level(green, this.brightness);
    const r = level(red, this.brightness);
    const b = level(blue, this.brightness);
    const buf = this.bytes;
    if (this.sent && buf[0] === g && buf[1] === r && buf[2] === b) return;
    for (let i = 0; i < buf.length; i += BYTES_PER_LED) {
      buf[i] = g;
      buf[i + 1] = r;
      buf[i + 2] = b;
    }
    if (this.failed) return;
    try {
      this.write(this.opts.pin, buf);
      this.sent = true;
    } catch (e) {
      this.failed = true;
    }
  }

  /** The GRB bytes of the first LED as last computed. */
  grb(): number[] {
    return [this.bytes[0], this.bytes[1], this.bytes[2]];
  }

  describe(): string {
    return 'status led: grb ' + this.grb().join(',') + (this.failed ? ', FAILED' : '');
  }
}
