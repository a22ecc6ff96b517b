// The admin API (Bearer ADMIN_TOKEN, constant-time; units and their keys are in admin-units.ts):
// read and replace the users list (validated by the shared parser, answering the diff), the fleet view,
// oops / clear / lockout / unlock, and event and session queries.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  diffUsers,
  formatIssue,
  parseUsers,
  unusedAuthorizationWarnings,
  type CommandType,
  type FleetResponse,
  type FleetRow,
  type UsersReplaceResult,
} from '@fobgate/shared';
import type { AppServices } from '../app.js';
import { errors } from '../errors.js';
import { runAdminAction } from '../admin-actions.js';
import { actorBy } from '../actor.js';
import { serverEvent } from '../core.js';
import { fleetRow } from '../fleet-rows.js';
import type { EventQuery } from '../event-log.js';
import { errorResponses, machineNameParams, successSchema } from './schemas.js';

/** Largest users list an admin may PUT (the rest of the API keeps the app's smaller limit). */
export const USERS_BODY_LIMIT = 32 * 1024 * 1024;

const security = [{ admin: [] }];
const tags = ['admin'];

const strings = { type: 'array', items: { type: 'string' } } as const;

const userSchema = {
  type: 'object',
  properties: {
    account_id: { type: 'string' },
    full_name: { type: 'string' },
    first_name: { type: 'string' },
    last_name: { type: 'string' },
    preferred_name: { type: 'string' },
    email: { type: 'string' },
    expiration_ymd: { type: 'string' },
    fob_codes: strings,
    authorizations: strings,
    oops_override: { type: 'boolean' },
  },
} as const;

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
    wifi_signal_db: { type: ['number', 'null'] },
    last_event: {
      type: ['object', 'null'],
      properties: { type: { type: 'string' }, at: { type: 'integer' }, summary: { type: 'string' } },
    },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;
const nullableInt = { type: ['integer', 'null'] } as const;

const storedEventSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    machine: { type: 'string' },
    at: { type: 'integer' },
    type: { type: 'string' },
    source: { type: 'string' },
    account_id: nullableString,
    full_name: nullableString,
    fob: nullableString,
    reason: nullableString,
    duration_ms: nullableInt,
    detail: nullableString,
    unit_seq: nullableInt,
  },
} as const;

const sessionSchema = {
  type: 'object',
  properties: {
    machine: { type: 'string' },
    account_id: nullableString,
    full_name: { type: 'string' },
    fob: { type: 'string' },
    start: { type: 'integer' },
    end: nullableInt,
    duration_ms: nullableInt,
    override: { type: 'boolean' },
  },
} as const;

const digits = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    machine: { type: 'string', minLength: 1, maxLength: 64 },
    member: { type: 'string', minLength: 1, maxLength: 128 },
    from: { ...digits, description: 'epoch ms, inclusive' },
    to: { ...digits, description: 'epoch ms, inclusive' },
    limit: { type: 'string', pattern: '^[0-9]{1,5}$', description: '1..10000 (default 100), newest first' },
  },
} as const;

interface RawQuery {
  machine?: string;
  member?: string;
  from?: string;
  to?: string;
  limit?: string;
}

function toQuery(q: RawQuery): EventQuery {
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (limit < 1 || limit > 10000) throw errors.badRequest('querystring/limit: must be between 1 and 10000');
  const out: EventQuery = { limit };
  if (q.machine !== undefined) out.machine = q.machine;
  if (q.member !== undefined) out.member = q.member;
  if (q.from !== undefined) out.from = Number(q.from);
  if (q.to !== undefined) out.to = Number(q.to);
  if (out.from !== undefined && out.to !== undefined && out.from > out.to) {
    throw errors.badRequest('querystring: from must not be after to');
  }
  return out;
}

const actionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cut: { type: 'boolean', description: 'lockout: end a running session now (default: at the next insertion)' },
    by: { type: 'string', minLength: 1, maxLength: 64, description: 'who asks (shown in Slack and the audit log)' },
  },
} as const;

export async function adminRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, deps, clock, saveUsers, auth } = opts.services;

  // Every route of this plugin (an encapsulated context: the hook reaches no other route) needs
  // the token. Not decided on request.url: the router matches percent-decoded paths, so
  // /api/%61dmin/... reaches these routes under a url that does not start with /api/admin/.
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = auth.require(request);
  });

  app.get(
    '/api/admin/users',
    {
      schema: {
        tags,
        security,
        summary: 'The users list (users.json)',
        response: { 200: { type: 'array', items: userSchema }, ...errorResponses(401) },
      },
    },
    async () => core.users,
  );

  app.put<{ Body: unknown; Querystring: { dry_run?: string } }>(
    '/api/admin/users',
    {
      // A space's whole member export: 5,000 members in users.json format are about 1.5 MB.
      bodyLimit: USERS_BODY_LIMIT,
      schema: {
        tags,
        security,
        summary:
          'Replace the users list (validated like users.json); answers the diff and the new list version. ' +
          'dry_run=true validates and answers the diff (and the version it would get) without changing anything',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { dry_run: { type: 'string', enum: ['true', 'false', '1', '0'] } },
        },
        body: { type: 'array', maxItems: 100000, items: { type: 'object' } },
        response: {
          200: {
            type: 'object',
            required: ['version', 'added', 'removed', 'changed', 'warnings'],
            properties: {
              version: { type: 'integer' },
              added: strings,
              removed: strings,
              changed: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    account_id: { type: 'string' },
                    full_name: { type: 'string' },
                    fobs_added: strings,
                    fobs_removed: strings,
                    authorizations_added: strings,
                    authorizations_removed: strings,
                    fields: strings,
                  },
                },
              },
              warnings: strings,
            },
          },
          ...errorResponses(401, 503),
        },
      },
    },
    async (request): Promise<UsersReplaceResult> => {
      const label = deps.config.usersLabel ?? 'users.json';
      const parsed = parseUsers(request.body, label);
      if (!parsed.ok) throw errors.configInvalid(parsed.errors.map(formatIssue).join('\n'));
      const users = parsed.value;
      const diff = diffUsers(core.users, users);
      const warnings = parsed.warnings
        .concat(unusedAuthorizationWarnings(users, core.machines, label))
        .map(formatIssue);
      const changed = diff.added.length + diff.removed.length + diff.changed.length > 0;
      const dryRun = request.query.dry_run === 'true' || request.query.dry_run === '1';
      if (dryRun) {
        const version = core.store.data.list_version + (changed ? 1 : 0);
        return { version, added: diff.added, removed: diff.removed, changed: diff.changed, warnings };
      }
      if (changed) {
        core.setUsers(users);
        core.bumpListVersion();
        const ev = serverEvent(
          '',
          clock(),
          'users_replaced',
          `users replaced: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
        );
        ev.source = 'admin';
        core.storeEvent(ev);
        const [file] = await Promise.all([
          saveUsers ? saveUsers(users) : Promise.resolve('saved' as const),
          core.persist(null, true, request.receivedAt),
        ]);
        if (file === 'timeout') throw errors.saveTimeout(true);
        if (file === 'error') throw errors.saveFailed(true);
      }
      return { version: core.store.data.list_version, added: diff.added, removed: diff.removed, changed: diff.changed, warnings };
    },
  );

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
      const rows: FleetRow[] = core.machines.names.map((name) => fleetRow(core, name));
      return { time: clock(), list_version_latest: latest, machines: rows };
    },
  );

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

  app.get<{ Querystring: RawQuery }>(
    '/api/admin/events',
    {
      schema: {
        tags,
        security,
        summary: 'Audit events by machine, member (account id, fob or full name) and time range, newest first',
        querystring: querySchema,
        response: {
          200: { type: 'object', properties: { events: { type: 'array', items: storedEventSchema } } },
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({ events: await core.events.query(toQuery(request.query)) }),
  );

  app.get<{ Querystring: RawQuery }>(
    '/api/admin/sessions',
    {
      schema: {
        tags,
        security,
        summary: 'Machine sessions (from session start/end events) by start time, newest first',
        querystring: querySchema,
        response: {
          200: { type: 'object', properties: { sessions: { type: 'array', items: sessionSchema } } },
          ...errorResponses(401),
        },
      },
    },
    async (request) => ({ sessions: await core.events.sessions(toQuery(request.query)) }),
  );
}
