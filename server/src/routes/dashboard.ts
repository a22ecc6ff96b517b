// The web dashboard, on the server's own port: `/` (the page; signs in with an admin token),
// its assets, the session API (sign in / who am I / sign out), the fleet snapshot and its live
// event stream, and the optional read-only status board at /board. Everything the dashboard
// changes or reads besides the fleet goes through the admin API (/api/admin/*) with the session
// cookie and CSRF header, so the rules are the API's own. Every answer here carries the
// security headers (dashboard/headers.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { SESSION_COOKIE, type DashboardSession } from '../dashboard/sessions.js';
import { SECURITY_HEADERS, setSecurityHeaders } from '../dashboard/headers.js';
import { loadAssets } from '../dashboard/assets.js';
import { SseHub } from '../dashboard/sse-hub.js';
import type { DashRow, BoardRow } from '../dashboard/fleet-view.js';
import { errorResponses } from './schemas.js';

/** Failed sign-ins one address may make per window before it must wait. */
const SIGNIN_FAILURES = 10;
const SIGNIN_WINDOW_MS = 15 * 60_000;

const tags = ['dashboard'];

/** Failed sign-ins per address within the window: past the limit, sign-in waits. */
class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();
  constructor(private readonly clock: () => number) {}

  tooMany(ip: string): boolean {
    const f = this.failures.get(ip);
    if (!f) return false;
    if (this.clock() - f.since >= SIGNIN_WINDOW_MS) {
      this.failures.delete(ip);
      return false;
    }
    return f.count >= SIGNIN_FAILURES;
  }

  failed(ip: string): void {
    const f = this.failures.get(ip);
    if (f && this.clock() - f.since < SIGNIN_WINDOW_MS) f.count++;
    else {
      if (this.failures.size > 10_000) this.failures.clear();
      this.failures.set(ip, { count: 1, since: this.clock() });
    }
  }

  succeeded(ip: string): void {
    this.failures.delete(ip);
  }
}

/** The open event streams, per session: ended when it signs out or reaches its lifetime. */
class SessionStreams {
  private readonly streamsOf = new Map<string, Set<ServerResponse>>();
  constructor(
    private readonly clock: () => number,
    private readonly maxMs: number,
  ) {}

  /** Ends the streams of one session. */
  end(key: string): void {
    const set = this.streamsOf.get(key);
    if (!set) return;
    this.streamsOf.delete(key);
    for (const res of set) res.end();
  }

  /** Takes over the reply as an event stream of `hub`; a session's stream ends with the session. */
  open(reply: FastifyReply, hub: SseHub<unknown>, session: DashboardSession | null): void {
    reply.hijack();
    const res = reply.raw;
    setSecurityHeaders(res);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.socket?.setNoDelay(true);
    hub.attach(res);
    if (session) this.follow(res, session);
  }

  private follow(res: ServerResponse, session: DashboardSession): void {
    const clock = this.clock;
    let set = this.streamsOf.get(session.key);
    if (!set) this.streamsOf.set(session.key, (set = new Set()));
    set.add(res);
    // The stream ends with the session's absolute lifetime (an open page keeps it from idling).
    const left = Math.max(0, session.created + this.maxMs - clock());
    const timer = setTimeout(() => res.end(), left);
    timer.unref();
    res.on('close', () => {
      clearTimeout(timer);
      const s = this.streamsOf.get(session.key);
      if (s) {
        s.delete(res);
        if (s.size === 0) this.streamsOf.delete(session.key);
      }
    });
    const keepAlive = setInterval(() => {
      session.lastSeen = Math.max(session.lastSeen, clock());
    }, 60_000);
    keepAlive.unref();
    res.on('close', () => clearInterval(keepAlive));
  }
}

/** What the dashboard's route groups share. */
interface DashContext {
  services: AppServices;
  boardMode: string;
  boardNames: boolean;
  fleetHub: SseHub<DashRow>;
  boardHub: SseHub<BoardRow>;
  streams: SessionStreams;
  cookie: (value: string, maxAgeS: number) => string;
  requireSession: (request: FastifyRequest) => DashboardSession;
  page: (file: string) => (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
}

const sessionAnswer = {
  type: 'object',
  properties: {
    admin: { type: 'string' },
    csrf: { type: 'string', description: 'send back in x-fobgate-csrf with every state change' },
    expires_at: { type: 'integer' },
    board: { type: 'string' },
  },
} as const;

export async function dashboardRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { services } = opts;
  const { core, auth, dashboard: dash, clock } = services;
  const assets = await loadAssets();
  const view = dash.view;
  const boardMode = dash.options.board ?? 'off';

  const fleetHub = new SseHub<DashRow>(core.feed, {
    snapshot: () => view.snapshot(),
    row: (n) => view.row(n),
    names: () => core.machines.names,
  }, dash.hub, () => ({ list_version_latest: core.store.data.list_version }));
  const boardNames = boardMode === 'names';
  const boardHub = new SseHub<BoardRow>(core.feed, {
    snapshot: () => view.boardSnapshot(boardNames),
    row: (n) => view.boardRow(n, boardNames),
    names: () => core.machines.names,
  }, dash.hub);
  dash.hubs.push(fleetHub, boardHub);

  const streams = new SessionStreams(clock, auth.sessions.maxMs);
  dash.endStreams = (key) => streams.end(key);
  app.addHook('onClose', async () => {
    fleetHub.close();
    boardHub.close();
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) void reply.header(k, v);
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });

  const ctx: DashContext = {
    services,
    boardMode,
    boardNames,
    fleetHub,
    boardHub,
    streams,
    cookie: (value, maxAgeS) =>
      `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}` + (dash.options.secureCookie ? '; Secure' : ''),
    requireSession: (request) => {
      const s = auth.session(request);
      if (!s) throw errors.unauthorized('not signed in (or the session expired): sign in with an admin token');
      return s;
    },
    page: (file) => async (_request, reply) => {
      const a = assets.get(file);
      if (!a) throw errors.routeNotFound('GET', file);
      void reply.type(a.type);
      return reply.send(a.body);
    },
  };

  app.get('/', { schema: { hide: true } }, ctx.page('index.html'));

  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const a = assets.get(request.params.file);
    if (!a || request.params.file.endsWith('.html')) throw errors.routeNotFound('GET', `/assets/${request.params.file}`);
    void reply.type(a.type).header('cache-control', 'no-cache');
    return reply.send(a.body);
  });

  signInRoute(app, ctx);
  sessionRoutes(app, ctx);
  fleetRoutes(app, ctx);
  if (boardMode !== 'off') boardRoutes(app, ctx);
}

/** POST /dashboard/api/session: sign in with an admin token (same origin, limited failures). */
function signInRoute(app: FastifyInstance, ctx: DashContext): void {
  const { auth, clock } = ctx.services;
  const sessions = auth.sessions;
  const limiter = new SignInLimiter(clock);
  app.post<{ Body: { token: string } }>(
    '/dashboard/api/session',
    {
      schema: {
        tags,
        summary: 'Sign in to the dashboard with an admin token (sets an HttpOnly, SameSite=Strict session cookie)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['token'],
          properties: { token: { type: 'string', minLength: 1, maxLength: 300 } },
        },
        response: { 200: sessionAnswer, ...errorResponses(401, 403, 429) },
      },
    },
    async (request, reply) => {
      const origin = request.headers.origin;
      if (typeof origin === 'string' && origin !== `http://${request.headers.host}` && origin !== `https://${request.headers.host}`) {
        throw errors.forbidden('cross-origin sign-in refused: Origin does not match this server');
      }
      const ip = request.ip;
      if (limiter.tooMany(ip)) throw errors.rateLimited(`too many failed sign-ins from ${ip}: wait ${SIGNIN_WINDOW_MS / 60000} minutes`, SIGNIN_WINDOW_MS / 1000);
      const admin = auth.adminForToken(request.body.token);
      if (admin === null) {
        limiter.failed(ip);
        throw errors.unauthorized('wrong admin token');
      }
      limiter.succeeded(ip);
      const { id, session } = sessions.create(admin, auth.credentialOf(request.body.token));
      void reply.header('set-cookie', ctx.cookie(id, Math.floor(sessions.maxMs / 1000)));
      return { admin, csrf: session.csrf, expires_at: sessions.expiresAt(session), board: ctx.boardMode };
    },
  );
}

/** GET /dashboard/api/session (who am I) and DELETE (sign out: its streams end too). */
function sessionRoutes(app: FastifyInstance, ctx: DashContext): void {
  const { auth } = ctx.services;
  const sessions = auth.sessions;
  const { requireSession, boardMode } = ctx;
  app.get('/dashboard/api/session', { schema: { tags, summary: 'The signed-in admin and the CSRF token', response: { 200: sessionAnswer, ...errorResponses(401) } } }, async (request) => {
    const s = requireSession(request);
    return { admin: s.admin, csrf: s.csrf, expires_at: sessions.expiresAt(s), board: boardMode };
  });

  app.delete('/dashboard/api/session', { schema: { tags, summary: 'Sign out', response: { 200: { type: 'object', properties: { signed_out: { type: 'boolean' } } }, ...errorResponses(401, 403) } } }, async (request, reply) => {
    const s = requireSession(request);
    auth.checkCsrf(request, s);
    sessions.end(s);
    ctx.streams.end(s.key);
    void reply.header('set-cookie', ctx.cookie('', 0));
    return { signed_out: true };
  });
}

/** The fleet as the dashboard shows it: a snapshot, and its live event stream. */
function fleetRoutes(app: FastifyInstance, ctx: DashContext): void {
  const view = ctx.services.dashboard.view;
  app.get('/dashboard/api/fleet', { schema: { tags, summary: 'Every machine as the dashboard shows it' } }, async (request) => {
    ctx.requireSession(request);
    return view.snapshot();
  });

  app.get('/dashboard/api/stream', { schema: { tags, summary: 'Server-Sent Events: snapshot, then machine and meta changes' } }, async (request, reply) => {
    const s = ctx.requireSession(request);
    ctx.streams.open(reply, ctx.fleetHub as SseHub<unknown>, s);
  });
}

/** The read-only status board (/board): its page, snapshot and stream, no sign-in. */
function boardRoutes(app: FastifyInstance, ctx: DashContext): void {
  const view = ctx.services.dashboard.view;
  app.get('/board', { schema: { hide: true } }, ctx.page('board.html'));
  app.get('/board/api/fleet', { schema: { tags, summary: 'Status board: each machine free / in use / oops / maintenance / offline' } }, async () =>
    view.boardSnapshot(ctx.boardNames),
  );
  app.get('/board/api/stream', { schema: { tags, summary: 'Status board as Server-Sent Events' } }, async (_request, reply) => {
    ctx.streams.open(reply, ctx.boardHub as SseHub<unknown>, null);
  });
}
