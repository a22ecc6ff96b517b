// Test doubles for the firmware: a whole fake board (flash that can lose power mid-write, an HTTP
// stub the test answers by hand, a watchdog that counts kicks) on the drivers' fake pins and clock,
// plus helpers that play the server's part (signed answers and lists).
import { createHash, createHmac } from 'node:crypto';
import { buildList, diffLists, signList, encodeWiegand } from '@fobgate/shared';
import type { AuthList, DecisionMachine, ListEntry, ListUpdate, SyncResponse } from '@fobgate/shared';
import { FakeInputPin, FakeOutputPin, FakeTime } from './fake-pins-clock.js';
import type { FlashStore, Hal, HttpRequestOptions, HttpResponse, HttpError, I2cWrite, PinId } from '../src/hal.js';
import type { Platform } from '../src/hal-espruino.js';
import type { WifiModule } from '../src/profiles.js';

export { FakeInputPin, FakeOutputPin, FakeTime };

export const KEY = 'a1'.repeat(32);

export function sha256Raw(s: string): Uint8Array {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest();
}

export function sha256HexNode(s: string): string {
  return createHash('sha256').update(Buffer.from(s, 'latin1')).digest('hex');
}

export function hmacNode(key: string, msg: string): string {
  return createHmac('sha256', Buffer.from(key, 'latin1')).update(Buffer.from(msg, 'latin1')).digest('hex');
}

/** Flash as a plain object of files. `failAfter` writes succeed, then the "power is cut". */
export class FakeStore implements FlashStore {
  files: { [name: string]: string } = {};
  writes = 0;
  reads: string[] = [];
  /** Number of further writes that succeed; -1 = unlimited. */
  failAfter = -1;
  /** When failing, leave a torn file (half the data) instead of nothing. */
  tear = true;
  read(name: string): string | undefined {
    this.reads.push(name);
    return Object.prototype.hasOwnProperty.call(this.files, name) ? this.files[name] : undefined;
  }
  write(name: string, data: string): boolean {
    if (this.failAfter === 0) {
      if (this.tear) this.files[name] = data.substring(0, Math.floor(data.length / 2));
      return false;
    }
    if (this.failAfter > 0) this.failAfter--;
    this.writes++;
    this.files[name] = data;
    return true;
  }
  erase(name: string): void {
    if (this.failAfter === 0) return;
    delete this.files[name];
  }
  /** Storage.write(name, data, offset, size): offset 0 creates the file of `size` erased bytes. */
  writeAt = (name: string, data: string, offset: number, size: number): boolean => {
    if (this.failAfter === 0) return false;
    if (this.failAfter > 0) this.failAfter--;
    let f = this.files[name];
    if (offset === 0) f = '\xff'.repeat(size);
    if (f === undefined || offset + data.length > f.length) return false;
    for (let i = 0; i < data.length; i++) {
      if (f.charCodeAt(offset + i) !== 0xff) throw new Error('flash overwrite in ' + name + ' at ' + (offset + i));
    }
    this.writes++;
    this.files[name] = f.substring(0, offset) + data + f.substring(offset + data.length);
    return true;
  };
  list(prefix: string): string[] {
    return Object.keys(this.files).filter((n) => n.substring(0, prefix.length) === prefix);
  }
  /** A copy of the flash, as after a power cycle (power back on). */
  clone(): FakeStore {
    const s = new FakeStore();
    s.files = Object.assign({}, this.files);
    return s;
  }
}

export interface PendingRequest {
  opts: HttpRequestOptions;
  cb: (err: HttpError | null, res: HttpResponse | null) => void;
  /** Flash files at the moment the request went out. */
  flashAtSend: { [name: string]: string };
}

/** HTTP that records requests; the test answers them (or never does). */
export class FakeHttp {
  requests: PendingRequest[] = [];
  throwNext = '';
  /** Every request throws synchronously, as a refused connection does on the unit. */
  refuse = false;
  constructor(private store: FakeStore | null) {}
  request = (opts: HttpRequestOptions, cb: (err: HttpError | null, res: HttpResponse | null) => void): void => {
    if (this.refuse) throw new Error('ECONNREFUSED');
    if (this.throwNext) {
      const m = this.throwNext;
      this.throwNext = '';
      throw new Error(m);
    }
    this.requests.push({ opts: opts, cb: cb, flashAtSend: this.store ? Object.assign({}, this.store.files) : {} });
  };
  last(): PendingRequest {
    return this.requests[this.requests.length - 1];
  }
  lastBody(): any {
    return JSON.parse(this.last().opts.body);
  }
}

/** Answers a request the way the server does: signed body echoing the counter. */
export function answer(req: PendingRequest, res: Partial<SyncResponse>, key?: string): void {
  const body = JSON.parse(req.opts.body);
  const full: SyncResponse = {
    counter: body.counter,
    answers: String(req.opts.headers['x-fobgate-signature']).toLowerCase(),
    time: 1700000000000,
    ack_seq: 0,
    latest_list_version: 0,
    list: null,
    commands: [],
    sync_interval_s: 5,
  };
  Object.assign(full, res);
  const text = JSON.stringify(full);
  req.cb(null, { status: 200, headers: { 'x-fobgate-signature': hmacNode(key || KEY, text) }, body: text });
}

export class FakeWatchdog {
  enabled = 0;
  kicks = 0;
  enable(s: number): void {
    this.enabled = s;
  }
  kick(): void {
    this.kicks++;
  }
}

/** Pins by number, created on first use. */
export class FakeBoard {
  outputs: { [pin: number]: FakeOutputPin } = {};
  inputs: { [pin: number]: FakeInputPin } = {};
  i2cWrites: number[][] = [];
  i2cFails = false;
  pixels: number[][] = [];
  out(pin: PinId): FakeOutputPin {
    if (!this.outputs[pin]) this.outputs[pin] = new FakeOutputPin();
    return this.outputs[pin];
  }
  in(pin: PinId): FakeInputPin {
    if (!this.inputs[pin]) this.inputs[pin] = new FakeInputPin(false);
    return this.inputs[pin];
  }
  /** Pin level last written (false when never written). */
  level(pin: PinId): boolean {
    const p = this.outputs[pin];
    return p ? p.last() === true : false;
  }
}

export interface FakeRig {
  board: FakeBoard;
  time: FakeTime;
  store: FakeStore;
  http: FakeHttp;
  watchdog: FakeWatchdog;
  hal: Hal;
  platform: Platform;
  logs: string[];
  reboots: number;
}

export function makeRig(store?: FakeStore): FakeRig {
  const board = new FakeBoard();
  const time = new FakeTime();
  time.t = 1000;
  const s = store || new FakeStore();
  const http = new FakeHttp(s);
  const watchdog = new FakeWatchdog();
  const i2c: I2cWrite = (addr, bytes) => {
    if (board.i2cFails) throw new Error('no ack');
    board.i2cWrites.push([addr].concat(Array.prototype.slice.call(bytes)));
  };
  const hal: Hal = {
    output: (pin) => board.out(pin),
    input: (pin) => board.in(pin),
    i2c: () => i2c,
    neopixel: (pin, grb) => {
      board.pixels.push([pin].concat(Array.prototype.slice.call(grb)));
    },
    store: s,
    http: http.request,
    clock: time,
    timers: time,
    watchdog: watchdog,
  };
  const rig: FakeRig = {
    board: board,
    time: time,
    store: s,
    http: http,
    watchdog: watchdog,
    hal: hal,
    logs: [],
    reboots: 0,
    platform: null as unknown as Platform,
  };
  const wifi: WifiModule = {
    connect: (ssid, opts, cb) => cb(null),
    getDetails: () => ({ status: 'connected', rssi: -61 }),
  };
  rig.platform = {
    hal: hal,
    sha256: sha256Raw,
    wifi: wifi,
    random: () => 0.5,
    freeVars: () => 9000,
    reboot: () => {
      rig.reboots++;
    },
    log: (line) => {
      rig.logs.push(line);
    },
    flashWriteAt: s.writeAt,
    problems: [],
    trace: null,
  };
  return rig;
}

export const MACHINE: DecisionMachine = {
  name: 'lathe',
  display_name: 'Lathe',
  unauthorized_warn_only: false,
  always_enabled: false,
  second_relay: null,
  offline_grace_hours: 72,
};

export const MACHINE_TWO_RELAYS: DecisionMachine = {
  name: 'lathe',
  display_name: 'Lathe',
  unauthorized_warn_only: false,
  always_enabled: false,
  second_relay: { unauthorized_warn_only: false, always_enabled: false, display_name: 'Rotary' },
  offline_grace_hours: 72,
};

export function makeList(entries: ListEntry[], version: number, machine?: DecisionMachine): AuthList {
  return buildList(machine || MACHINE, entries, version, 1700000000000, sha256HexNode);
}

/** A full-list update as the server sends it inline (base64 data in the sync answer). */
export function fullUpdate(list: AuthList, key?: string): ListUpdate {
  return {
    kind: 'full', version: list.version, digest: list.digest, sig: signList(list.digest, key || KEY, hmacNode),
    bytes: list.text.length, data: Buffer.from(list.text, 'latin1').toString('base64'),
  };
}

/** A delta update from `base` to `list` as the server sends it inline. */
export function deltaUpdate(base: AuthList, list: AuthList, key?: string): ListUpdate {
  const text = diffLists(base, list);
  return {
    kind: 'delta', from: base.version, version: list.version, digest: list.digest, sig: signList(list.digest, key || KEY, hmacNode),
    bytes: text.length, data: Buffer.from(text, 'latin1').toString('base64'),
  };
}

export function config(extra?: object): string {
  return JSON.stringify(Object.assign({
    machine: 'lathe',
    server_url: 'http://127.0.0.1:8080',
    key: KEY,
    wifi: { ssid: 'space', password: 'hunter22' },
    profile: 'esp32',
  }, extra || {}));
}

/** Plays a Wiegand frame on D0/D1 (falling-edge pulses 2 ms apart), without the closing gap. */
export function playFrame(rig: FakeRig, d0: PinId, d1: PinId, card: number, bits: 26 | 34): void {
  const frame = encodeWiegand(card, bits);
  rig.board.in(d0).level = true;
  rig.board.in(d1).level = true;
  for (const b of frame) {
    rig.time.advance(2);
    rig.board.in(b ? d1 : d0).pulseLow(rig.time.t);
  }
}

/** An update announced for download (no inline data), with the bytes the server serves: the full list, or a delta from `base`. */
export function fetchUpdate(list: AuthList, key?: string, base?: AuthList): { update: ListUpdate; text: string } {
  const text = base ? diffLists(base, list) : list.text;
  const update: ListUpdate = { kind: base ? 'delta' : 'full', version: list.version, digest: list.digest, sig: signList(list.digest, key || KEY, hmacNode), bytes: text.length };
  if (base) update.from = base.version;
  return { update: update, text: text };
}

/** Bytes per chunk a streamed answer is delivered in (the ESP32 network's segment size). */
export const STREAM_CHUNK = 536;

/**
 * Answers a request the way the interpreter's http delivers a large body: every chunk to the
 * request's onData (what it does not take is collected), then the callback with the rest.
 */
export function streamAnswer(req: PendingRequest, status: number, headers: { [k: string]: string }, body: string, chunk?: number): void {
  const size = chunk || STREAM_CHUNK;
  let rest = '';
  for (let i = 0; i < body.length; i += size) {
    const part = body.substring(i, i + size);
    if (!(req.opts.onData && req.opts.onData(part, status))) rest += part;
  }
  req.cb(null, { status: status, headers: headers, body: rest });
}
