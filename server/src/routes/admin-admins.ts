// The admin API's admins group: per-admin tokens. Each admin gets a named token of their own
// (shown once, in the answer that creates it; only its hash is kept), which works wherever the
// ADMIN_TOKEN does (admin API, dm_mac's admin routes, dashboard sign-in) and names them in the
// audit log and Slack. Removing an admin revokes the token and signs out their dashboard sessions.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { serverEvent } from '../audit-records.js';
import { ADMIN_NAME_RE, MAIN_ADMIN } from '../dashboard/admin-tokens.js';
import { errorResponses } from './schemas.js';

const security = [{ admin: [] }];
const tags = ['admin'];

const adminInfo = {
  type: 'object',
  properties: { name: { type: 'string' }, created_at: { type: 'integer' } },
} as const;

export async function adminAdminsRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, auth, clock, dashboard } = opts.services;

  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = auth.require(request);
  });

  app.get(
    '/api/admin/admins',
    {
      schema: {
        tags,
        security,
        summary: 'The admins with a token of their own (names and dates, never tokens)',
        response: { 200: { type: 'object', properties: { admins: { type: 'array', items: adminInfo } } }, ...errorResponses(401) },
      },
    },
    async () => ({ admins: auth.tokens.list() }),
  );

  app.post<{ Body: { name: string } }>(
    '/api/admin/admins',
    {
      schema: {
        tags,
        security,
        summary: 'Add an admin and issue their token (shown only in this answer; only its hash is kept)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 40, pattern: ADMIN_NAME_RE.source } },
        },
        response: {
          200: { type: 'object', required: ['name', 'token'], properties: { name: { type: 'string' }, token: { type: 'string' } } },
          ...errorResponses(401, 403, 409),
        },
      },
    },
    async (request) => {
      const name = request.body.name;
      if (name.toLowerCase() === MAIN_ADMIN || auth.tokens.has(name)) throw errors.conflict(`an admin named "${name}" already exists`);
      const token = await auth.tokens.create(name);
      const ev = serverEvent('', clock(), 'admin_added', `admin ${name} added by ${request.admin ? request.admin.name : 'admin'}`);
      ev.source = 'admin';
      core.storeEvent(ev);
      await core.persist(null, true, request.receivedAt);
      return { name, token };
    },
  );

  app.delete<{ Params: { name: string } }>(
    '/api/admin/admins/:name',
    {
      schema: {
        tags,
        security,
        summary: 'Remove an admin: their token stops working and their dashboard sessions end',
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 40 } } },
        response: { 200: { type: 'object', properties: { removed: { type: 'string' }, sessions_ended: { type: 'integer' } } }, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const name = request.params.name;
      if (!(await auth.tokens.remove(name))) throw errors.clientError(404, `no admin named "${name}"`, '');
      const ended = auth.sessions.endFor(name);
      for (const key of ended) dashboard.endStreams(key);
      const ev = serverEvent('', clock(), 'admin_removed', `admin ${name} removed by ${request.admin ? request.admin.name : 'admin'}`);
      ev.source = 'admin';
      core.storeEvent(ev);
      await core.persist(null, true, request.receivedAt);
      return { removed: name, sessions_ended: ended.length };
    },
  );
}
