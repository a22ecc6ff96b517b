// Runs the `espruino` command-line tool as a CHILD PROCESS (never `require` it: loading it turns
// off TLS verification in the loading process, see docs/on-chip.md), streams its output through a
// BoundedLog with the error patterns that explain failed uploads, and finds the serial port.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BoundedLog, type ErrorPattern } from './bounded-log.js';

export const ESPRUINO_ERRORS: ErrorPattern[] = [
  { code: 'UNIT_JS_ERROR', pattern: /Uncaught\s/, hint: 'the program threw an error on the unit' },
  {
    code: 'UNIT_NOT_ANSWERING',
    pattern: /Unable to retrieve board information|No result found for "process\.env"|Connection Error\?|Connection refused|ECONNREFUSED/,
    hint: 'the unit did not answer: check the USB cable (a data cable, not charge-only), press the unit\'s EN/reset button, and use --baud 115200 for an ESP32',
  },
  { code: 'PORT_PERMISSION', pattern: /Permission denied|EACCES/, hint: 'no permission to open the serial port (see below)' },
  { code: 'PORT_OPEN_FAILED', pattern: /Unable to open|cannot open|Error opening|No such file or directory, cannot open/i, hint: 'the serial port could not be opened' },
  { code: 'UNIT_OUT_OF_MEMORY', pattern: /Out of Memory|LOW_MEMORY|MEMORY_BUSY/i, hint: 'the unit ran out of memory while loading the firmware' },
  { code: 'UNIT_STORAGE', pattern: /Storage is full|Not enough free space|Unable to write/i, hint: 'the unit\'s flash storage refused the write (try `require("Storage").compact()` or erase it)' },
  { code: 'MODULE_MISSING', pattern: /Module \S+ not found/, hint: 'a module the firmware needs is missing on the unit' },
];

/** Path of the CLI's entry script inside node_modules. */
export function espruinoCliPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('espruino/package.json')), 'bin', 'espruino-cli.js');
}

export interface CliRun {
  code: number;
  log: BoundedLog;
}

export interface CliOptions {
  args: string[];
  /** Each complete line as it arrives (progress display). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  maxLines?: number;
}

/** Run the espruino CLI; resolves with its exit code and the bounded log of its output. */
export function runEspruino(opts: CliOptions): Promise<CliRun> {
  const log = new BoundedLog({ maxLines: opts.maxLines ?? 300, patterns: ESPRUINO_ERRORS });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [espruinoCliPath(), '--no-ble'].concat(opts.args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '1' },
    });
    let partial = '';
    const feed = (d: string) => {
      log.write(d);
      if (opts.onLine) {
        partial += d;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          opts.onLine(partial.slice(0, nl).replace(/\r$/, ''));
          partial = partial.slice(nl + 1);
        }
        if (partial.length > 4096) partial = '';
      }
    };
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', feed);
    child.stderr.on('data', feed);
    const timer = setTimeout(() => {
      log.pushLine(`[flash] the espruino CLI did not finish in ${Math.round((opts.timeoutMs ?? 120000) / 1000)} s; stopped it`);
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      log.pushLine(`[flash] could not start the espruino CLI: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      log.end();
      resolve({ code: code ?? 1, log });
    });
  });
}

const PORT_NAME = /^(ttyUSB\d+|ttyACM\d+|cu\.usbserial.*|cu\.SLAB_USBtoUART.*|cu\.wchusbserial.*|cu\.usbmodem.*)$/;

/** Serial ports that look like a USB-serial adapter (an ESP32 dev board), sorted. */
export function findSerialPorts(devDir = '/dev'): string[] {
  if (!existsSync(devDir)) return [];
  return readdirSync(devDir)
    .filter((n) => PORT_NAME.test(n))
    .sort()
    .map((n) => join(devDir, n));
}

export type PortProblem = { code: 'NO_PORT' | 'SEVERAL_PORTS' | 'PORT_MISSING' | 'PORT_PERMISSION'; message: string };

/** Choose the port: the one given, or the only candidate. Checks it exists and is writable. */
function canReadWrite(path: string): void {
  accessSync(path, constants.R_OK | constants.W_OK);
}

export function choosePort(given: string | undefined, devDir = '/dev', access: (path: string) => void = canReadWrite): { port: string } | PortProblem {
  if (given && given.startsWith('tcp://')) return { port: given };
  if (!given) {
    const found = findSerialPorts(devDir);
    if (found.length === 0) {
      return {
        code: 'NO_PORT',
        message:
          'no serial port found. Plug the unit in with a USB data cable (some cables only charge); on Linux it appears as /dev/ttyUSB0 or /dev/ttyACM0. Or name it with --port.',
      };
    }
    if (found.length > 1) {
      return { code: 'SEVERAL_PORTS', message: `several serial ports found; choose one with --port:\n  ${found.join('\n  ')}` };
    }
    given = found[0];
  }
  if (!existsSync(given)) return { code: 'PORT_MISSING', message: `serial port ${given} does not exist (is the unit plugged in?)` };
  try {
    access(given);
  } catch {
    return {
      code: 'PORT_PERMISSION',
      message: `permission denied on ${given}. On Linux add yourself to the group that owns it and log in again:\n  sudo usermod -aG dialout $USER   (or: uucp on Arch)\nor for this session only: sudo chmod a+rw ${given}`,
    };
  }
  return { port: given };
}
