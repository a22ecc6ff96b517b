// The admin API (ADMIN_TOKEN, a per-admin token or a dashboard session; see admin-auth.ts): the fleet view and oops / clear / lockout /
// unlock. Units and their keys are in admin-units.ts, the users list in admin-users.ts, the audit
// log's queries in admin-log.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type CommandType,
  type FleetResponse,
  type FleetRow,
} from '@fobgate/shared';
import type { AppServices } from '../services.js';
import { runAdminAction } from '../admin-actions.js';
import { actorBy } from '../actor.js';
import { fleetRow } from '../fleet-rows.js';
import { errorResponses, machineNameParams, successSchema } from './schemas.js';

const security = [{ admin: [] }];
const tags = ['admin'];

const fleetRowSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    display_name: { type: 'string' },
    kind: { type: 'string', enum: ['fobgate', 'legacy', 'none'] },
    registered: { type: 'boolean' },
    online: { type: 'boolean' },
    last_checkin: { type: ['integer', 'null'] },
    status_since: { type: ['integer', 'null'] },
    relay: { type: 'boolean' },
    second_relay: { type: 'boolean' },
    oopsed: { type: 'boolean' },
    locked_out: { type: 'boolean' },
    user: {
      type: ['object', 'null'],
      properties: { account_id: { type: ['string', 'null'] }, full_name: { type: 'string' } },
    },
    display: { type: 'string' },
    firmware: { type: ['string', 'null'] },
    list_version_held: { type: ['integer', 'null'] },
    list_version_latest: { type: 'integer' },
    list_unrecognized: { type: 'boolean' },
    wifi_signal_db: { type: ['number', 'null'] },
    events_dropped: { type: 'integer' },
    events_dropped_at: { type: ['integer', 'null'] },
    last_event: {
      type: ['object', 'null'],
      properties: { type: { type: 'string' }, at: { type: 'integer' }, summary: { type: 'string' } },
    },
  },
} as const;

const actionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cut: { type: 'boolean', description: 'lockout: end a running session now (default: at the next insertion)' },
    by: { type: 'string', minLength: 1, maxLength: 64, description: 'who asks (shown in Slack and the audit log)' },
  },
} as const;

/** GET /api/admin/machines: the fleet view. */
function fleetRoute(app: FastifyInstance, services: AppServices): void {
  const { core, clock, listGuard } = services;
  app.get(
    '/api/admin/machines',
    {
      schema: {
        tags,
        security,
        summary: 'Every machine: state, last check-in, firmware, list version held vs latest',
        response: {
          200: {
            type: 'object',
            properties: {
              time: { type: 'integer' },
              list_version_latest: { type: 'integer' },
              machines: { type: 'array', items: fleetRowSchema },
            },
          },
          ...errorResponses(401),
        },
      },
    },
    async (): Promise<FleetResponse> => {
      const latest = core.store.data.list_version;
      const rows: FleetRow[] = core.machines.names.map((name) => fleetRow(core, listGuard, name));
      return { time: clock(), list_version_latest: latest, machines: rows };
    },
  );
}

/** Oops / clear and lockout / unlock of one machine (POST sets, DELETE clears). */
function machineActionRoutes(app: FastifyInstance, services: AppServices): void {
  const { core } = services;
  const action = (path: string, set: CommandType, clear: CommandType, what: string): void => {
    const schema = (summary: string, withBody: boolean) => ({
      tags,
      security,
      summary,
      params: machineNameParams,
      ...(withBody ? { body: actionBody } : {}),
      response: { 200: successSchema, ...errorResponses(401, 404, 503) },
    });
    const run = async (request: FastifyRequest<{ Params: { name: string }; Body?: { cut?: boolean; by?: string } }>, type: CommandType) => {
      const m = core.machineOr404(request.params.name);
      const body = request.body ?? {};
      // The dashboard names its signed-in admin itself; an API caller may name who asks.
      const who = request.admin;
      const by = who && who.via === 'session' ? actorBy(who.name, 'dashboard') : (body.by ?? (who ? who.name : 'admin'));
      return runAdminAction(core, m, type, { by, source: 'admin', cut: body.cut === true, receivedAt: request.receivedAt });
    };
    app.post<{ Params: { name: string }; Body?: { cut?: boolean; by?: string } }>(
      path,
      {
        schema: schema(what, true),
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) request.body = {};
        },
      },
      (request) => run(request, set),
    );
    app.delete<{ Params: { name: string } }>(path, { schema: schema(`Undo: ${what}`, false) }, (request) => run(request, clear));
  };
  action('/api/admin/machines/:name/oops', 'oops', 'clear_oops', 'Oops a machine');
  action('/api/admin/machines/:name/lockout', 'lockout', 'unlock', 'Lock a machine out for maintenance');
}

export async function adminRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { auth } = opts.services;

  // Every route of this plugin (an encapsulated context: the hook reaches no other route) needs
  // the token. Not decided on request.url: the router matches percent-decoded paths, so
  // /api/%61dmin/... reaches these routes under a url that does not start with /api/admin/.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = auth.require(request);
  });

  fleetRoute(app, opts.services);
  machineActionRoutes(app, opts.services);
}
