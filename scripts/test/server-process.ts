// Starts the real fobgate server (server/src/server.ts, what `npm start` runs) as a child process
// on 127.0.0.1 with a temporary data folder, for the tools' tests; reads the URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '@fobgate/device/ensure-firmware';

export const TEST_TOKEN = 'scripts-test-token-0123456789abcdef';

export interface ServerProcess {
  url: string;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

export function startServer(extraEnv: { [k: string]: string } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fobgate-scripts-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server', 'src', 'server.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, FOBGATE_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ADMIN_TOKEN: TEST_TOKEN, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server did not start in 30 s:\n' + out));
    }, 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (x: Buffer) => (out += x.toString()));
        resolve({
          url: m[1],
          dataDir,
          output: () => out,
          stop: () =>
            new Promise<void>((r) => {
              child.once('close', () => {
                rmSync(dataDir, { recursive: true, force: true });
                r();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Captures a tool's output lines. */
export function captureIo(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}
