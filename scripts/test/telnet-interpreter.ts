// The real Espruino 2v29 interpreter (ESP32-sized) serving its JavaScript console on TCP port
// 2323 (`--telnet`), as a unit the flash tool can reach with --port tcp://127.0.0.1:2323. The
// port is fixed: use it only inside the test's own network namespace (netns.ts). Its flash is
// ./espruino.flash of its working directory: one temp folder per instance.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpreterCommand, type VarCount } from '@fobgate/device/interp-binary';

export const TELNET_PORT = 2323;

export interface TelnetInterpreter {
  port: string;
  dir: string;
  /** The interpreter's own stdout (its console when no telnet client is connected), bounded. */
  output(): string;
  /** Power cut: SIGKILL (it ignores SIGTERM); the flash file stays. */
  stop(): Promise<void>;
}

function connectable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startTelnetInterpreter(vars: VarCount, dir = mkdtempSync(join(tmpdir(), 'fobgate-interp-'))): Promise<TelnetInterpreter> {
  // stdin stays an open pipe for the interpreter's life: at end of input it would spin.
  const run = interpreterCommand(vars, ['--telnet']);
  const child: ChildProcess = spawn(run.command, run.args, { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString('latin1').replace(/\xf7/g, '')).slice(-20000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const end = Date.now() + 20_000;
  while (!(await connectable(TELNET_PORT))) {
    if (child.exitCode !== null || Date.now() > end) {
      child.kill('SIGKILL');
      throw new Error('the interpreter did not open its telnet console on ' + TELNET_PORT + ':\n' + out.slice(-2000));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: `tcp://127.0.0.1:${TELNET_PORT}`,
    dir,
    output: () => out,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Removes an interpreter's folder (its flash). */
export function removeInterpreterDir(i: TelnetInterpreter): void {
  rmSync(i.dir, { recursive: true, force: true });
}
