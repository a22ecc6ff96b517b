// Server-Sent Event streams of the fleet with bounded buffering. Every stream starts with a
// full snapshot, then gets one small message per machine that changed (rows are compared with
// what was last sent, so a touch that changed nothing sends nothing). A browser that stops
// reading never makes the server buffer without bound: a stream writes to its socket only while
// the socket's own buffer is below `highWaterBytes`, holds at most `maxQueued` messages
// (`maxQueuedBytes`) beyond that, and when it overflows it throws its queue away and, once the
// socket drains, sends one fresh snapshot instead. A stream that stays stuck for `stallMs` is
// closed (the browser's EventSource reconnects and starts with a snapshot).
import type { ServerResponse } from 'node:http';
import type { FleetFeed, FleetTouch } from './fleet-feed.js';

export interface HubSource<R> {
  /** The whole picture (first message of every stream, and after an overflow). */
  snapshot(): unknown;
  /** The current row of one machine, or null when it is not configured. */
  row(name: string): R | null;
  /** Every configured machine. */
  names(): string[];
}

export interface HubOptions {
  /** Socket buffer a stream writes into at most before queueing, bytes (16 KiB). */
  highWaterBytes?: number;
  /** Messages queued per stream at most (64). */
  maxQueued?: number;
  /** Bytes queued per stream at most (64 KiB). */
  maxQueuedBytes?: number;
  /** A stream whose socket has not drained for this long is closed, ms (60 s). */
  stallMs?: number;
  /** Comment line sent to every stream this often (keeps proxies and dead-peer detection going), ms (15 s). */
  heartbeatMs?: number;
  /** Hands each message to the hub instead of the system clock (tests). */
  now?: () => number;
}

export interface StreamStats {
  /** Messages waiting in the stream's own queue. */
  queued: number;
  queuedBytes: number;
  /** Bytes waiting in the socket's buffer (Node's writableLength). */
  socketBuffered: number;
  /** Highest of each seen over the stream's life. */
  peakQueued: number;
  peakQueuedBytes: number;
  peakSocketBuffered: number;
  /** Times the queue overflowed and was replaced by a snapshot. */
  overflows: number;
  snapshots: number;
  messages: number;
}

export interface HubStats {
  streams: number;
  /** Streams closed because they stayed stuck. */
  dropped: number;
  perStream: StreamStats[];
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

class SseStream {
  readonly stats: StreamStats = {
    queued: 0,
    queuedBytes: 0,
    socketBuffered: 0,
    peakQueued: 0,
    peakQueuedBytes: 0,
    peakSocketBuffered: 0,
    overflows: 0,
    snapshots: 0,
    messages: 0,
  };
  private queue: string[] = [];
  private queuedBytes = 0;
  private waiting = false;
  private stale = false;
  private waitingSince = 0;
  private poll: NodeJS.Timeout | null = null;
  closed = false;
  /** Closed by the server because it stayed stuck. */
  stalled = false;

  constructor(
    readonly res: ServerResponse,
    private readonly o: Required<Omit<HubOptions, 'now'>>,
    private readonly snapshot: () => string,
    private readonly now: () => number,
    private readonly onClose: (s: SseStream) => void,
  ) {
    res.on('drain', () => this.drained());
    res.on('close', () => this.close());
  }

  /** Queues or writes one message (never blocks, never grows past the bounds). */
  send(msg: string): void {
    if (this.closed) return;
    if (this.stale) return; // a snapshot follows the drain; this change is in it
    if (!this.waiting && this.queue.length === 0 && this.res.writableLength < this.o.highWaterBytes) {
      this.write(msg);
      return;
    }
    if (this.queue.length + 1 > this.o.maxQueued || this.queuedBytes + msg.length > this.o.maxQueuedBytes) {
      this.queue = [];
      this.queuedBytes = 0;
      this.stale = true;
      this.stats.overflows++;
      this.note();
      return;
    }
    this.queue.push(msg);
    this.queuedBytes += msg.length;
    this.note();
  }

  /** Comment line (heartbeat); also closes a stream that has been stuck too long. */
  ping(): void {
    if (this.closed) return;
    if (this.waiting && this.now() - this.waitingSince >= this.o.stallMs) {
      this.stalled = true;
      this.res.destroy();
      this.close();
      return;
    }
    if (!this.waiting && this.queue.length === 0 && !this.stale) this.write(': ping\n\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    this.queue = [];
    this.queuedBytes = 0;
    this.note();
    this.onClose(this);
  }

  private write(text: string): void {
    const ok = this.res.write(text);
    this.stats.messages++;
    if ((!ok || this.res.writableLength >= this.o.highWaterBytes) && !this.waiting) {
      this.waiting = true;
      this.waitingSince = this.now();
      // Node says 'drain' only after a write it refused; below its own mark, look again shortly.
      if (ok) this.watch();
    }
    this.note();
  }

  /** While the socket holds more than our mark but Node would not say 'drain': poll it. */
  private watch(): void {
    if (this.poll) return;
    this.poll = setInterval(() => {
      if (this.closed || !this.waiting) return this.unwatch();
      if (this.res.writableNeedDrain) return this.unwatch(); // 'drain' will come
      if (this.res.writableLength < this.o.highWaterBytes) {
        this.unwatch();
        this.drained();
      }
    }, 25);
    this.poll.unref();
  }

  private unwatch(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  private drained(): void {
    if (this.closed) return;
    this.unwatch();
    this.waiting = false;
    if (this.stale) {
      this.stale = false;
      this.stats.snapshots++;
      this.write(this.snapshot());
      return;
    }
    while (this.queue.length > 0 && !this.waiting && this.res.writableLength < this.o.highWaterBytes) {
      const msg = this.queue.shift() as string;
      this.queuedBytes -= msg.length;
      this.write(msg);
    }
    this.note();
  }

  private note(): void {
    const s = this.stats;
    s.queued = this.queue.length;
    s.queuedBytes = this.queuedBytes;
    s.socketBuffered = this.res.writableLength;
    if (s.queued > s.peakQueued) s.peakQueued = s.queued;
    if (s.queuedBytes > s.peakQueuedBytes) s.peakQueuedBytes = s.queuedBytes;
    if (s.socketBuffered > s.peakSocketBuffered) s.peakSocketBuffered = s.socketBuffered;
  }
}

export class SseHub<R> {
  private readonly streams = new Set<SseStream>();
  private readonly sent = new Map<string, string>();
  private readonly o: Required<Omit<HubOptions, 'now'>>;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private dropped = 0;
  private lastMeta = '';

  constructor(
    private readonly feed: FleetFeed,
    private readonly source: HubSource<R>,
    opts: HubOptions = {},
    private readonly meta: (() => unknown) | null = null,
  ) {
    this.o = {
      highWaterBytes: opts.highWaterBytes ?? 16 * 1024,
      maxQueued: opts.maxQueued ?? 64,
      maxQueuedBytes: opts.maxQueuedBytes ?? 64 * 1024,
      stallMs: opts.stallMs ?? 60_000,
      heartbeatMs: opts.heartbeatMs ?? 15_000,
    };
    this.now = opts.now ?? Date.now;
  }

  /** Takes over a response as an event stream (headers already written by the caller). */
  attach(res: ServerResponse): void {
    if (this.streams.size === 0) this.start();
    const stream = new SseStream(res, this.o, () => this.snapshotFrame(), this.now, (s) => {
      this.streams.delete(s);
      if (s.stalled) this.dropped++;
      if (this.streams.size === 0) this.stop();
    });
    this.streams.add(stream);
    res.write('retry: 2000\n\n');
    stream.stats.snapshots++;
    stream.send(this.snapshotFrame());
  }

  stats(): HubStats {
    return { streams: this.streams.size, dropped: this.dropped, perStream: Array.from(this.streams).map((s) => ({ ...s.stats })) };
  }

  /** Ends every stream and stops following the feed (server shutdown). */
  close(): void {
    for (const s of Array.from(this.streams)) {
      s.res.end();
      s.close();
    }
    this.stop();
  }

  private snapshotFrame(): string {
    const snap = this.source.snapshot();
    return frame('snapshot', snap);
  }

  private start(): void {
    this.sent.clear();
    for (const name of this.source.names()) {
      const r = this.source.row(name);
      if (r) this.sent.set(name, JSON.stringify(r));
    }
    this.lastMeta = this.meta ? JSON.stringify(this.meta()) : '';
    this.unsubscribe = this.feed.subscribe((t) => this.changed(t));
    this.heartbeat = setInterval(() => {
      for (const s of Array.from(this.streams)) s.ping();
    }, this.o.heartbeatMs);
    this.heartbeat.unref();
  }

  private stop(): void {
    if (this.unsubscribe) this.unsubscribe();
    this.unsubscribe = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private changed(touched: FleetTouch): void {
    const names = touched === 'all' ? this.source.names() : touched;
    const out: string[] = [];
    if (this.meta) {
      const m = JSON.stringify(this.meta());
      if (m !== this.lastMeta) {
        this.lastMeta = m;
        out.push(`event: meta\ndata: ${m}\n\n`);
      }
    }
    for (const name of names) {
      const r = this.source.row(name);
      if (!r) continue;
      const json = JSON.stringify(r);
      if (this.sent.get(name) === json) continue;
      this.sent.set(name, json);
      out.push(`event: machine\ndata: ${json}\n\n`);
    }
    if (out.length === 0) return;
    for (const s of Array.from(this.streams)) for (const msg of out) s.send(msg);
  }
}
