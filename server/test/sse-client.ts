// A raw Server-Sent Events client over a plain TCP socket, for the stream tests: it can stop
// reading (socket.pause(): the kernel buffers fill, then the server's) and start again.
import { connect, type Socket } from 'node:net';

export interface SseEvent {
  event: string;
  data: string;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers = '';
  bytes = 0;
  closed = false;
  private buf = '';
  private headerDone = false;
  readonly socket: Socket;

  constructor(port: number, path: string, cookie: string | null) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('connect', () => {
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n` + (cookie ? `Cookie: ${cookie}\r\n` : '') + '\r\n');
    });
    this.socket.on('data', (d: string) => this.feed(d));
    this.socket.on('close', () => {
      this.closed = true;
    });
    this.socket.on('error', () => {
      this.closed = true;
    });
  }

  private feed(d: string): void {
    this.bytes += Buffer.byteLength(d);
    this.buf += d;
    if (!this.headerDone) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.headers = this.buf.slice(0, end);
      this.status = Number(this.headers.split(' ')[1]);
      this.buf = this.buf.slice(end + 4);
      this.headerDone = true;
    }
    // chunked transfer: drop the chunk-size lines (hex on their own line)
    for (;;) {
      const end = this.buf.indexOf('\n\n');
      if (end < 0) break;
      const block = this.buf.slice(0, end);
      this.buf = this.buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) this.events.push({ event, data: data.join('\n') });
    }
  }

  /** Resolves when an event passes `pred` (rejects after `ms`). */
  async waitFor(pred: (e: SseEvent) => boolean, ms = 10_000, from = 0): Promise<SseEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.events.slice(from).find(pred);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no matching event within ${ms} ms; got ${this.events.map((e) => e.event).join(',')}`);
      if (this.closed) throw new Error('stream closed');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
