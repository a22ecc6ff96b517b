// The common frame of the flash tests against the real interpreter: a real server for the whole
// file, and every interpreter and simulated unit a test starts stopped (and its flash folder
// removed) after the file, whatever failed. Without the interpreter binary the file's tests are
// not registered and the output says why.
import { test } from 'uvu';
import { ensureFirmware } from '@fobgate/device/ensure-firmware';
import { startServer, TEST_TOKEN, type ServerProcess } from './server-process.js';
import { startSimUnit, type SimUnit } from './sim-unit.js';
import { interpreterMissing } from '@fobgate/device/interp-binary';
import { removeInterpreterDir, startTelnetInterpreter, type TelnetInterpreter } from './telnet-interpreter.js';

export interface InterpreterSuite {
  /** The real server of this file (started before the first test). */
  readonly server: ServerProcess;
  /**
   * Starts the real interpreter behind its TCP console (stopped after the file, its folder
   * removed). `dir`: a folder whose espruino.flash is already prepared (e.g. a board stand-in).
   */
  startInterpreter(dir?: string): Promise<TelnetInterpreter>;
  /** Starts the machine's working unit: the built firmware in the simulator (stopped after the file). */
  startWorkingUnit(machine: string): Promise<SimUnit>;
}

/** Registers the file's before/after hooks; null when the interpreter is missing. */
export function interpreterSuite(): InterpreterSuite | null {
  const missing = interpreterMissing();
  if (missing) {
    console.log(`note: flash tests against the real interpreter SKIPPED: ${missing}`);
    return null;
  }
  let server: ServerProcess | null = null;
  const interpreters: TelnetInterpreter[] = [];
  const units: SimUnit[] = [];
  test.before(async () => {
    ensureFirmware();
    // units sync every second here, as the working unit's own config says (the server's answer sets it)
    server = await startServer({ SYNC_INTERVAL_S: '1' });
  });
  test.after(async () => {
    for (const u of units) u.stop();
    for (const i of interpreters) {
      await i.stop();
      removeInterpreterDir(i);
    }
    if (server) await server.stop();
  });
  const running = (): ServerProcess => {
    if (!server) throw new Error('the server starts in the suite\'s before hook');
    return server;
  };
  return {
    get server() {
      return running();
    },
    async startInterpreter(dir?: string) {
      const i = await startTelnetInterpreter(16383, dir);
      interpreters.push(i);
      return i;
    },
    async startWorkingUnit(machine: string) {
      const u = await startSimUnit(running().url, TEST_TOKEN, machine);
      units.push(u);
      return u;
    },
  };
}
