// Runs a test file inside its own network namespace with only loopback up, so the interpreter's
// fixed telnet port (2323) and everything that talks to it (the espruino CLI, the server) are
// private to this file: other test processes and worktrees on the machine cannot collide with
// it, and nothing in it can reach the internet (the flash tool must work on an offline laptop).
// It is also its own PID namespace: when the file's process ends, however it ends, the kernel
// ends every process it started (an orphaned interpreter would otherwise spin on a closed stdin).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MARK = 'FOBGATE_IN_OWN_NETNS';

/**
 * In the namespace: returns. Outside: re-runs `fileUrl` there (unshare --net --pid, then
 * `ip link set lo up`), passes its output through and exits with its status.
 */
export function runInOwnNetns(fileUrl: string): void {
  if (process.env[MARK] === '1') return;
  const file = fileURLToPath(fileUrl);
  const r = spawnSync('unshare', ['--net', '--pid', '--fork', '--kill-child', 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns', process.execPath, ...process.execArgv, file], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: '1' },
  });
  if (r.error || r.status === null) {
    console.log(`FAIL: could not run ${file} in its own network namespace (unshare --net --pid, as root, and iproute2's ip are needed): ${r.error ? r.error.message : 'killed by ' + r.signal}`);
    process.exit(1);
  }
  process.exit(r.status);
}
