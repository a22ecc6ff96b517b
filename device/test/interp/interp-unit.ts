// One unit in the REAL Espruino interpreter (2v29, ESP32-sized): its own temp folder (the
// interpreter keeps its flash in ./espruino.flash), talked to over stdin/stdout (no --telnet, so
// no fixed port). The firmware and the board stand-in reach Storage through a small bootstrap
// that pulls them from a loopback HTTP server in pieces and writes them at offsets; then the
// process is restarted and boots like the chip: `.boot0` (the stand-in), then `.bootcde`.
//
// The stand-in (standin.js) reports every pin write, I2C transfer and neopixel frame as a line
// starting with byte 0x01; this class keeps the relay levels, decodes the LCD (the simulator's
// HD44780 model) and the status LED, and injects fobs, card removal and oops presses.
// A power cut is SIGKILL (the interpreter ignores SIGTERM) followed by a fresh start.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWiegand } from '@fobgate/shared';
import { Hd44780Model } from '../../sim/hd44780-decoder.js';
import { FIRMWARE_PATH, REFERENCE_PINS, type SimPins } from '../../sim/unit-sim.js';
import { interpreterCommand, type VarCount } from './binary.js';
import { FileServer } from './file-server.js';

export const STANDIN_PATH = join(dirname(fileURLToPath(import.meta.url)), 'standin.js');
/** Bytes per bootstrap request (one RAM string of this size in the interpreter at a time). */
export const BOOTSTRAP_CHUNK = 2048;
/** A bootstrap that asks for no piece for this long is stuck (a lost console line, a hung request): it starts again. */
export const BOOTSTRAP_STALL_MS = 20_000;
/** The longest a bootstrap that keeps making progress may take. */
const BOOTSTRAP_DEADLINE_MS = 600_000;
/** The banner reset() prints once it has taken effect, and how long stopProgram waits for it. */
const RESET_BANNER = /G\.Williams|espruino\.com/;
const RESET_BANNER_MS = 5_000;
/** Longest line typed at the console in one go (larger inputs are lost by the interpreter). */
export const MAX_CONSOLE_LINE = 2000;
const MARK = '\x01';

/** The interpreter gave no answer to a console line in time (a deaf console, a lost line, a busy machine). */
class NoAnswer extends Error {}

/** A file the bootstrap wrote reads back with the wrong SHA-256: a wrong write, not a deaf console. */
class StorageMismatch extends Error {
  constructor(name: string, got: string, want: string) {
    super('Storage ' + name + ' holds ' + got + ', wanted sha256 ' + want);
  }
}

export interface PinWriteRecord {
  pin: number;
  value: 0 | 1;
  /** Interpreter time (s, getTime()). */
  t: number;
  /** Order among everything this unit reported. */
  seq: number;
}

export interface I2cRecord {
  addr: number;
  bytes: number[];
  t: number;
  seq: number;
}

export interface TapResult {
  /** Interpreter time (s) of the last Wiegand bit's falling edge. */
  lastBitAt: number;
  /** Interpreter time (s) when the last bit's watch callbacks had returned. */
  handledAt: number;
  /** Order number of the last bit: every report after it has a larger one. */
  seq: number;
}

export interface MemoryFigures {
  usage: number;
  total: number;
  free: number;
  /** Highest usage sampled since sampling(true) (>= usage). */
  peak: number;
  samples: number;
}

export interface InterpUnitOptions {
  /** 16,383 (the ESP32 build) or 12,000 variables. */
  vars?: VarCount;
  /** Folder for espruino.flash (default: a new temp folder, removed by close()). */
  dir?: string;
  /** Echo the interpreter's console to this process's stdout. */
  echo?: boolean;
  /** Restart by itself when the interpreter exits (E.reboot() ends the Linux process). Default true. */
  autoRestart?: boolean;
  /**
   * Benchmarks only: run the interpreter at real-time priority (`chrt -f 10`), so the other
   * processes of a shared machine do not add their time to what is measured. Falls back to normal
   * priority when chrt is not allowed.
   */
  realtime?: boolean;
  /** How long a bootstrap may ask for no piece before it starts again (default BOOTSTRAP_STALL_MS). */
  bootstrapStallMs?: number;
  /** How long writeFiles waits for the console to answer after reset() (default 20 s). */
  consoleAnswerMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  expr: string;
}

interface Waiter {
  pred: () => boolean;
  resolve: () => void;
}

let rtAllowed: boolean | null = null;

/** Whether `chrt -f 10` works here (root or CAP_SYS_NICE). */
export function realtimeAllowed(): boolean {
  if (rtAllowed === null) {
    try {
      execFileSync('chrt', ['-f', '10', 'true'], { stdio: 'ignore' });
      rtAllowed = true;
    } catch {
      rtAllowed = false;
    }
  }
  return rtAllowed;
}

/** sha256 hex of latin1 text, as the unit computes it over its 8-bit strings. */
export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(typeof text === 'string' ? Buffer.from(text, 'latin1') : text).digest('hex');
}

function cleanLine(l: string): string {
  // the console redraws its prompt with \r and ESC[J around printed lines
  // eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC (0x1b)
  let s = l.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  while (s.startsWith('>')) s = s.substring(1);
  return s;
}

export class InterpUnit {
  readonly dir: string;
  readonly vars: VarCount;
  private ownDir: boolean;
  private proc: ChildProcess | null = null;
  private buf = '';
  private pending = new Map<number, Pending>();
  private waiters: Waiter[] = [];
  private nextId = 1;
  private seq = 0;
  private expectExit = false;
  private readonly opts: InterpUnitOptions;
  private files: FileServer | null = null;
  /** The control server the stand-in connects to (port in Storage `.fgctl`), and its connection. */
  private ctl: Server | null = null;
  private ctlPort = 0;
  private sock: Socket | null = null;
  private sockBuf = '';
  /** Report lines the stand-in could not send while it was not connected (it says how many). */
  lostReports = 0;
  /** Times a stalled bootstrap was started again (writeFiles). */
  bootstrapRetries = 0;
  /** Times writeFiles power-cycled a unit whose console stopped taking lines (reset() or the check). */
  stopPowerCycles = 0;
  /** Power cycles askBare made after a line got no answer. */
  noAnswerCycles = 0;
  /** Console lines the interpreter printed (not the stand-in's reports), newest last. */
  readonly lines: string[] = [];
  /**
   * Lines that show trouble (Uncaught, OUT OF MEMORY, ASSERT, stack/memory errors) while the
   * unit's own programs run: not while writeFiles drives the bare console (see flashNoise).
   */
  readonly problems: string[] = [];
  /**
   * Trouble lines printed while writeFiles drove the bare console: the harness's own typed lines,
   * which the Linux build's stdin thread can cut (a clean-clone run saw `Uncaught ReferenceError:
   * "rint" is not defined`, a check line that lost its first bytes and was then asked again). No
   * program of the unit runs then (reset() stopped it), so they say nothing about the firmware.
   */
  readonly flashNoise: string[] = [];
  /** writeFiles is driving the bare console (trouble lines go to flashNoise). */
  private flashing = false;
  readonly writes: PinWriteRecord[] = [];
  readonly i2c: I2cRecord[] = [];
  /** Last level written per pin. */
  readonly levels = new Map<number, 0 | 1>();
  /** Last neopixel frame per pin (GRB bytes). */
  readonly neopixel = new Map<number, number[]>();
  lcd = new Hd44780Model();
  lcdAddress = 0x27;
  board: SimPins = { ...REFERENCE_PINS };
  relayActiveLow = false;
  /** Process starts (power-ons and resets). */
  starts = 0;
  /** The interpreter runs at real-time priority (InterpUnitOptions.realtime and chrt allowed). */
  realtimeActive = false;
  /** Exits the unit did by itself (reboots), with their code. */
  readonly selfExits: number[] = [];
  private lastBit: TapResult | null = null;
  /** Date.now() of the last output from the interpreter (diagnostics). */
  private lastOutput = 0;
  private bitWaiters: Array<(r: TapResult) => void> = [];

  constructor(opts: InterpUnitOptions = {}) {
    this.opts = opts;
    this.vars = opts.vars ?? 16383;
    this.ownDir = !opts.dir;
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'fobgate-interp-'));
  }

  // ---------------------------------------------------------------- process

  /** The loopback control server (commands to the stand-in, reports from it). */
  private async control(): Promise<number> {
    if (this.ctl) return this.ctlPort;
    const server = createServer((s) => {
      if (this.sock) this.sock.destroy();
      this.sock = s;
      this.sockBuf = '';
      s.setNoDelay(true);
      s.on('data', (d: Buffer) => {
        if (this.sock !== s) return;
        this.sockBuf += d.toString('latin1');
        let nl: number;
        while ((nl = this.sockBuf.indexOf('\n')) >= 0) {
          const line = this.sockBuf.substring(0, nl);
          this.sockBuf = this.sockBuf.substring(nl + 1);
          this.report(line);
        }
        this.wake();
      });
      s.on('error', () => undefined);
      s.on('close', () => {
        if (this.sock === s) this.sock = null;
      });
      this.wake();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.ctl = server;
    this.ctlPort = (server.address() as { port: number }).port;
    return this.ctlPort;
  }

  /** Starts the interpreter (a power-on): it boots .boot0 and .bootcde from its flash. */
  async start(): Promise<void> {
    if (this.proc) throw new Error('interpreter already running');
    await this.control();
    if (this.sock) this.sock.destroy();
    this.sock = null;
    this.buf = '';
    this.lcd.powerOn();
    const rt = this.opts.realtime === true && realtimeAllowed();
    const run = interpreterCommand(this.vars);
    const child = rt
      ? spawn('chrt', ['-f', '10', run.command].concat(run.args), { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(run.command, run.args, { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    this.realtimeActive = rt;
    this.proc = child;
    this.starts++;
    child.stdout!.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    child.stderr!.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    child.stdin!.on('error', () => {
      // the process died; the exit handler deals with it
    });
    child.on('exit', (code, signal) => {
      if (this.proc !== child) return;
      this.proc = null;
      const msg = 'interpreter exited (' + (signal || 'code ' + code) + ')';
      for (const [, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new Error(msg + ' while evaluating ' + p.expr.substring(0, 80)));
      }
      this.pending.clear();
      if (this.expectExit) return;
      this.selfExits.push(code ?? -1);
      this.lines.push('[' + msg + ']');
      if (this.opts.autoRestart !== false) {
        this.start().catch(() => undefined);
      }
    });
  }

  /** Power cut: SIGKILL (what is in flash stays, RAM is lost). Resolves once the process is gone. */
  async powerCut(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.expectExit = true;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
    this.proc = null;
    this.expectExit = false;
  }

  /** Power cut then power on. */
  async powerCycle(): Promise<void> {
    await this.powerCut();
    await this.start();
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async close(): Promise<void> {
    await this.powerCut();
    if (this.files) await this.files.close();
    this.files = null;
    if (this.sock) this.sock.destroy();
    this.sock = null;
    const ctl = this.ctl;
    this.ctl = null;
    if (ctl) await new Promise<void>((r) => ctl.close(() => r()));
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- console

  private onData(text: string): void {
    this.lastOutput = Date.now();
    this.buf += text;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.substring(0, nl).replace(/\r$/, '');
      this.buf = this.buf.substring(nl + 1);
      this.onLine(line);
    }
    if (this.buf.length > 1_000_000) this.buf = this.buf.substring(this.buf.length - 100_000);
  }

  private onLine(raw: string): void {
    const at = raw.indexOf(MARK);
    if (at >= 0) {
      const before = cleanLine(raw.substring(0, at)).trim();
      if (before) this.consoleLine(before);
      this.report(raw.substring(at + 1));
    } else {
      this.consoleLine(cleanLine(raw));
    }
    this.wake();
  }

  private consoleLine(line: string): void {
    if (this.opts.echo) process.stdout.write('[interp] ' + line + '\n');
    this.lines.push(line);
    if (this.lines.length > 20000) this.lines.splice(0, 10000);
    if (/Uncaught|OUT OF MEMORY|ASSERT|Not enough stack|Segmentation|MEMORY_BUSY|Execution Interrupted/i.test(line)) (this.flashing ? this.flashNoise : this.problems).push(line);
  }

  private report(r: string): void {
    const sp = r.indexOf(' ');
    const kind = sp < 0 ? r : r.substring(0, sp);
    if (kind === 'L') {
      this.lostReports += Number(r.substring(2)) || 0;
      return;
    }
    const rest = sp < 0 ? '' : r.substring(sp + 1);
    const seq = ++this.seq;
    if (kind === 'R' || kind === 'X') {
      const sp2 = rest.indexOf(' ');
      const id = Number(sp2 < 0 ? rest : rest.substring(0, sp2));
      const body = sp2 < 0 ? '' : rest.substring(sp2 + 1);
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (kind === 'X') p.reject(new Error('interpreter: ' + body + ' (in ' + p.expr.substring(0, 120) + ')'));
      else {
        try {
          p.resolve(JSON.parse(body));
        } catch {
          p.resolve(body);
        }
      }
      return;
    }
    const f = rest.split(' ');
    if (kind === 'W') {
      const pin = Number(f[0]);
      const value = (Number(f[1]) ? 1 : 0) as 0 | 1;
      this.levels.set(pin, value);
      this.writes.push({ pin, value, t: Number(f[2]), seq });
      if (this.writes.length > 50000) this.writes.splice(0, 25000);
    } else if (kind === 'I') {
      const addr = Number(f[0]);
      const bytes: number[] = [];
      for (let i = 0; i + 1 < f[1].length; i += 2) bytes.push(parseInt(f[1].substring(i, i + 2), 16));
      this.i2c.push({ addr, bytes, t: Number(f[2]), seq });
      if (this.i2c.length > 50000) this.i2c.splice(0, 25000);
      if (addr === this.lcdAddress) for (const b of bytes) this.lcd.writePort(b);
    } else if (kind === 'N') {
      const bytes: number[] = [];
      for (let i = 0; i + 1 < f[1].length; i += 2) bytes.push(parseInt(f[1].substring(i, i + 2), 16));
      this.neopixel.set(Number(f[0]), bytes);
    } else if (kind === 'S') {
      // the last bit is about to go: what the firmware reports next happened after it
      this.lastBit = { lastBitAt: 0, handledAt: 0, seq };
    } else if (kind === 'B') {
      if (this.lastBit) this.lastBit.lastBitAt = Number(f[0]);
    } else if (kind === 'F') {
      if (this.lastBit) {
        this.lastBit.handledAt = Number(f[0]);
        const r = this.lastBit;
        const ws = this.bitWaiters;
        this.bitWaiters = [];
        for (const w of ws) w(r);
      }
    }
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.pred()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves when pred() holds (checked after every line); false after timeoutMs. */
  until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(pred());
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Waits for a console line matching re printed after line index `from`; returns it or throws. */
  async waitLine(re: RegExp, timeoutMs: number, from = 0): Promise<string> {
    const find = () => this.lines.slice(from).find((l) => re.test(l));
    const ok = await this.until(() => find() !== undefined, timeoutMs);
    if (!ok) throw new Error('no console line ' + re + ' within ' + timeoutMs + ' ms; last lines: ' + this.lines.slice(-8).join(' | '));
    return find()!;
  }

  /** Types a raw line at the console (byte 0x10 first: no echo). */
  type(line: string): void {
    if (!this.proc || !this.proc.stdin) throw new Error('interpreter not running');
    if (line.length > MAX_CONSOLE_LINE) throw new Error('console line of ' + line.length + ' characters (max ' + MAX_CONSOLE_LINE + ')');
    if (line.indexOf('\n') >= 0) throw new Error('one line at a time');
    this.proc.stdin.write('\x10' + line + '\n');
  }

  private call(id: number, line: string, expr: string, timeoutMs: number, viaControl = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      // When this process itself was busy past the deadline, the answer may be waiting in the
      // pipe: let pending I/O run first (setImmediate runs after the poll phase), then decide.
      const timer = setTimeout(() => setImmediate(() => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        const quiet = this.lastOutput ? Date.now() - this.lastOutput : -1;
        reject(new NoAnswer('interpreter did not answer within ' + timeoutMs + ' ms: ' + expr.substring(0, 120) + ' (' + (this.proc ? 'running' : 'not running') + ', silent for ' + quiet + ' ms); last lines: ' + this.lines.slice(-6).join(' | ')));
      }), timeoutMs);
      this.pending.set(id, { resolve, reject, timer, expr });
      if (viaControl) {
        if (line.indexOf('\n') >= 0) {
          clearTimeout(timer);
          this.pending.delete(id);
          reject(new Error('one line at a time'));
          return;
        }
        // the stand-in connects shortly after boot: wait for it within the same deadline
        void this.until(() => this.sock !== null || !this.pending.has(id), timeoutMs).then(() => {
          if (this.pending.has(id) && this.sock) this.sock.write(line + '\n');
        });
        return;
      }
      try {
        this.type(line);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  /**
   * Evaluates an expression with the stand-in loaded (after boot), over the control connection;
   * resolves with its JSON value.
   */
  evaluate<T = unknown>(expr: string, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return this.call(id, 'E ' + id + ' (' + expr + ')', expr, timeoutMs, true) as Promise<T>;
  }

  /** Evaluates without the stand-in (a bare interpreter: first install, after reset()). */
  evaluateBare<T = unknown>(expr: string, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    const m = JSON.stringify(MARK);
    const line = 'try{print(' + m + '+"R ' + id + ' "+JSON.stringify((function(){return (' + expr + ');})()))}catch(e){print(' + m + '+"X ' + id + ' "+e)}';
    return this.call(id, line, expr, timeoutMs) as Promise<T>;
  }

  /**
   * evaluateBare for a unit that only ever runs bare (no firmware): when no answer comes, the unit
   * is power-cycled and reset() (as stopProgram does) and asked once more. A console that answered
   * nothing but "Execution Interrupted" for minutes was seen on a machine loaded to 8; this is what
   * a technician would do. An answer, right or wrong, and an exception thrown in the interpreter
   * are returned or thrown at once: only silence is retried. Counted in noAnswerCycles.
   */
  async askBare<T = unknown>(expr: string, timeoutMs = 30_000): Promise<T> {
    try {
      return await this.evaluateBare<T>(expr, timeoutMs);
    } catch (e) {
      if (!(e instanceof NoAnswer)) throw e;
      this.noAnswerCycles++;
      await this.powerCycle();
      await this.stopProgram();
      return await this.evaluateBare<T>(expr, timeoutMs);
    }
  }

  // ---------------------------------------------------------------- flashing

  /**
   * Writes files into Storage through the bootstrap (loopback HTTP, pieces written at offsets)
   * on a bare interpreter: the running program is stopped with reset() first, as a flash tool
   * does. Then checks every file's SHA-256 in the interpreter. Does not restart.
   */
  async writeFiles(files: Record<string, string | Buffer>): Promise<void> {
    this.flashing = true;
    try {
      await this.writeFilesNow(files);
    } finally {
      this.flashing = false;
    }
  }

  private async writeFilesNow(files: Record<string, string | Buffer>): Promise<void> {
    if (!this.files) {
      this.files = new FileServer();
      await this.files.start();
    }
    const list: Array<[string, number]> = [];
    for (const [name, data] of Object.entries(files)) {
      this.files.set(name, data);
      list.push([name, this.files.size(name)]);
    }
    if (!this.proc) await this.start();
    // The bootstrap is one console line, and the interpreter's HTTP client has no timeouts: a
    // line lost to the Linux build's stdin thread, or a piece whose connection never closes,
    // would leave it waiting for ever. It is watched by progress instead (pieces served): when
    // none is served for BOOTSTRAP_STALL_MS it starts again from reset(), which also drops the
    // stuck request (each attempt erases and rewrites every file, so a retry is whole).
    for (let attempt = 1; ; attempt++) {
      const stalled = await this.bootstrapOnce(list);
      if (stalled === null) break;
      if (attempt >= 3 || !this.proc) throw new Error('the bootstrap writing ' + list.map((f) => f[0]).join(', ') + ' stalled ' + attempt + ' times; the last time: ' + stalled);
      this.bootstrapRetries++;
    }
    // Every file's SHA-256, read in the interpreter. A console that stops taking lines (seen in CI
    // after a re-flash of a booted unit: silent for 90 s) gets one power cycle, then the check again.
    try {
      await this.checkFiles(files);
    } catch (e) {
      if (!this.proc || e instanceof StorageMismatch) throw e;
      this.stopPowerCycles++;
      await this.powerCycle();
      await this.stopProgram();
      await this.checkFiles(files);
    }
  }

  /** Checks each file's SHA-256 in the interpreter (a bare console); throws what differs or what did not answer. */
  private async checkFiles(files: Record<string, string | Buffer>): Promise<void> {
    for (const [name, data] of Object.entries(files)) {
      const want = sha256Hex(data);
      const query = '(function(){var f=require("Storage").read(' + JSON.stringify(name) + ');if(f===undefined)return "missing";var a=new Uint8Array(require("crypto").SHA256(f)),s="";for(var i=0;i<a.length;i++)s+=(a[i]<16?"0":"")+a[i].toString(16);return s;})()';
      // A read-only query: asked again when no answer came (a console line typed just after
      // reset() can be lost to the Linux build's stdin thread, and a busy machine delays answers).
      let got: string | undefined;
      for (let attempt = 1; got === undefined; attempt++) {
        try {
          got = await this.evaluateBare<string>(query, this.opts.consoleAnswerMs ?? 30_000);
        } catch (e) {
          if (attempt >= 3 || !this.proc) throw e;
        }
      }
      if (got !== want) throw new StorageMismatch(name, got, want);
    }
  }

  /**
   * One attempt at the bootstrap: stops the running program (reset()), types the bootstrap line
   * and waits while it makes progress. Resolves null once every file is written, or with what
   * stalled; throws what the interpreter reported (a refused write, an HTTP error).
   */
  private async bootstrapOnce(list: Array<[string, number]>): Promise<string | null> {
    const files = this.files!;
    const stallMs = this.opts.bootstrapStallMs ?? BOOTSTRAP_STALL_MS;
    await this.stopProgram();
    const id = this.nextId++;
    const m = JSON.stringify(MARK);
    const js =
      '(function(){var h=require("http"),S=require("Storage"),F=' + JSON.stringify(list) + ',i=0;' +
      'var fail=function(w){print(' + m + '+"X ' + id + ' "+w)};' +
      'var pull=function(n,sz,o){if(o>=sz){i++;next();return;}' +
      'h.get("http://127.0.0.1:' + files.port + '/"+n+"?n=' + BOOTSTRAP_CHUNK + '&o="+o,function(r){var d="";' +
      'r.on("data",function(x){d+=x;});r.on("close",function(){if(!d.length){fail("empty piece of "+n+" at "+o);return;}' +
      'if(!S.write(n,d,o,sz)){fail("Storage.write refused "+n+" at "+o);return;}var l=d.length;d="";pull(n,sz,o+l);});})' +
      '.on("error",function(e){fail("http "+e)});};' +
      'var next=function(){if(i>=F.length){print(' + m + '+"R ' + id + ' 1");return;}S.erase(F[i][0]);pull(F[i][0],F[i][1],0);};next();})()';
    let settled: { error: Error | null } | null = null;
    // the deadline is the stall watch below; this one only bounds a bootstrap that keeps going
    this.call(id, js, 'bootstrap', BOOTSTRAP_DEADLINE_MS).then(
      () => { settled = { error: null }; },
      (e: Error) => { settled = { error: e }; },
    );
    const first = files.served;
    let served = first;
    let progressAt = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const outcome = settled as { error: Error | null } | null;
      if (outcome !== null) {
        if (outcome.error) throw outcome.error;
        return null;
      }
      if (files.served !== served) {
        served = files.served;
        progressAt = Date.now();
      } else if (Date.now() - progressAt > stallMs || !this.proc) {
        this.forget(id);
        return (served === first ? 'no piece was served' : 'no piece served after ' + (served - first)) + ' within ' + stallMs + ' ms' + (this.proc ? '' : ' (the interpreter exited)');
      }
    }
  }

  /** The loopback file server of the bootstrap (started by the first writeFiles). */
  get fileServer(): FileServer | null {
    return this.files;
  }

  /**
   * Stops the running program (it may hold .bootcde's functions in flash) with reset(), and waits
   * until the bare console answers. A line typed while a booting firmware keeps the interpreter
   * busy can be lost to the Linux build's stdin thread, so it is typed again when no answer comes
   * (reset() twice is harmless). CI once saw a console that answered every line with "Execution
   * Interrupted" and nothing else: after three tries the unit is power-cycled, as a technician
   * would unplug it, and tried three times more.
   */
  private async stopProgram(): Promise<void> {
    for (let cycle = 0; ; cycle++) {
      let last: unknown = null;
      for (let attempt = 1; attempt <= 3 && this.proc; attempt++) {
        const from = this.lines.length;
        this.type('reset()');
        // reset() takes effect once the interpreter is idle, clears the console's input line
        // and prints the banner: a line typed before then can lose its first bytes, so the probe
        // waits for the banner (a console that prints none is asked anyway, and retried below)
        await this.waitLine(RESET_BANNER, RESET_BANNER_MS, from).catch(() => undefined);
        try {
          await this.evaluateBare('1', this.opts.consoleAnswerMs ?? 20_000);
          return;
        } catch (e) {
          last = e;
        }
      }
      if (cycle >= 1) throw last ?? new Error('interpreter not running');
      this.stopPowerCycles++;
      await this.powerCycle();
    }
  }

  /** Stops waiting for an answer (its late report is ignored). */
  private forget(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
  }

  /**
   * Flashes a unit: the stand-in as .boot0, the built firmware as .bootcde and (when given) the
   * board config as fobgate.json, then power-cycles so it boots from Storage as the chip does.
   */
  async install(opts: { config?: unknown; firmware?: string; standin?: string; sampleFromBoot?: boolean }): Promise<void> {
    const files: Record<string, string> = {
      '.boot0': opts.standin ?? readFileSync(STANDIN_PATH, 'latin1'),
      '.bootcde': opts.firmware ?? readFileSync(FIRMWARE_PATH, 'latin1'),
      '.fgctl': String(await this.control()),
    };
    if (opts.config !== undefined) files['fobgate.json'] = typeof opts.config === 'string' ? opts.config : JSON.stringify(opts.config);
    if (opts.sampleFromBoot) files['.fgsample'] = '1';
    await this.writeFiles(files);
    if (opts.config !== undefined) this.setBoard(opts.config);
    await this.powerCycle();
  }

  /**
   * Makes this unit's flash a board before anything else is flashed: the stand-in as `.boot0` (the
   * pins, I2C and modules a real board has) and the port of this test's control server. A flash
   * tool then writes `.bootcde` and the config into the same flash, e.g. through another
   * interpreter's --telnet console in this folder; reports and commands come here all the same.
   * `i2cFails`: nothing answers on I2C (an unplugged LCD): every I2C write throws an Error, as
   * on the chip. Leaves the interpreter stopped.
   */
  async installBoard(opts: { i2cFails?: boolean; sampleFromBoot?: boolean } = {}): Promise<void> {
    const files: Record<string, string> = {
      '.boot0': readFileSync(STANDIN_PATH, 'latin1'),
      '.fgctl': String(await this.control()),
    };
    if (opts.i2cFails) files['.fgi2c'] = 'fail';
    if (opts.sampleFromBoot) files['.fgsample'] = '1';
    await this.writeFiles(files);
    await this.powerCut();
  }

  /** The board's wiring follows the config (pins, I2C address, relay polarity). */
  setBoard(config: unknown): void {
    this.board = { ...REFERENCE_PINS };
    this.lcdAddress = 0x27;
    this.relayActiveLow = false;
    type Cfg = { pins?: Record<string, unknown>; i2c_address?: unknown; relay_active_low?: unknown };
    let c: Cfg | null;
    try {
      c = (typeof config === 'string' ? JSON.parse(config) : config) as Cfg | null;
    } catch {
      c = null;
    }
    if (!c || typeof c !== 'object') return;
    if (c.pins && typeof c.pins === 'object') {
      for (const k of Object.keys(REFERENCE_PINS) as Array<keyof SimPins>) {
        const v = c.pins[k];
        if (typeof v === 'number' || v === null) (this.board as Record<string, number | null>)[k] = v;
      }
    }
    if (typeof c.i2c_address === 'number') this.lcdAddress = c.i2c_address;
    this.relayActiveLow = c.relay_active_low === true;
  }

  /** Waits until the firmware printed its boot line (or `Not configured`); returns the line. */
  waitBoot(timeoutMs = 30_000, from = 0): Promise<string> {
    return this.waitLine(/^fobgate( \S+ on \S+: boot \d+|: Not configured)/, timeoutMs, from);
  }

  // ---------------------------------------------------------------- the member's side

  private pins(): { d0: number; d1: number; present: number; oops: number } {
    return { d0: this.board.wiegand_d0, d1: this.board.wiegand_d1, present: this.board.card_present, oops: this.board.oops_button };
  }

  /** Drives the card-present line (a fob in range or not). */
  async cardPresent(on: boolean): Promise<void> {
    await this.evaluate('__fg.drive(' + this.pins().present + ',' + (on ? 1 : 0) + ')');
  }

  /**
   * Sends a Wiegand frame on D0/D1. periodMs 0 (default) hands the edges over at once, stamped
   * 2 ms apart and ending now (how the chip delivers watch events its interrupt queued); > 0
   * paces them with the interpreter's timers. Resolves once the last bit's callbacks returned.
   */
  async sendFrame(frame: number[], periodMs = 0, timeoutMs = 30_000): Promise<TapResult> {
    const p = this.pins();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let waiter: ((r: TapResult) => void) | null = null;
    const got = new Promise<TapResult>((resolve, reject) => {
      timer = setTimeout(() => setImmediate(() => reject(new Error('the last Wiegand bit was not handled within ' + timeoutMs + ' ms'))), timeoutMs);
      waiter = (r) => {
        if (timer) clearTimeout(timer);
        resolve(r);
      };
      this.bitWaiters.push(waiter);
    });
    // a rejection before anyone awaits it (the evaluate below still running) is not "unhandled"
    got.catch(() => undefined);
    try {
      await this.evaluate('__fg.frame(' + p.d0 + ',' + p.d1 + ',"' + frame.join('') + '",' + periodMs + ',2)');
    } catch (e) {
      // no frame went out: nobody waits for its last bit
      if (timer) clearTimeout(timer);
      this.bitWaiters = this.bitWaiters.filter((w) => w !== waiter);
      throw e;
    }
    return got;
  }

  /** A fob into the slot: card-present rises, then the reader sends the frame (26 or 34 bits). */
  async insertFob(code: string | number, opts: { bits?: 26 | 34; periodMs?: number; presentLeadMs?: number } = {}): Promise<TapResult> {
    const n = typeof code === 'number' ? code : parseInt(code, 10);
    const bits = opts.bits ?? (n < 16777216 ? 26 : 34);
    await this.cardPresent(true);
    const lead = opts.presentLeadMs ?? 5;
    if (lead > 0) await new Promise((r) => setTimeout(r, lead));
    return this.sendFrame(encodeWiegand(n, bits), opts.periodMs ?? 0);
  }

  async removeFob(): Promise<void> {
    await this.cardPresent(false);
  }

  /** The normally-closed oops contact opens for holdMs, then closes again. */
  async pressOops(holdMs = 150): Promise<void> {
    const pin = this.pins().oops;
    await this.evaluate('__fg.drive(' + pin + ',null)');
    await new Promise((r) => setTimeout(r, holdMs));
    await this.evaluate('__fg.drive(' + pin + ',0)');
  }

  /**
   * What the stand-in drives at the next power-on besides the oops contact ({pin: 0|1|null}),
   * e.g. a card left in the reader: {[board.card_present]: 1}. Kept in Storage `.fgworld`.
   */
  async worldAtBoot(levels: Record<number, 0 | 1 | null>): Promise<void> {
    await this.evaluate('require("Storage").write(".fgworld",' + JSON.stringify(JSON.stringify(levels)) + ')');
  }

  // ---------------------------------------------------------------- what the member sees

  private on(pin: number | null, activeLow: boolean): boolean {
    if (pin === null) return false;
    const v = this.levels.get(pin);
    if (v === undefined) return false;
    return v === (activeLow ? 0 : 1);
  }

  get relay(): boolean {
    return this.on(this.board.relay, this.relayActiveLow);
  }

  get secondRelay(): boolean {
    return this.on(this.board.second_relay, this.relayActiveLow);
  }

  get oopsLed(): boolean {
    return this.on(this.board.oops_led, false);
  }

  get lcdText(): string {
    return this.lcd.text();
  }

  /** [r, g, b] of the status LED's last frame, or null. */
  get ledRgb(): [number, number, number] | null {
    if (this.board.status_led === null) return null;
    const f = this.neopixel.get(this.board.status_led);
    if (!f || f.length < 3) return null;
    return [f[1], f[0], f[2]];
  }

  /** Pin writes reported after `seq`. */
  writesAfter(pin: number, seq: number): PinWriteRecord[] {
    return this.writes.filter((w) => w.pin === pin && w.seq > seq);
  }

  /** Waits until the LCD shows `text` (lines right-trimmed, joined by \n). */
  async untilLcd(text: string, timeoutMs = 20_000): Promise<void> {
    const ok = await this.until(() => this.lcdText === text, timeoutMs);
    if (!ok) throw new Error('LCD shows ' + JSON.stringify(this.lcdText) + ', not ' + JSON.stringify(text) + ' within ' + timeoutMs + ' ms; console: ' + this.lines.slice(-6).join(' | '));
  }

  /**
   * The steps the firmware marked during the last frame's handling (FG_TRACE), microseconds
   * after its last bit. tracing(true) first; reading does not clear.
   */
  traceSteps(): Promise<Array<[string, number]>> {
    return this.evaluate<Array<[string, number]>>('__fg.trace()');
  }

  async tracing(on: boolean): Promise<void> {
    await this.evaluate('__fg.trace(' + (on ? 'true' : 'false') + ')');
  }

  /** Milliseconds from the last bit of `tap` to the first write of the relay pin to `value` after it, or -1. */
  relayDelayMs(tap: TapResult, value: 0 | 1 = this.relayActiveLow ? 0 : 1): number {
    const w = this.writesAfter(this.board.relay, tap.seq).find((x) => x.value === value);
    return w ? (w.t - tap.lastBitAt) * 1000 : -1;
  }

  // ---------------------------------------------------------------- memory

  /** process.memory() after a garbage collection, and the peak sampled since sampling(true). */
  memory(): Promise<MemoryFigures> {
    return this.evaluate<MemoryFigures>('__fg.memory()');
  }

  /** Starts (or stops) sampling memory usage around flash, crypto, JSON, timer and HTTP calls; resets the peak. */
  async sampling(on: boolean): Promise<void> {
    await this.evaluate('__fg.sampling(' + (on ? 'true' : 'false') + ')');
  }

  /** The interpreter's error flags since the last call (e.g. ["MEMORY"]). */
  errorFlags(): Promise<string[]> {
    return this.evaluate<string[]>('__fg.errors()');
  }

  /** Switches the stand-in's Wi-Fi (what Wifi.getDetails() reports). */
  async wifi(up: boolean): Promise<void> {
    await this.evaluate('__fg.wifi(' + (up ? 'true' : 'false') + ')');
  }
}
