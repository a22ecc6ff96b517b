// The front door: the node:http server's request listener, ahead of fastify (its
// `serverFactory`). It answers the successful requests of the lean JSON routes (dm_mac
// heartbeats) itself and hands every other request to fastify's own handler untouched, so
// routing, 404/405, hooks, OpenAPI and errors stay fastify's (lean-json-route.ts says how a
// request it has read is handed on).
//
// What fastify would have done for a request it answers, and why skipping it is safe (pinned by
// lean-json-route.test.ts):
// - `return503OnClosing`: once the app is closing (preClose) every request goes to fastify,
//   which answers its 503;
// - the route's onRequest hooks: the app's `stampReceivedAt` (the front door stamps the arrival
//   time itself and passes it to the route's work) and the route's lean hook (this is its other
//   half); the test fails if the route gains any other hook;
// - the access log: with `ACCESS_LOG` on, the front door is closed and every request is fastify's;
// - the request id and child logger: only log lines use them, and these answers log nothing.
//
// A route's requests go to fastify until the route's hook has seen one (that is when the lean
// route learns fastify's compiled body schema): the first heartbeat after a start is fastify's.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { Fastify, LeanJsonRoute } from './lean-json-route.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The request listener ahead of fastify (tests look at what it took). */
    frontDoor: FrontDoor;
  }
  interface FastifyContextConfig {
    /** A POST route the front door answers on its lean path (its hook must be the route's last onRequest). */
    lean?: LeanJsonRoute<unknown>;
  }
}

export class FrontDoor {
  /** Lean routes by exact URL (no query string), POST only. */
  private readonly posts = new Map<string, LeanJsonRoute<unknown>>();
  /** Set once the app is closing: fastify answers everything (503). */
  closing = false;
  /** Requests the front door took (read itself; tests look). */
  taken = 0;

  /** @param open false: every request goes to fastify (the access log is on). */
  constructor(readonly open: boolean) {}

  /** A route whose successful POSTs the front door answers. */
  addPost(url: string, route: LeanJsonRoute<unknown>): void {
    this.posts.set(url, route);
  }

  /** fastify's `serverFactory`: the HTTP server fastify would make, with this door ahead of it. */
  readonly serverFactory: FastifyServerFactory = (handler, opts) => {
    const fastify = handler as unknown as Fastify;
    const listener = (req: IncomingMessage, res: ServerResponse): void => {
      if (this.open && !this.closing && req.method === 'POST') {
        const route = this.posts.get(req.url!);
        if (route !== undefined && route.take(req, res, fastify, performance.now())) {
          this.taken++;
          return;
        }
      }
      fastify(req, res);
    };
    return configure(createServer((opts.http as object | undefined) ?? {}, listener), opts);
  };
}

/** The timeouts fastify sets on a server it makes itself (it does not on a factory's). */
function configure(server: Server, opts: Record<string, unknown>): Server {
  server.keepAliveTimeout = opts.keepAliveTimeout as number;
  server.requestTimeout = opts.requestTimeout as number;
  server.setTimeout(opts.connectionTimeout as number);
  const perSocket = opts.maxRequestsPerSocket as number | null | undefined;
  if (typeof perSocket === 'number' && perSocket > 0) server.maxRequestsPerSocket = perSocket;
  return server;
}
