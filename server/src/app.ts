// buildApp(deps): the fastify application with every route, one error handler turning every bad
// input into a 4xx JSON `{"error": ...}`, a JSON parser that keeps the raw body (unit signatures),
// OpenAPI + docs UI, metrics and the liveness timer; the services the routes get are built in
// services.ts. Nothing here reads the environment.
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { errors, isServerError, type ServerError } from './errors.js';
import { legacyRoutes } from './routes/legacy.js';
import { syncRoutes } from './routes/sync.js';
import { listRoutes } from './routes/list.js';
import { adminRoutes } from './routes/admin.js';
import { adminLogRoutes } from './routes/admin-log.js';
import { adminUsersRoutes } from './routes/admin-users.js';
import { adminUnitRoutes } from './routes/admin-units.js';
import { docsRoutes } from './routes/docs.js';
import { RouteMethods } from './route-methods.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { adminAdminsRoutes } from './routes/admin-admins.js';
import { slackCommandRoutes } from './routes/slack-commands.js';
import { eventLogFields, eventLogLine } from './logging.js';
import { createServices, type AppDeps, type AppServices } from './services.js';
import { FrontDoor } from './front-door.js';

export type { AppConfig, AppDeps, AppServices, DashboardServices } from './services.js';

/** fastify's logging without the two access-log lines per request (errors still logged). */
class EventsOnlyLogController extends LogController {
  override incomingRequest(): void {}
  override requestCompleted(): void {}
}

/** Longest path parameter the router accepts (fastify's default); longer: 414. */
const MAX_PARAM_LENGTH = 100;

/** What the HTTP parser found wrong with a request, from its error code. */
function clientErrorOf(code: string | undefined): ServerError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge();
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout();
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return errors.badHttp('invalid Content-Length (or Content-Length together with Transfer-Encoding)');
    case 'HPE_INVALID_CHUNK_SIZE':
      return errors.badHttp('invalid chunked body');
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return errors.badHttp('invalid Transfer-Encoding (only chunked, and never together with Content-Length)');
    case 'HPE_INVALID_METHOD':
      return errors.badHttp('unknown method');
    case 'HPE_INVALID_URL':
      return errors.badHttp('invalid request target');
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
      return errors.badHttp('invalid header');
    case 'HPE_INVALID_EOF_STATE':
      return errors.badHttp('connection closed before the whole body arrived');
    default:
      return errors.badHttp(`not an HTTP/1.1 request the server can read${code ? ` (${code})` : ''}`);
  }
}

/**
 * Answers a request the HTTP parser refused (no route ever sees it) with the usual JSON error.
 * Logs nothing: Node attaches the raw bytes (headers, credentials) to these errors.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const e = clientErrorOf(err.code);
    const body = JSON.stringify({ error: e.message, code: e.code });
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function validationMessage(err: FastifyError): string {
  const v = err.validation && err.validation[0];
  if (!v) return err.message;
  const where = `${err.validationContext ?? 'body'}${v.instancePath || ''}`;
  const p = v.params as { additionalProperty?: string; missingProperty?: string; allowedValues?: unknown[] };
  if (v.keyword === 'additionalProperties' && p.additionalProperty !== undefined) {
    return `${where}: unknown key "${p.additionalProperty}"`;
  }
  if (v.keyword === 'required' && p.missingProperty !== undefined) {
    return `${where}: missing required key "${p.missingProperty}"`;
  }
  if (v.keyword === 'enum' && Array.isArray(p.allowedValues)) {
    return `${where}: must be one of ${p.allowedValues.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  return `${where}: ${v.message ?? 'is invalid'}`;
}

/** The only body parser: JSON, keeping the raw bytes (unit signatures); empty or bad JSON is a 400. */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    req.rawBody = buf;
    if (buf.length === 0) {
      done(errors.badRequest('request body is empty: send a JSON document'), undefined);
      return;
    }
    try {
      done(null, JSON.parse(buf.toString('utf8')));
    } catch (e) {
      done(errors.badJson((e as Error).message), undefined);
    }
  });
}

/** One error handler: every error becomes a JSON `{"error", "code"}` answer (dm_mac routes: `{"error"}`). */
function installErrorHandler(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const legacy = request.routeOptions.config?.legacy === true;
    let status: number;
    let body: { error: string; code?: string; action_applied?: boolean; retry_after_s?: number };
    if (isServerError(err)) {
      status = err.statusCode;
      body = Object.assign({ error: err.message, code: err.code }, err.extra);
      if (err.extra.retry_after_s !== undefined) void reply.header('retry-after', String(err.extra.retry_after_s));
    } else if (err.validation) {
      status = 400;
      body = { error: validationMessage(err), code: 'BAD_REQUEST' };
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      body = { error: errors.bodyTooLarge(request.routeOptions.bodyLimit ?? bodyLimit).message, code: 'BODY_TOO_LARGE' };
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const type = String(request.headers['content-type'] ?? '');
      status = 415;
      body = { error: errors.unsupportedMediaType(type).message, code: 'UNSUPPORTED_MEDIA_TYPE' };
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // A plugin's own 4xx (the docs UI's file server answers "Forbidden" for any file it lacks).
      const e = errors.clientError(err.statusCode, err.message, `${request.method} ${request.url.split('?')[0]}`);
      status = e.statusCode;
      body = { error: e.message, code: e.code };
    } else {
      request.log.error({ err }, 'unhandled error');
      status = 500;
      body = { error: 'internal error', code: 'INTERNAL' };
    }
    // dm_mac's bodies carry only its keys; so does the save-timeout answer everywhere.
    if (legacy || body.code === 'SAVE_TIMEOUT' || body.code === 'SAVE_FAILED') delete body.code;
    void reply.code(status).type('application/json').send(body);
  });
}

/** A path that exists but not for this method: 405 with `Allow` (dm_mac answers so), not 404. */
function installNotFoundHandler(app: FastifyInstance): void {
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => {
    routes.add(route.url, route.method, route.config?.legacy === true);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allowed = routes.allowed(path);
    // A route that serves this method and still found nothing (the docs file server lacking a
    // file) is a 404, not a 405.
    const servedHere = allowed.methods.indexOf(request.method) >= 0 || (request.method === 'HEAD' && allowed.methods.indexOf('GET') >= 0);
    if (allowed.methods.length > 0 && !servedHere) {
      // a GET route answers HEAD too; OPTIONS answers with the list
      const served = new Set(allowed.methods);
      if (served.has('GET')) served.add('HEAD');
      const methods = Array.from(served).sort();
      void reply.header('allow', Array.from(served.add('OPTIONS')).sort().join(', '));
      if (request.method === 'OPTIONS') {
        void reply.code(200).send();
        return;
      }
      const e = errors.methodNotAllowed(request.method, path, methods);
      void reply.code(405).type('application/json').send(allowed.legacy ? { error: e.message } : { error: e.message, code: e.code });
      return;
    }
    const e = errors.routeNotFound(request.method, path);
    void reply.code(404).type('application/json').send({ error: e.message, code: e.code });
  });
}

/** OpenAPI and its UI, then every route plugin (the order is the order of the OpenAPI document). */
async function registerRoutes(app: FastifyInstance, services: AppServices): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'fobgate server',
        description:
          'Machine access control: dm_mac-compatible legacy API, fobgate unit sync (HMAC-signed), admin API (Bearer token).',
        version: '0.1.0',
      },
      components: {
        securitySchemes: { admin: { type: 'http', scheme: 'bearer' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(docsRoutes, { services });
  await app.register(legacyRoutes, { services });
  await app.register(syncRoutes, { services });
  await app.register(listRoutes, { services });
  await app.register(adminRoutes, { services });
  await app.register(adminLogRoutes, { services });
  await app.register(adminUsersRoutes, { services });
  await app.register(adminUnitRoutes, { services });
  await app.register(adminAdminsRoutes, { services });
  await app.register(dashboardRoutes, { services });
  await app.register(slackCommandRoutes, { services });
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // the event log's threads start before the first request needs them
  await deps.events.ready();
  const { services, close: closeServices } = await createServices(deps);
  const { core } = services;
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  // heartbeats are answered ahead of fastify's router (front-door.ts), unless every request is logged
  const frontDoor = new FrontDoor(deps.accessLog !== true);

  const app = Fastify({
    logger: deps.logger ?? false,
    logController: deps.accessLog === true ? new LogController() : new EventsOnlyLogController(),
    // Without the access log a request's log lines are rare (errors): they use the app's logger
    // instead of a child logger built for every request (a few % of a heartbeat's CPU).
    ...(deps.accessLog === true ? {} : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
    bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: true } },
    return503OnClosing: true,
    // Errors the router raises before any route is matched (bad %-escapes, an overlong path
    // parameter) get the same `{"error", "code"}` body as everything else instead of fastify's.
    frameworkErrors: (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const url = request.url.split('?')[0];
      const e =
        err.code === 'FST_ERR_BAD_URL'
          ? errors.badUrl(url.length > 200 ? url.slice(0, 200) + '…' : url)
          : err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? errors.urlTooLong(MAX_PARAM_LENGTH)
            : errors.badRequest(err.message);
      void reply.code(e.statusCode).type('application/json').send({ error: e.message, code: e.code });
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler,
    serverFactory: frontDoor.serverFactory,
  });

  app.decorate('fobgate', services);
  app.decorate('frontDoor', frontDoor);
  app.addHook('onRequest', function stampReceivedAt(request, _reply, done) {
    request.receivedAt = performance.now();
    done();
  });
  app.addHook('onRoute', (route) => {
    const lean = route.config?.lean;
    if (lean === undefined) return;
    if (route.method !== 'POST') throw new Error(`${route.url}: the front door answers POST routes only`);
    frontDoor.addPost(route.url, lean);
  });
  // fastify answers 503 from here on (return503OnClosing): the front door hands everything to it
  app.addHook('preClose', (done) => {
    frontDoor.closing = true;
    done();
  });
  // One line per meaningful event (what the audit log records: logins, oopses, lockouts,
  // offline/online, unit housekeeping), never per heartbeat.
  core.onEvent = (e) => app.log.info(eventLogFields(e), eventLogLine(e));
  core.onWarning = (fields, message) => app.log.warn(fields, message);
  installJsonParser(app);
  installErrorHandler(app, bodyLimit);
  installNotFoundHandler(app);
  await registerRoutes(app, services);

  const tick = setInterval(() => core.tick(), deps.tickMs ?? 5000);
  tick.unref();

  app.addHook('onClose', async () => {
    clearInterval(tick);
    await closeServices();
    try {
      await deps.store.close();
    } finally {
      await deps.events.close().catch(() => undefined);
      deps.notifier.close();
    }
  });

  await app.ready();
  return app;
}

// What a host needs besides buildApp to run the app (the device end-to-end tests import these by
// package name).
export { Store } from './store.js';
export { EventLog } from './event-log.js';
export { createNotifier } from './webhook-notifier.js';
