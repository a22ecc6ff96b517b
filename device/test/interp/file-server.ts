// A loopback HTTP server that hands files to a unit in the real interpreter piece by piece, so
// the firmware (100 KB) reaches Storage without a long console line (the interpreter's console
// input loses or chokes on large writes). GET /<name>?o=<offset>&n=<bytes> -> those bytes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FileServer {
  private files = new Map<string, Buffer>();
  private server: Server | null = null;
  port = 0;
  /** Requests served (for tests of the bootstrap itself). */
  served = 0;
  /** Tests of the bootstrap: this many of the next requests are held, never answered (a hung request). */
  holdNext = 0;

  set(name: string, data: Buffer | string): void {
    this.files.set(name, typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  size(name: string): number {
    const f = this.files.get(name);
    return f ? f.length : -1;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => {
      if (this.holdNext > 0) {
        this.holdNext--;
        return;
      }
      const url = new URL(req.url || '/', 'http://127.0.0.1');
      const name = decodeURIComponent(url.pathname.substring(1));
      const file = this.files.get(name);
      if (!file) {
        res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' });
        res.end('no file ' + name);
        return;
      }
      const o = Math.max(0, Number(url.searchParams.get('o')) || 0);
      const n = Math.max(1, Number(url.searchParams.get('n')) || 1024);
      const piece = file.subarray(o, Math.min(file.length, o + n));
      this.served++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(piece.length), connection: 'close' });
      res.end(piece);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
