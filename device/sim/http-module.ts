// The interpreter's `require("http")` for the simulator, over node:http. Reproduces its traits:
// the connection is made at the first write()/end() and a refused connection or unknown host
// THROWS there synchronously; no timeout and no abort; the response callback gets statusCode as a
// string and headers as sent; data arrives as 8-bit string chunks, then 'end' and 'close'.
// Tests can watch every exchange and tamper with or withhold answers (a man in the middle).
import http from 'node:http';
import type { SimClock } from './clock.js';
import { SyncConnector } from './sync-connect.js';

/** Bytes per 'data' event (the ESP32 network's chunk size). */
export const HTTP_CHUNK = 536;

export interface HttpExchange {
  seq: number;
  /** Virtual ms when the firmware sent it. */
  t: number;
  real: number;
  method: string;
  host: string;
  port: number;
  path: string;
  headers: { [k: string]: string };
  body: string;
  outcome: 'pending' | 'refused' | 'dns' | 'offline' | 'ok' | 'error' | 'withheld';
  status?: number;
  responseHeaders?: { [k: string]: string };
  responseBody?: string;
  /** Virtual ms when the answer was handed to the firmware. */
  answeredAt?: number;
  /** Global order number of that moment. */
  answeredSeq?: number;
  error?: string;
}

export interface InterceptedResponse {
  status: number;
  headers: { [k: string]: string };
  body: string;
}

/** Returns a changed response, or 'withhold' to never answer (a server that hangs). */
export type ResponseHook = (ex: HttpExchange, res: InterceptedResponse) => InterceptedResponse | 'withhold';

export interface HttpRealm {
  error(message: string): Error;
  object(): { [k: string]: unknown };
}

type Listener = (...args: unknown[]) => void;

class Emitter {
  private listeners: { [ev: string]: Listener[] } = {};
  on(ev: unknown, fn: unknown): this {
    if (typeof fn !== 'function') return this;
    const k = String(ev);
    (this.listeners[k] = this.listeners[k] || []).push(fn as Listener);
    return this;
  }
  removeAllListeners(ev?: unknown): this {
    if (ev === undefined) this.listeners = {};
    else delete this.listeners[String(ev)];
    return this;
  }
  emit(ev: string, ...args: unknown[]): void {
    for (const fn of (this.listeners[ev] || []).slice()) fn.apply(this, args);
  }
}

/** The response object handed to the firmware's callback (httpCRs). */
export class SimHttpResponse extends Emitter {
  statusCode = '';
  statusMessage = '';
  httpVersion = '1.1';
  headers: { [k: string]: unknown } = {};
}

/** The request object http.request returns (httpCRq). */
export class SimHttpRequest extends Emitter {
  private chunks: string[] = [];
  private started = false;
  private ended = false;
  constructor(private mod: SimHttpModule, readonly options: { [k: string]: unknown }, readonly cb: (res: SimHttpResponse) => void) {
    super();
  }
  write(data?: unknown): boolean {
    if (this.ended) throw this.mod.realm.error('httpCRq.write: request already ended');
    if (data !== undefined) this.chunks.push(typeof data === 'string' ? data : String(data));
    if (!this.started) {
      this.started = true;
      this.mod.connect(this, this.chunks.join(''));
    }
    return true;
  }
  end(data?: unknown): void {
    if (this.ended) return;
    this.mod.ramCheck('httpCRq.end', data);
    if (data !== undefined) this.chunks.push(typeof data === 'string' ? data : String(data));
    if (!this.started) {
      this.started = true;
      this.mod.connect(this, this.chunks.join(''));
    }
    this.ended = true;
    this.mod.send(this, this.chunks.join(''));
  }
}

export class SimHttpModule {
  readonly log: HttpExchange[] = [];
  readonly connector = new SyncConnector();
  /** Problems with requests a real server would misread (missing Content-Length...). */
  readonly violations: string[] = [];
  hook: ResponseHook | null = null;
  /** Checks a request body against the variable store (set by the globals; see ram-model.ts). */
  ramCheck: (what: string, data: unknown) => void = () => {};
  /** False: the network is down: connects fail like a refused connection. */
  online = true;
  /** Whether the board's network link is up (the unit wires this to its Wi-Fi station). */
  linkUp: () => boolean = () => true;
  /** Bumped on reboot: answers to requests of an earlier boot are dropped. */
  private generation = 0;
  private conn = new WeakMap<SimHttpRequest, { ex: HttpExchange; gen: number; ok: boolean }>();
  private live = new Set<http.ClientRequest>();

  constructor(private clock: SimClock, public realm: HttpRealm, private nextSeq: () => number) {}

  /** http.request(options, callback) as the firmware sees it. */
  request(options: unknown, cb: unknown): SimHttpRequest {
    let opts: { [k: string]: unknown };
    if (typeof options === 'string') {
      const u = new URL(options);
      opts = { host: u.hostname, port: u.port ? Number(u.port) : 80, path: u.pathname + u.search, method: 'GET' };
    } else if (options && typeof options === 'object') opts = options as { [k: string]: unknown };
    else throw this.realm.error('http.request: expecting options to be an object');
    if (typeof cb !== 'function') throw this.realm.error('http.request: expecting a callback function');
    return new SimHttpRequest(this, opts, cb as (res: SimHttpResponse) => void);
  }

  /** Called at the first write/end: connect now, throwing like the interpreter on failure. */
  connect(req: SimHttpRequest, bodySoFar: string): void {
    const o = req.options;
    const headers: { [k: string]: string } = {};
    if (o.headers && typeof o.headers === 'object') for (const k of Object.keys(o.headers as object)) headers[k] = String((o.headers as { [k: string]: unknown })[k]);
    const ex: HttpExchange = {
      seq: this.nextSeq(),
      t: this.clock.now,
      real: performance.now(),
      method: String(o.method || 'GET').toUpperCase(),
      host: o.host === undefined ? 'localhost' : String(o.host),
      port: Number(o.port) || 80,
      path: o.path === undefined ? '/' : String(o.path),
      headers,
      body: bodySoFar,
      outcome: 'pending',
    };
    this.log.push(ex);
    if (this.log.length > 5000) this.log.splice(0, 2500);
    if (!this.online || !this.linkUp()) {
      ex.outcome = 'offline';
      throw this.realm.error('Unable to create socket');
    }
    const r = this.connector.check(ex.host, ex.port);
    if (r === 'dns') {
      ex.outcome = 'dns';
      throw this.realm.error('Unable to locate host');
    }
    if (r === 'refused') {
      ex.outcome = 'refused';
      throw this.realm.error('Unable to create socket');
    }
    this.conn.set(req, { ex, gen: this.generation, ok: true });
  }

  /**
   * Checks a JSON body against the wire contract: ASCII only (Node bytes == the chip's 8-bit
   * string) and integers only (the interpreter's JSON.stringify is lossy for fractions).
   */
  private checkWire(ex: HttpExchange, body: string): void {
    if (/[^\x00-\x7f]/.test(body)) this.violations.push(ex.method + ' ' + ex.path + ': non-ASCII character in the body');
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      return;
    }
    const walk = (v: unknown, path: string): void => {
      if (typeof v === 'number' && !Number.isInteger(v)) this.violations.push(ex.method + ' ' + ex.path + ': non-integer number ' + v + ' at ' + (path || '/') + ' (lossy on the chip)');
      else if (v && typeof v === 'object') for (const k of Object.keys(v as object)) walk((v as { [k: string]: unknown })[k], path + '/' + k);
    };
    walk(data, '');
  }

  /** Sends the request once end() was called and delivers the answer through the clock's queue. */
  send(req: SimHttpRequest, body: string): void {
    const c = this.conn.get(req);
    if (!c) return;
    const ex = c.ex;
    ex.body = body;
    this.checkWire(ex, body);
    const lower: { [k: string]: string } = {};
    for (const k of Object.keys(ex.headers)) lower[k.toLowerCase()] = ex.headers[k];
    const bytes = Buffer.from(body, 'latin1');
    let payload = bytes;
    const sendHeaders: { [k: string]: string } = { 'User-Agent': 'Espruino 2v29', Connection: 'close' };
    for (const k of Object.keys(ex.headers)) sendHeaders[k] = ex.headers[k];
    if (lower['content-length'] === undefined) {
      if (bytes.length > 0) this.violations.push(ex.method + ' ' + ex.path + ': body sent without Content-Length (a server reads an empty body)');
      payload = Buffer.alloc(0);
      sendHeaders['Content-Length'] = '0';
    } else if (Number(lower['content-length']) !== bytes.length) {
      this.violations.push(ex.method + ' ' + ex.path + ': Content-Length ' + lower['content-length'] + ' but ' + bytes.length + ' bytes sent');
      payload = bytes.subarray(0, Math.min(bytes.length, Number(lower['content-length']) || 0));
      for (const k of Object.keys(sendHeaders)) if (k.toLowerCase() === 'content-length') delete sendHeaders[k];
      sendHeaders['Content-Length'] = String(payload.length);
    }
    let resolveDone: () => void = () => {};
    const work = { done: new Promise<void>((r) => { resolveDone = r; }), stalled: false };
    this.clock.track(work);
    const nreq = http.request({ host: ex.host, port: ex.port, path: ex.path, method: ex.method, headers: sendHeaders, agent: false, setHost: true });
    this.live.add(nreq);
    nreq.on('response', (nres) => {
      const parts: Buffer[] = [];
      nres.on('data', (d: Buffer) => parts.push(d));
      nres.on('end', () => {
        this.live.delete(nreq);
        const hdrs: { [k: string]: string } = {};
        for (let i = 0; i + 1 < nres.rawHeaders.length; i += 2) hdrs[nres.rawHeaders[i]] = nres.rawHeaders[i + 1];
        let resp: InterceptedResponse = { status: nres.statusCode || 0, headers: hdrs, body: Buffer.concat(parts).toString('latin1') };
        if (this.hook) {
          const h = this.hook(ex, resp);
          if (h === 'withhold') {
            ex.outcome = 'withheld';
            resolveDone();
            return;
          }
          resp = h;
        }
        ex.status = resp.status;
        ex.responseHeaders = resp.headers;
        ex.responseBody = resp.body;
        this.deliver(req, c.gen, resp, nres.statusMessage || '');
        resolveDone();
      });
      nres.on('error', (e) => this.fail(req, c.gen, nreq, e, resolveDone));
    });
    nreq.on('error', (e) => this.fail(req, c.gen, nreq, e, resolveDone));
    nreq.end(payload);
  }

  private fail(req: SimHttpRequest, gen: number, nreq: http.ClientRequest, e: Error, done: () => void): void {
    this.live.delete(nreq);
    const c = this.conn.get(req);
    if (c && c.ex.outcome === 'pending') {
      c.ex.outcome = 'error';
      c.ex.error = e.message;
    }
    if (gen === this.generation) {
      this.clock.post(() => {
        const err = this.realm.object();
        err.code = -7;
        err.message = 'no response';
        req.emit('error', err);
      });
    }
    done();
  }

  private deliver(req: SimHttpRequest, gen: number, resp: InterceptedResponse, statusMessage: string): void {
    if (gen !== this.generation) return;
    const c = this.conn.get(req)!;
    const res = new SimHttpResponse();
    res.statusCode = String(resp.status);
    res.statusMessage = statusMessage;
    const h = this.realm.object();
    for (const k of Object.keys(resp.headers)) h[k] = resp.headers[k];
    res.headers = h;
    this.clock.post(() => {
      if (gen !== this.generation) return;
      c.ex.outcome = 'ok';
      c.ex.answeredAt = this.clock.now;
      c.ex.answeredSeq = this.nextSeq();
      req.cb(res);
    });
    for (let i = 0; i < resp.body.length; i += HTTP_CHUNK) {
      const part = resp.body.substring(i, i + HTTP_CHUNK);
      this.clock.post(() => {
        if (gen === this.generation) res.emit('data', part);
      });
    }
    this.clock.post(() => {
      if (gen !== this.generation) return;
      res.emit('end');
      res.emit('close', false);
    });
  }

  /** A reboot: open connections are dropped and late answers never reach the new program. */
  reset(): void {
    this.generation++;
    for (const r of this.live) r.destroy();
    this.live.clear();
  }

  close(): void {
    this.reset();
    this.connector.close();
  }
}
