// dm_mac's API for ESPHome units and its admin routes, same paths, bodies and answers: machine
// updates decided by the shared state machine (applyLegacyUpdate), oops / lockout, reload-users,
// the API root and /metrics.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { diffUsers, UNKNOWN_USER, type CommandType } from '@fobgate/shared';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { loadUsersFile } from '../config-loader.js';
import { ANSWER_MARGIN_MS } from '../save-budget.js';
import { serverEvent } from '../audit-records.js';
import { errorResponses, machineNameParams, successSchema } from './schemas.js';
import { LEGACY_CONFIG as legacy, LEGACY_TAGS as tags } from './legacy-common.js';
import { legacyUpdateRoute } from './legacy-update.js';

/** dm_mac's oops / locked_out flags set and cleared by an admin (ADMIN_TOKEN). */
function legacyAdminFlagRoutes(app: FastifyInstance, services: AppServices): void {
  const { core, auth } = services;
  const adminFlag = (path: string, set: CommandType, clear: CommandType, what: string): void => {
    const handler = (action: CommandType) => async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
      auth.bearer(request);
      const m = core.machineOr404(request.params.name);
      const cut = action === 'lockout';
      // dm_mac's API knows nobody: its Slack lines say "by unknown user"
      const outcome = core.adminAction(m, action, UNKNOWN_USER, 'api', cut);
      await core.persist(m, true, request.receivedAt);
      void reply.code(200);
      return outcome.queued ? { success: true, queued: true, command_id: outcome.command_id } : { success: true };
    };
    const schema = (summary: string) => ({
      tags,
      summary,
      security: [{ admin: [] }],
      params: machineNameParams,
      response: { 200: successSchema, ...errorResponses(401, 404, 503) },
    });
    app.post(path, { config: legacy, schema: schema(`${what} (admin)`) }, handler(set));
    app.delete(path, { config: legacy, schema: schema(`Clear ${what} (admin)`) }, handler(clear));
  };
  adminFlag('/api/machine/oops/:name', 'oops', 'clear_oops', 'Oops a machine');
  adminFlag('/api/machine/locked_out/:name', 'lockout', 'unlock', 'Lock out a machine for maintenance');
}

/** POST /api/reload-users: re-read users.json, keep the replaced list in the history. */
function reloadUsersRoute(app: FastifyInstance, services: AppServices): void {
  const { core, deps, clock, usersHistory, auth } = services;
  app.post(
    '/api/reload-users',
    {
      config: legacy,
      schema: {
        tags,
        summary: 'Re-read users.json (admin); a bad file keeps the current users',
        security: [{ admin: [] }],
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['removed', 'updated', 'added'],
            properties: { removed: { type: 'integer' }, updated: { type: 'integer' }, added: { type: 'integer' } },
          },
          ...errorResponses(401, 503),
        },
      },
    },
    async (request) => {
      auth.bearer(request);
      if (!core.usersPath) throw errors.configInvalid('users are not loaded from a file (USERS_CONFIG)');
      const label = deps.config.usersLabel ?? core.usersPath;
      const loaded = loadUsersFile(core.usersPath, label);
      if (!loaded.ok) throw errors.configInvalid(loaded.message);
      const diff = diffUsers(core.users, loaded.value);
      const changed = diff.added.length + diff.removed.length + diff.changed.length > 0;
      // The list in force is kept in the users history first (the file the admin edited is
      // already on disk: a copy that cannot be written in time is logged, the reload stands). The
      // state then gets its own save budget, so a large copy never turns the reload into a 503.
      let budgetFrom = request.receivedAt;
      if (changed && usersHistory) {
        const kept = await usersHistory.saveWithin(core.users, `replaced by a reload of ${label}`, clock(), core.budgetMs - ANSWER_MARGIN_MS);
        if (typeof kept !== 'object') request.log.warn(`users history: the replaced users list could not be kept (${kept})`);
        budgetFrom = performance.now();
      }
      core.setUsers(loaded.value);
      if (changed) {
        core.bumpListVersion();
        const ev = serverEvent(
          '',
          clock(),
          'users_reloaded',
          `users reloaded from ${label}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
        );
        ev.source = 'admin';
        core.storeEvent(ev);
        await core.persist(null, true, budgetFrom);
      }
      return { removed: diff.removed.length, updated: diff.changed.length, added: diff.added.length };
    },
  );
}

/** The API root, and its slashless form redirected to it. */
function apiRootRoutes(app: FastifyInstance): void {
  app.get(
    '/api/',
    {
      config: legacy,
      schema: {
        tags,
        summary: 'API root',
        response: {
          200: { type: 'object', additionalProperties: false, required: ['message'], properties: { message: { type: 'string' } } },
        },
      },
    },
    async () => ({ message: 'Nothing to see here...' }),
  );

  // dm_mac (Quart) sends the root without its slash to the one with it, permanently.
  app.get(
    '/api',
    { config: legacy, schema: { tags, summary: 'Redirects (308) to /api/' } },
    async (request, reply) => {
      const q = request.url.indexOf('?');
      return reply.code(308).header('location', '/api/' + (q >= 0 ? request.url.slice(q) : '')).send();
    },
  );
}

/** GET /metrics: the Prometheus text (dm_mac's names plus fobgate_*). */
function metricsRoute(app: FastifyInstance, services: AppServices): void {
  const { core, registry } = services;
  app.get(
    '/metrics',
    { config: legacy, schema: { tags, summary: 'Prometheus metrics (dm_mac names plus fobgate_*)', produces: ['text/plain'] } },
    async (_request, reply) => {
      const text = await core.metrics.render();
      void reply.type(registry.contentType);
      return text;
    },
  );
}

export async function legacyRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { services } = opts;
  legacyUpdateRoute(app, services);
  legacyAdminFlagRoutes(app, services);
  reloadUsersRoute(app, services);
  apiRootRoutes(app);
  metricsRoute(app, services);
}
