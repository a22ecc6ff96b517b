// The unit's JavaScript console, reached through the espruino CLI in terminal mode (the same
// serial or TCP transport the upload used, nothing of our own on the port). Lines typed here go
// out with Espruino's "no echo" prefix (0x10); what the unit prints comes back line by line.
//
// The console is first in, first out: a line typed now is run only after everything the unit
// has received before it. That is how the flash tool knows the unit has finished taking an
// upload (the CLI reports "Upload Complete" when it has *sent* the last byte, while the unit may
// still be writing for many seconds): it types a probe and waits for the probe's answer. It
// never sends Ctrl-C, which would cut a Storage write short.
import { spawn, type ChildProcess } from 'node:child_process';
import { BoundedLog } from './bounded-log.js';
import { CLI_BASE_ARGS, cliEnv, connectionArgs, espruinoCliPath, ESPRUINO_ERRORS, lineSplitter } from './espruino-cli.js';

/** A console line without the prompt redraws the interpreter wraps printed lines in. */
export function cleanConsoleLine(line: string): string {
  // eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC (0x1b)
  let s = line.replace(/\r/g, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  while (s.startsWith('>')) s = s.slice(1);
  return s;
}

type Waiter = { match: (line: string) => boolean; done: (line: string | null) => void; timer: NodeJS.Timeout };

export class UnitConsole {
  readonly log = new BoundedLog({ maxLines: 300, patterns: ESPRUINO_ERRORS });
  private readonly child: ChildProcess;
  private waiters: Waiter[] = [];
  private exited = false;
  private readonly exit: Promise<void>;

  constructor(port: string, baud: number, boardFile: string) {
    // No file and no -e: the CLI connects and passes stdin to the unit and the unit's output to stdout.
    this.child = spawn(process.execPath, [espruinoCliPath()].concat(CLI_BASE_ARGS, connectionArgs(port, baud, boardFile)), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: cliEnv(),
    });
    const lines = lineSplitter((line) => this.onLine(line));
    this.child.stdout!.setEncoding('latin1');
    this.child.stderr!.setEncoding('latin1');
    this.child.stdout!.on('data', lines.feed);
    this.child.stderr!.on('data', lines.feed);
    this.child.stdin!.on('error', () => undefined);
    this.exit = new Promise((resolve) => {
      this.child.on('error', (e) => this.log.pushLine(`[flash] could not start the espruino CLI: ${e.message}`));
      this.child.on('close', () => {
        lines.end();
        this.exited = true;
        for (const w of this.waiters.splice(0)) {
          clearTimeout(w.timer);
          w.done(null);
        }
        resolve();
      });
    });
  }

  private onLine(raw: string): void {
    this.log.pushLine(raw);
    const line = cleanConsoleLine(raw);
    for (const w of this.waiters.slice()) {
      if (!w.match(line)) continue;
      clearTimeout(w.timer);
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.done(line);
    }
  }

  /** True once the CLI has gone (it could not connect, or the connection closed). */
  get closed(): boolean {
    return this.exited;
  }

  /** Types one line at the unit's console (without echo). */
  type(line: string): void {
    if (!this.exited) this.child.stdin!.write('\x10' + line + '\n');
  }

  /** The next console line that `match` accepts, or null after `timeoutMs` or when the CLI exits. */
  next(match: (line: string) => boolean, timeoutMs: number): Promise<string | null> {
    if (this.exited) return Promise.resolve(null);
    return new Promise((resolve) => {
      const w: Waiter = {
        match,
        done: resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          resolve(null);
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Ends the session (the CLI exits when its stdin ends; killed if it lingers). */
  async close(): Promise<void> {
    if (this.exited) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exit;
    clearTimeout(timer);
  }
}

const PROBE = /^FGPROBE_\d+$/;

/**
 * Types a probe every `everyMs` until the unit prints one back; resolves the ms it took, or null
 * when `timeoutMs` passed (or the CLI could not connect). Everything the unit received before
 * the first probe has then been run: an upload has been written completely.
 */
export async function untilUnitAnswers(con: UnitConsole, timeoutMs: number, everyMs = 2000, onWait?: (ms: number) => void): Promise<number | null> {
  const start = Date.now();
  let n = 0;
  const answered = con.next((l) => PROBE.test(l), timeoutMs);
  // The printed text is assembled on the unit, so the line's echo (if echo were on) never matches.
  const probe = () => con.type(`print("FGPROBE_"+${++n})`);
  probe();
  const timer = setInterval(() => {
    probe();
    if (onWait) onWait(Date.now() - start);
  }, everyMs);
  try {
    return (await answered) === null ? null : Date.now() - start;
  } finally {
    clearInterval(timer);
  }
}

export interface UnitInfo {
  fw: string;
  cfg: string;
  version: string;
}

/** Asks the running firmware for its digests (FG_INFO()). */
export async function queryInfo(con: UnitConsole, timeoutMs: number): Promise<UnitInfo | { problem: string }> {
  const line = con.next((l) => l.startsWith('FGINFO ') || /FG_INFO.* is not defined/.test(l), timeoutMs);
  con.type('FG_INFO()');
  const got = await line;
  if (got === null) return { problem: `no answer to FG_INFO() within ${Math.round(timeoutMs / 1000)} s` };
  if (!got.startsWith('FGINFO ')) return { problem: 'FG_INFO is not defined on the unit: the fobgate firmware is not running (it did not start after the upload)' };
  try {
    const j = JSON.parse(got.slice(7)) as { fw?: unknown; cfg?: unknown; version?: unknown };
    if (typeof j.fw === 'string' && typeof j.cfg === 'string') return { fw: j.fw, cfg: j.cfg, version: String(j.version ?? '') };
  } catch {
    // reported below
  }
  return { problem: `the unit's FG_INFO() answer is not what the firmware prints: ${got.slice(0, 120)}` };
}
