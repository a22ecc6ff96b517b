// The hardware seam over Espruino's globals (digitalWrite, setWatch, I2C1, Storage, http, E …).
// A built-in module that is missing is reported in `problems` and only its function degrades.
// The globals and modules are typed once in device/types/espruino.d.ts.
import type { RawSha256 } from '@fobgate/shared';
import type { FlashStore, Hal, HttpRequest, I2cWrite, InputPin, NeopixelWrite, OutputPin, PinId, Pull, Timers, Watchdog } from './hal.js';
import type { WifiModule } from './profiles.js';
import type { FlashWriteAt } from './list-store.js';

/** Defined only by a test bench (the interpreter tier's board stand-in) to time a tap's steps. */
declare const FG_TRACE: ((step: string) => void) | undefined;

/** What the firmware needs from a board beyond the drivers' seam. */
export interface Platform {
  hal: Hal;
  /** Raw SHA-256 over an 8-bit string (crypto.SHA256). */
  sha256: RawSha256;
  wifi: WifiModule | null;
  random: () => number;
  freeVars: () => number | null;
  /** A garbage collection pass (process.memory() runs one), before RAM-hungry work. Optional. */
  collect?: () => void;
  reboot: () => void;
  log: (line: string) => void;
  /** Storage.write at an offset of a pre-sized file (streams large files), or null. */
  flashWriteAt: FlashWriteAt | null;
  /** Missing built-in modules, one line each. */
  problems: string[];
  /** Step marks for a bench (the global FG_TRACE when a test defines it), else null. */
  trace: ((step: string) => void) | null;
}

function tryRequire<K extends keyof EspruinoModules>(name: K, what: string, problems: string[]): EspruinoModules[K] | null {
  try {
    const m: EspruinoModules[K] = require(name);
    if (m) return m;
  } catch (e) {
    // reported below
  }
  problems.push('module ' + name + ' missing: ' + what);
  return null;
}

function flashStore(storage: EspruinoStorage | null): FlashStore {
  return {
    read: (name) => {
      if (!storage) return undefined;
      try {
        const v = storage.read(name);
        return typeof v === 'string' ? v : undefined;
      } catch (e) {
        return undefined;
      }
    },
    write: (name, data) => {
      if (!storage) return false;
      try {
        if (data.length === 0) {
          storage.erase(name);
          return true;
        }
        return storage.write(name, data) !== false;
      } catch (e) {
        return false;
      }
    },
    erase: (name) => {
      if (!storage) return;
      try {
        storage.erase(name);
      } catch (e) {
        // nothing to erase
      }
    },
    list: (prefix) => {
      if (!storage) return [];
      try {
        const all: string[] = storage.list();
        return all.filter((n) => n.substring(0, prefix.length) === prefix);
      } catch (e) {
        return [];
      }
    },
  };
}

function output(pin: PinId): OutputPin {
  try {
    pinMode(pin, 'output');
  } catch (e) {
    // No such pin on this board (`Invalid pin`): checked once here, never written. Every write
    // would throw again, and each Error costs a stack trace in RAM and time (docs/on-chip.md).
    return { refused: true, write: () => {} };
  }
  return {
    write: (on) => {
      digitalWrite(pin, on ? 1 : 0);
    },
  };
}

function input(pin: PinId, pull: Pull): InputPin {
  try {
    pinMode(pin, pull === 'up' ? 'input_pullup' : pull === 'down' ? 'input_pulldown' : 'input');
  } catch (e) {
    // reads as low
  }
  return {
    read: () => {
      try {
        return digitalRead(pin) === 1;
      } catch (e) {
        return false;
      }
    },
    watch: (cb, opts) => {
      // setWatch answers undefined when it could not set the watch, and clearWatch(undefined)
      // throws in 2v29 (older versions removed EVERY watch): only a numeric id is ever cleared.
      const got = setWatch(
        (e) => {
          cb(!!e.state, e.time * 1000);
        },
        pin,
        { repeat: true, edge: opts.edge, debounce: opts.debounceMs },
      );
      let id: number | null = typeof got === 'number' ? got : null;
      return () => {
        if (id !== null) clearWatch(id);
        id = null;
      };
    },
  };
}

function errorText(e: { message?: string } | string): string {
  return typeof e === 'object' && e && e.message ? e.message : String(e);
}

function httpRequest(http: EspruinoHttp | null): HttpRequest | null {
  if (!http) return null;
  return (opts, cb) => {
    let done = false;
    function finish(err: { code: 'HTTP_ERROR'; message: string } | null, res: { status: number; headers: { [k: string]: string }; body: string; overflow?: number } | null): void {
      if (done) return;
      done = true;
      cb(err, res);
    }
    const headers: { [k: string]: string } = {};
    for (const k in opts.headers) headers[k] = opts.headers[k];
    headers['Content-Length'] = String(opts.body.length);
    const onData = opts.onData;
    const max = typeof opts.maxBody === 'number' ? opts.maxBody : -1;
    const req = http.request({ host: opts.host, port: opts.port, path: opts.path, method: opts.method, headers: headers }, (res) => {
      let body = '';
      let overflow = false;
      const status = parseInt(String(res.statusCode), 10);
      res.on('data', (d: string) => {
        // a streamed chunk (list download) is handed on and never collected
        if (onData && onData(d, status)) return;
        if (overflow) return;
        if (max >= 0 && body.length + d.length > max) {
          // more than this unit takes: drop it all (the answer is refused as too large)
          overflow = true;
          body = '';
          return;
        }
        body += d;
      });
      res.on('close', () => {
        const r: { status: number; headers: { [k: string]: string }; body: string; overflow?: number } = { status: status, headers: res.headers || {}, body: body };
        if (overflow) r.overflow = max;
        finish(null, r);
      });
      res.on('error', (e) => {
        finish({ code: 'HTTP_ERROR', message: 'response failed: ' + errorText(e) }, null);
      });
    });
    req.on('error', (e) => {
      finish({ code: 'HTTP_ERROR', message: 'request failed: ' + errorText(e) }, null);
    });
    req.end(opts.body);
  };
}

const timers: Timers = {
  setTimeout: (cb, ms) => setTimeout(cb, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id),
  setInterval: (cb, ms) => setInterval(cb, ms) as unknown as number,
  clearInterval: (id) => clearInterval(id),
};

/** The ESP32's task watchdog (a no-op where the build has none). */
const watchdog: Watchdog = {
  enable: (s) => {
    try {
      E.enableWatchdog(s, false);
    } catch (e) {
      // no watchdog on this build
    }
  },
  kick: () => {
    try {
      E.kickWatchdog();
    } catch (e) {
      // no watchdog on this build
    }
  },
};

/** I2C1 set up on these pins, as a byte writer; null when the pins cannot be set up. */
function i2cBus(sda: PinId, scl: PinId, bitrate: number): I2cWrite | null {
  try {
    I2C1.setup({ sda: sda, scl: scl, bitrate: bitrate });
  } catch (e) {
    return null;
  }
  return (addr, bytes) => {
    I2C1.writeTo(addr, bytes);
  };
}

/** A garbage collection pass: process.memory() runs one. */
function collect(): void {
  try {
    (process as unknown as { memory(): unknown }).memory();
  } catch (e) {
    // no process.memory on this build
  }
}

function freeVars(): number | null {
  try {
    // Node's type-check of this file (tests) sees Node's process: name Espruino's explicitly.
    return (process as unknown as EspruinoProcess).memory(false).free;
  } catch (e) {
    return null;
  }
}

/** A hard reboot where the build has one, else a soft restart (load()). */
function reboot(): void {
  try {
    if (typeof E.reboot === 'function') {
      E.reboot();
      return;
    }
    const esp = require('ESP32');
    if (esp && esp.reboot) {
      esp.reboot();
      return;
    }
  } catch (e) {
    // fall through to a soft restart
  }
  load();
}

/** Builds the platform from the interpreter's globals and built-in modules. */
export function espruinoPlatform(): Platform {
  const problems: string[] = [];
  const storage = tryRequire('Storage', 'no flash: config, list and events cannot be kept', problems);
  const http = tryRequire('http', 'no sync with the server', problems);
  const crypto = tryRequire('crypto', 'lists and answers cannot be verified', problems);
  const hasI2c = typeof I2C1 !== 'undefined';
  let neopixel: NeopixelWrite | null = null;
  const np = tryRequire('neopixel', 'no status LED', problems);
  if (np) neopixel = (pin, grb) => np.write(pin, grb);
  let wifi: WifiModule | null;
  // The host build has no Wifi module by design: only look for it where it belongs.
  try {
    wifi = require('Wifi') || null;
  } catch (e) {
    wifi = null;
  }
  const hal: Hal = {
    output: output,
    input: input,
    i2c: hasI2c ? i2cBus : () => null,
    neopixel: neopixel,
    store: flashStore(storage),
    http: httpRequest(http),
    // Whole milliseconds: getTime() has microsecond fractions and the wire takes integers only.
    clock: { now: () => Math.floor(getTime() * 1000) },
    timers: timers,
    watchdog: watchdog,
  };
  return {
    hal: hal,
    sha256: crypto ? (s: string) => crypto.SHA256(s) : () => '',
    wifi: wifi,
    random: () => Math.random(),
    collect: collect,
    freeVars: freeVars,
    reboot: reboot,
    log: (line) => {
      console.log(line);
    },
    flashWriteAt: storage
      ? (name, data, offset, size) => {
          try {
            return storage.write(name, data, offset, size) !== false;
          } catch (e) {
            return false;
          }
        }
      : null,
    problems: problems,
    trace: typeof FG_TRACE === 'function' ? FG_TRACE : null,
  };
}
