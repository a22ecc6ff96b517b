// A lean path for a hot JSON route (dm_mac heartbeats on POST /api/machine/update): the body is
// read, parsed and validated, the route's work runs and the JSON answer is written straight to
// the socket, skipping fastify's pipeline (the content-type parser's async resource, the
// pre-validation/pre-handler/handler promise chain, the response serializer and onSend hooks),
// which cost more than the route's own work.
//
// A LeanJsonRoute is taken on two ways:
// - ahead of fastify, by the front door (front-door.ts): a request listener on the node:http
//   server that answers the route's successful requests itself and hands every other request to
//   fastify untouched, or, when the body it read fails (bad JSON, validation, a 4xx of the
//   route's work) or the work must wait for a save, hands the request to fastify *with what it
//   read*: the route's onRequest hook below then finishes it as if it had read it itself;
// - as an onRequest hook of the route (`hook`), for requests the front door does not take
//   (app.inject, the first request of the route, the access log on).
// Anything the lean path is not sure to handle exactly as fastify would (another content type,
// no or a zero Content-Length, chunked bodies, a body over the limit) goes to the normal
// pipeline, whose handler does the same work. Errors go to the app's error handler with the
// same error objects fastify would raise (a body that cannot be read or parsed closes the
// connection as fastify does; validation errors carry `validation` and `validationContext`).
//
// What the lean path skips, it skips for every request it answers: a header set by a later hook,
// an onSend hook or a response schema does not apply to these answers (lean-json-route.test.ts
// compares them with the normal pipeline's, headers included, and pins the route's hooks).
//
// No closure is made per request: a request's reading state hangs off its IncomingMessage and
// the listeners are module-level functions (under tsx every closure created also costs a
// `__name` property definition, a measurable share of a heartbeat).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errors } from './errors.js';

/** Content types answered here (what fastify hands to the app's JSON parser, in their usual spelling). */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

/** The route's work on a validated body: the answer (sent as 200), or a promise of it; throws the route's errors. */
export type LeanHandle<B> = (body: B, receivedAt: number | undefined) => object | Promise<object>;

/** Whether the lean path takes this request, from its headers alone. */
export function leanAccepts(headers: IncomingMessage['headers'], bodyLimit: number): boolean {
  const type = headers['content-type'];
  if (type === undefined || !(JSON_TYPES.has(type) || JSON_TYPES.has(type.toLowerCase()))) return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length === undefined) return false;
  const n = Number(length);
  return Number.isInteger(n) && n > 0 && n <= bodyLimit;
}

/** The answer's headers are fastify's own for a JSON answer. */
const CONTENT_TYPE = 'application/json; charset=utf-8';

/** An answer as it goes out: its JSON text and the response headers that carry it. */
interface Encoded {
  text: string;
  headers: string[];
}

/**
 * Answers the route froze (a quiet heartbeat's answer, given again and again while nothing
 * changes), encoded once: frozen, they can never say anything else.
 */
const frozenAnswers = new WeakMap<object, Encoded>();

function encode(answer: object): Encoded {
  const text = JSON.stringify(answer);
  return { text, headers: ['content-type', CONTENT_TYPE, 'content-length', String(Buffer.byteLength(text))] };
}

function encoded(answer: object): Encoded {
  if (!Object.isFrozen(answer)) return encode(answer);
  let e = frozenAnswers.get(answer);
  if (e === undefined) {
    e = encode(answer);
    frozenAnswers.set(answer, e);
  }
  return e;
}

/** The route's answer, straight to the socket. */
function write(res: ServerResponse, answer: object): void {
  const e = encoded(answer);
  res.writeHead(200, e.headers);
  res.end(e.text);
}

function send(reply: FastifyReply, answer: object): void {
  reply.hijack();
  write(reply.raw, answer);
}

/** A validation failure as fastify raises it (the app's error handler words it). */
function validationError(validation: unknown): Error {
  return Object.assign(new Error('body validation failed'), { statusCode: 400, code: 'FST_ERR_VALIDATION', validation, validationContext: 'body' });
}

/** fastify's error for a body whose length is not its Content-Length. */
function lengthMismatch(): Error {
  return Object.assign(new Error('Request body size did not match Content-Length'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' });
}

type Validate = ((data: unknown) => boolean | Promise<unknown>) & { errors?: unknown };
type Done = (err?: Error) => void;
/** fastify's own request handler (what the front door hands requests to). */
export type Fastify = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * What the front door read of a request it hands to fastify: the body, and the outcome the
 * route's hook must give (an error, or the answer the route's work promised).
 */
interface Handed {
  raw: Buffer;
  body: unknown;
  /** The body could not be read or parsed: the connection closes after the error. */
  close: boolean;
  error: Error | null;
  pending: Promise<object> | null;
}

/** One request being read, by the route's hook (request, reply, done) or the front door (res, fastify). */
interface Reading {
  route: LeanJsonRoute<unknown>;
  receivedAt: number | undefined;
  request: FastifyRequest | null;
  reply: FastifyReply | null;
  done: Done | null;
  res: ServerResponse | null;
  fastify: Fastify | null;
  length: number;
  first: Buffer | null;
  more: Buffer[] | null;
  size: number;
}

const READING = Symbol('leanJsonReading');
const HANDED = Symbol('leanJsonHanded');
type Raw = IncomingMessage & { [READING]?: Reading; [HANDED]?: Handed };

function onData(this: Raw, chunk: Buffer): void {
  const r = this[READING]!;
  if (r.first === null) r.first = chunk;
  else if (r.more === null) r.more = [r.first, chunk];
  else r.more.push(chunk);
  r.size += chunk.length;
}

function onEnd(this: Raw): void {
  const r = detach(this);
  if (r) finish(this, r);
}

function onError(this: Raw, err: Error & { statusCode?: number }): void {
  const r = detach(this);
  if (!r) return;
  // as fastify's body reader: a stream error is the client's (400), and the connection closes
  if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
  fail(this, r, null, undefined, err, true);
}

/**
 * The reading of `raw` is over. Its listeners stay (removing three costs more than they do on a
 * finished request): `data` cannot come after `end`, and a later `error` finds no reading.
 */
function detach(raw: Raw): Reading | undefined {
  const r = raw[READING];
  raw[READING] = undefined;
  return r;
}

/**
 * The request fails with `err` (`close`: the client may send more after it, so the connection
 * closes). On the hook, to the app's error handler; at the front door, to fastify with the body.
 */
function fail(raw: Raw, r: Reading, buf: Buffer | null, body: unknown, err: Error, close: boolean): void {
  if (r.done !== null) {
    if (close) void r.reply!.header('connection', 'close');
    r.done(err);
    return;
  }
  raw[HANDED] = { raw: buf ?? Buffer.alloc(0), body, close, error: err, pending: null };
  r.fastify!(raw, r.res!);
}

function finish(raw: Raw, r: Reading): void {
  if (r.size !== r.length) {
    fail(raw, r, null, undefined, lengthMismatch(), true);
    return;
  }
  const buf = r.more === null ? r.first! : Buffer.concat(r.more, r.size);
  let body: unknown;
  try {
    body = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    fail(raw, r, buf, undefined, errors.badJson((e as Error).message), true);
    return;
  }
  const request = r.request;
  if (request !== null) {
    request.rawBody = buf;
    request.body = body;
  }
  const validate = r.route.validate;
  if (validate) {
    const ok = validate(body);
    if (ok !== true) {
      // an async schema is not this path's business: fastify's pipeline would await it
      const err = ok === false ? validationError(validate.errors) : errors.badRequest('body: asynchronous validation is not supported here');
      fail(raw, r, buf, body, err, false);
      return;
    }
  }
  let answer: object | Promise<object>;
  try {
    answer = r.route.handle(body, r.receivedAt);
  } catch (e) {
    fail(raw, r, buf, body, e as Error, false);
    return;
  }
  if (!(answer instanceof Promise)) {
    if (r.reply !== null) send(r.reply, answer);
    else write(r.res!, answer);
  } else if (r.reply !== null) {
    const { reply, done } = r;
    answer.then(
      (a) => send(reply, a),
      (e: Error) => done!(e),
    );
  } else {
    // a change waiting for its save: fastify's pipeline answers it (rare, and its errors are
    // the app error handler's)
    raw[HANDED] = { raw: buf, body, close: false, error: null, pending: answer };
    r.fastify!(raw, r.res!);
  }
}

function startReading(raw: Raw, r: Reading): void {
  raw[READING] = r;
  raw.on('data', onData);
  raw.on('end', onEnd);
  raw.on('error', onError);
}

/** A hot JSON route answered on the lean path (see the header). */
export class LeanJsonRoute<B> {
  /**
   * The route's compiled body schema, as fastify compiled it: unknown until the route's hook has
   * seen a request (the front door hands the route's requests to fastify until then); null: the
   * route has no body schema.
   */
  validate: Validate | null | undefined = undefined;
  /** The route's onRequest hook (register it last among the route's onRequest hooks). */
  readonly hook: onRequestHookHandler;

  /**
   * @param bodyLimit largest body accepted (the route's bodyLimit); a larger Content-Length goes
   *   to fastify (413)
   * @param handle the route's work (its handler does the same for requests the lean path hands on)
   */
  constructor(
    readonly bodyLimit: number,
    readonly handle: LeanHandle<B>,
  ) {
    const route = this as LeanJsonRoute<unknown>;
    this.hook = function leanJson(request, reply, done) {
      if (route.validate === undefined) route.validate = (request.getValidationFunction('body') as Validate | undefined) ?? null;
      const raw = request.raw as Raw;
      const handed = raw[HANDED];
      if (handed !== undefined) {
        raw[HANDED] = undefined;
        takeOver(request, reply, done as Done, handed);
        return;
      }
      if (!leanAccepts(request.headers, route.bodyLimit)) {
        done();
        return;
      }
      startReading(raw, {
        route,
        receivedAt: request.receivedAt,
        request,
        reply,
        done: done as Done,
        res: null,
        fastify: null,
        length: Number(request.headers['content-length']),
        first: null,
        more: null,
        size: 0,
      });
    };
  }

  /**
   * The front door's part: reads and answers `req` if the lean path takes it; false (nothing
   * touched) if fastify must have it.
   */
  take(req: IncomingMessage, res: ServerResponse, fastify: Fastify, receivedAt: number): boolean {
    if (this.validate === undefined || !leanAccepts(req.headers, this.bodyLimit)) return false;
    startReading(req as Raw, {
      route: this as LeanJsonRoute<unknown>,
      receivedAt,
      request: null,
      reply: null,
      done: null,
      res,
      fastify,
      length: Number(req.headers['content-length']),
      first: null,
      more: null,
      size: 0,
    });
    return true;
  }
}

/** The route's hook finishing a request the front door read and handed on. */
function takeOver(request: FastifyRequest, reply: FastifyReply, done: Done, h: Handed): void {
  request.rawBody = h.raw;
  if (h.body !== undefined) request.body = h.body;
  if (h.error !== null) {
    if (h.close) void reply.header('connection', 'close');
    done(h.error);
    return;
  }
  h.pending!.then(
    (a) => send(reply, a),
    (e: Error) => done(e),
  );
}
