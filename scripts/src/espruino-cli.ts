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
    pattern: /Unable to retrieve board information|No result found for "process\.env"|Connection Error\?|Connection refused|ECONNREFUSED|Unable to connect!/,
    hint: 'the unit did not answer: check the USB cable (a data cable, not charge-only), press the unit\'s EN/reset button, and use --baud 115200 for an ESP32',
  },
  {
    code: 'PORT_NOT_LISTED',
    pattern: /serial: Port ".*" not found/,
    hint: 'the CLI does not see that serial port (it lists ports through udev): check the cable and the port name (ls /dev/ttyUSB* /dev/ttyACM*)',
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

/**
 * Settings every run of the CLI gets: no Bluetooth (it crashes without D-Bus), and no place on
 * the internet to look modules or board files up. The firmware bundles every module it needs
 * and the board file we pass lists every built-in, so the CLI has nothing to fetch; blank URLs
 * make sure that even a mistake there can never pull code from the internet into a unit.
 */
export const CLI_BASE_ARGS = ['--no-ble', '--config', 'MODULE_URL=', '--config', 'BOARD_JSON_URL='];

/** How the CLI reaches the unit: a serial port at `baud`, or tcp://host:port. */
export function connectionArgs(port: string, baud: number, boardFile: string): string[] {
  return ['-p', port, '-b', String(baud), '--board', boardFile];
}

/**
 * The upload: the program saved to Storage `.bootcde` (runs at every boot; the firmware does not
 * fit in RAM at 16,383 variables, so there is no RAM option), the config as a Storage file.
 * Over serial the CLI pauses 250 ms after each ~1 KB Storage write so the unit's UART cannot
 * overflow; a TCP connection is flow-controlled, so it sends at full speed. Either way the unit
 * may still be writing when the CLI is done: the flash tool waits for it before verifying.
 */
export function uploadArgs(o: { port: string; baud: number; boardFile: string; storage: { name: string; path: string }[]; program: string }): string[] {
  const pacing = isTcpPort(o.port) ? ['--config', 'STORAGE_UPLOAD_METHOD=1'] : [];
  const files = o.storage.flatMap((f) => ['--storage', `${f.name}:${f.path}`]);
  return connectionArgs(o.port, o.baud, o.boardFile).concat(['--config', 'SAVE_ON_SEND=1'], pacing, files, [o.program]);
}

export function isTcpPort(port: string): boolean {
  return port.startsWith('tcp://');
}

export interface CliRun {
  code: number;
  log: BoundedLog;
}

export interface CliOptions {
  args: string[];
  /** Each complete line as it arrives (after the CLI's own echo of what it sends is shortened). */
  onLine?: (line: string) => void;
  timeoutMs?: number;
  maxLines?: number;
}

/** Lines split as they arrive; the CLI's echo of the upload text is shortened before anyone sees it. */
export function lineSplitter(push: (line: string) => void): { feed: (chunk: string) => void; end: () => void } {
  let partial = '';
  const emit = (raw: string) => {
    const line = raw.replace(/\r$/, '');
    push(/^serial: ---> /.test(line) ? `serial: ---> [${line.length - 13} characters of upload text]` : line);
  };
  return {
    feed: (chunk) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        emit(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      // a line that never ends is passed on in pieces (bounded memory)
      while (partial.length > 8192) {
        emit(partial.slice(0, 8192));
        partial = partial.slice(8192);
      }
    },
    end: () => {
      if (partial) emit(partial);
      partial = '';
    },
  };
}

/** The environment of a CLI child: TLS verification stays on whatever the CLI does to its own. */
export function cliEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: '1' };
}

/** Run the espruino CLI; resolves with its exit code and the bounded log of its output. */
export function runEspruino(opts: CliOptions): Promise<CliRun> {
  const log = new BoundedLog({ maxLines: opts.maxLines ?? 300, patterns: ESPRUINO_ERRORS });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [espruinoCliPath()].concat(CLI_BASE_ARGS, opts.args), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: cliEnv(),
    });
    const lines = lineSplitter((line) => {
      log.pushLine(line);
      if (opts.onLine) opts.onLine(line);
    });
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', lines.feed);
    child.stderr.on('data', lines.feed);
    const timer = setTimeout(() => {
      log.pushLine(`[flash] the espruino CLI did not finish in ${Math.round((opts.timeoutMs ?? 120000) / 1000)} s; stopped it`);
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      log.pushLine(`[flash] could not start the espruino CLI: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      lines.end();
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
