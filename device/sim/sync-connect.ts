// A synchronous TCP connect check for the simulator: the interpreter's http throws at once when a
// connection is refused or a host name does not resolve, so the simulated `end()` must know that
// before it returns. A worker thread tries the connect while the main thread waits on a shared
// flag (Atomics.wait): real loopback behaviour, no guessing.
import { Worker } from 'node:worker_threads';

export type ConnectOutcome = 'connected' | 'refused' | 'dns' | 'timeout';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const net = require('node:net');
parentPort.on('message', (m) => {
  const flag = new Int32Array(m.sab);
  let done = false;
  const s = net.connect({ host: m.host, port: m.port });
  const finish = (code) => {
    if (done) return;
    done = true;
    s.destroy();
    Atomics.store(flag, 0, code);
    Atomics.notify(flag, 0);
  };
  s.once('connect', () => finish(1));
  s.once('error', (e) => finish(e && (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') ? 3 : 2));
  s.setTimeout(m.timeoutMs, () => finish(4));
});
`;

const OUTCOMES: ConnectOutcome[] = ['timeout', 'connected', 'refused', 'dns', 'timeout'];

export class SyncConnector {
  private worker: Worker | null = null;
  /** Connect attempts made (for tests). */
  attempts = 0;

  constructor(private timeoutMs = 2000) {}

  private ensure(): Worker {
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true });
      this.worker.unref();
    }
    return this.worker;
  }

  /** Tries a TCP connect to host:port and returns how it went, blocking the caller. */
  check(host: string, port: number): ConnectOutcome {
    this.attempts++;
    const sab = new SharedArrayBuffer(4);
    const flag = new Int32Array(sab);
    this.ensure().postMessage({ host, port, sab, timeoutMs: this.timeoutMs });
    Atomics.wait(flag, 0, 0, this.timeoutMs + 1000);
    return OUTCOMES[Atomics.load(flag, 0)] || 'timeout';
  }

  close(): void {
    if (this.worker) void this.worker.terminate();
    this.worker = null;
  }
}
