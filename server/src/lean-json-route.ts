// A lean path for a hot JSON route (dm_mac heartbeats on POST /api/machine/update): an onRequest
// hook of that one route reads the body, parses and validates it, runs the route's work and
// writes the JSON answer straight to the socket, skipping the rest of fastify's pipeline (the
// content-type parser's async resource, the pre-validation/pre-handler/handler promise chain,
// the response serializer and onSend hooks), which cost more than the route's own work.
//
// The route stays an ordinary fastify route: routing, 404/405, OpenAPI, `return503OnClosing`,
// the onRequest hooks before this one, and app.inject all go through it as before. Anything the
// lean path is not sure to handle exactly as fastify would (another content type, no or a zero
// Content-Length, chunked bodies, a body over the limit) is handed on untouched to the normal
// pipeline, whose handler does the same work. Errors go to the app's error handler with the
// same error objects fastify would raise (a body that cannot be read or parsed closes the
// connection as fastify does; validation errors carry `validation` and `validationContext`).
//
// What this hook skips, it skips for every request it answers: a header set by a later hook, an
// onSend hook or a response schema does not apply to these answers (lean-json-route.test.ts
// compares them with the normal pipeline's, headers included).
//
// No closure is made per request: a request's reading state hangs off its IncomingMessage and
// the listeners are module-level functions (under tsx every closure created also costs a
// `__name` property definition, a measurable share of a heartbeat).
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errors } from './errors.js';

/** Content types answered here (what fastify hands to the app's JSON parser, in their usual spelling). */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8']);

export interface LeanJsonRoute<B> {
  /** Largest body accepted (the route's bodyLimit); a larger Content-Length goes to fastify (413). */
  bodyLimit: number;
  /**
   * The route's work on a validated body: the answer (a JSON-shaped object sent as 200), or a
   * promise of it. Throws (or rejects with) the route's errors.
   */
  handle(body: B, request: FastifyRequest): object | Promise<object>;
}

/** Whether the lean path takes this request, from its headers alone. */
export function leanAccepts(headers: FastifyRequest['headers'], bodyLimit: number): boolean {
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

/** The route's answer, straight to the socket. */
function send(reply: FastifyReply, answer: object): void {
  const text = JSON.stringify(answer);
  reply.hijack();
  reply.raw.writeHead(200, ['content-type', CONTENT_TYPE, 'content-length', String(Buffer.byteLength(text))]);
  reply.raw.end(text);
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

/** One request being read. */
interface Reading {
  route: LeanJsonRoute<unknown>;
  request: FastifyRequest;
  reply: FastifyReply;
  done: Done;
  length: number;
  first: Buffer | null;
  more: Buffer[] | null;
  size: number;
}

const READING = Symbol('leanJsonReading');
type Raw = IncomingMessage & { [READING]?: Reading };

function onData(this: Raw, chunk: Buffer): void {
  const r = this[READING]!;
  if (r.first === null) r.first = chunk;
  else if (r.more === null) r.more = [r.first, chunk];
  else r.more.push(chunk);
  r.size += chunk.length;
}

function onEnd(this: Raw): void {
  const r = detach(this);
  if (r) finish(r);
}

function onError(this: Raw, err: Error & { statusCode?: number }): void {
  const r = detach(this);
  if (!r) return;
  // as fastify's body reader: a stream error is the client's (400), and the connection closes
  if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
  fail(r, err);
}

function detach(raw: Raw): Reading | undefined {
  const r = raw[READING];
  raw.removeListener('data', onData);
  raw.removeListener('end', onEnd);
  raw.removeListener('error', onError);
  raw[READING] = undefined;
  return r;
}

/** An error reading or parsing the body: the client may send more after it, so close. */
function fail(r: Reading, err: Error): void {
  void r.reply.header('connection', 'close');
  r.done(err);
}

function finish(r: Reading): void {
  if (r.size !== r.length) {
    fail(r, lengthMismatch());
    return;
  }
  const buf = r.more === null ? r.first! : Buffer.concat(r.more, r.size);
  const request = r.request;
  request.rawBody = buf;
  let body: unknown;
  try {
    body = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    fail(r, errors.badJson((e as Error).message));
    return;
  }
  request.body = body;
  const validate = request.getValidationFunction('body') as Validate | undefined;
  if (validate) {
    const ok = validate(body);
    if (ok !== true) {
      // an async schema is not this path's business: fastify's pipeline would await it
      r.done(ok === false ? validationError(validate.errors) : errors.badRequest('body: asynchronous validation is not supported here'));
      return;
    }
  }
  let answer: object | Promise<object>;
  try {
    answer = r.route.handle(body, request);
  } catch (e) {
    r.done(e as Error);
    return;
  }
  if (answer instanceof Promise) {
    const { reply, done } = r;
    answer.then(
      (a) => send(reply, a),
      (e: Error) => done(e),
    );
  } else {
    send(r.reply, answer);
  }
}

/** The onRequest hook of the route (register it last among the route's onRequest hooks). */
export function leanJsonRoute<B>(route: LeanJsonRoute<B>): onRequestHookHandler {
  return function leanJson(request, reply, done) {
    if (!leanAccepts(request.headers, route.bodyLimit)) {
      done();
      return;
    }
    const raw = request.raw as Raw;
    raw[READING] = {
      route: route as LeanJsonRoute<unknown>,
      request,
      reply,
      done: done as Done,
      length: Number(request.headers['content-length']),
      first: null,
      more: null,
      size: 0,
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
  };
}
