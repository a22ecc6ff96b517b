// Simulated I2C peripherals (I2C1, I2C2): setup, writeTo/readFrom with the interpreter's argument
// forms, devices attached by address, and a device that stops answering (writeTo throws).
import { pinNumber, type ErrorFactory } from './pins.js';

export interface I2CDevice {
  /** False: the device does not acknowledge its address (a dead or unplugged LCD). */
  present: boolean;
  write(bytes: number[]): void;
  read?(count: number): number[];
}

export interface I2CTransfer {
  bus: string;
  addr: number;
  bytes: number[];
  t: number;
  ok: boolean;
}

/** Flattens writeTo's data arguments (numbers, arrays, strings, typed arrays, {data,count}). */
export function flattenBytes(args: unknown[]): number[] {
  const out: number[] = [];
  const add = (d: unknown): void => {
    if (typeof d === 'number') out.push(d & 0xff);
    else if (typeof d === 'string') for (let i = 0; i < d.length; i++) out.push(d.charCodeAt(i) & 0xff);
    else if (d instanceof ArrayBuffer || (d && Object.prototype.toString.call(d) === '[object ArrayBuffer]')) add(new Uint8Array(d as ArrayBuffer));
    else if (Array.isArray(d) || ArrayBuffer.isView(d)) {
      const a = d as ArrayLike<unknown>;
      for (let i = 0; i < a.length; i++) add(a[i]);
    } else if (d && typeof d === 'object' && 'data' in (d as object)) {
      const o = d as { data: unknown; count?: unknown };
      const n = Number(o.count) || 1;
      for (let i = 0; i < n; i++) add(o.data);
    } else if (typeof d === 'boolean') out.push(d ? 1 : 0);
  };
  for (const a of args) add(a);
  return out;
}

export class SimI2C {
  private devices: { [addr: number]: I2CDevice } = {};
  private configured = false;
  scl = -1;
  sda = -1;
  bitrate = 100000;
  readonly log: I2CTransfer[] = [];

  constructor(readonly name: string, private now: () => number, private err: ErrorFactory, private makeBytes: (a: number[]) => Uint8Array) {}

  attach(addr: number, dev: I2CDevice): void {
    this.devices[addr] = dev;
  }

  /** A reboot: the peripheral forgets its setup (devices stay wired). */
  reset(): void {
    this.configured = false;
  }

  get isSetup(): boolean {
    return this.configured;
  }

  setup(options: unknown): void {
    const o = (options || {}) as { scl?: unknown; sda?: unknown; bitrate?: unknown };
    if (o.scl !== undefined) {
      this.scl = pinNumber(o.scl);
      if (this.scl < 0) throw this.err(this.name + '.setup: invalid scl pin ' + String(o.scl));
    }
    if (o.sda !== undefined) {
      this.sda = pinNumber(o.sda);
      if (this.sda < 0) throw this.err(this.name + '.setup: invalid sda pin ' + String(o.sda));
    }
    if (o.bitrate !== undefined) this.bitrate = Number(o.bitrate) || 100000;
    this.configured = true;
  }

  writeTo(address: unknown, ...data: unknown[]): void {
    const addr = typeof address === 'object' && address ? Number((address as { address: unknown }).address) : Number(address);
    const bytes = flattenBytes(data);
    if (!this.configured) throw this.err(this.name + ' is not set up (call setup first)');
    const dev = this.devices[addr];
    const ok = !!dev && dev.present;
    this.log.push({ bus: this.name, addr, bytes, t: this.now(), ok });
    if (this.log.length > 20000) this.log.splice(0, 10000);
    if (!ok) throw this.err(this.name + ': no ACK from device at address 0x' + addr.toString(16));
    dev.write(bytes);
  }

  readFrom(address: unknown, quantity: unknown): Uint8Array {
    const addr = Number(address);
    if (!this.configured) throw this.err(this.name + ' is not set up (call setup first)');
    const dev = this.devices[addr];
    if (!dev || !dev.present) throw this.err(this.name + ': no ACK from device at address 0x' + addr.toString(16));
    const n = Math.max(0, Number(quantity) || 0);
    const got = dev.read ? dev.read(n) : new Array(n).fill(0xff);
    return this.makeBytes(got);
  }
}

/** A PCF8574 backpack driving an HD44780: the port bytes go to the LCD model. */
export class Pcf8574Lcd implements I2CDevice {
  present = true;
  private port = 0xff;
  constructor(private lcd: { writePort(b: number): void }) {}
  write(bytes: number[]): void {
    for (const b of bytes) {
      this.port = b;
      this.lcd.writePort(b);
    }
  }
  read(count: number): number[] {
    return new Array(count).fill(this.port);
  }
}
