// The audit log's admin routes (Bearer ADMIN_TOKEN): events and sessions by machine, member and
// time range, newest first, one page at a time (the answer's `next` is the cursor of the following
// page); and the monthly usage per member and machine (JSON or CSV) that admins use for billing
// and training follow-up. Every query runs in the event log's reader thread, never on the thread
// that answers heartbeats.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppServices } from '../services.js';
import type { Core } from '../core-services.js';
import { errors } from '../errors.js';
import type { EventQuery, UsageKey, UsageQuery, UsageRow } from '../event-log.js';
import { errorResponses } from './schemas.js';

const security = [{ admin: [] }];
const tags = ['admin: audit log'];

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

const usageRowSchema = {
  type: 'object',
  properties: {
    month: { type: 'string' },
    machine: { type: 'string' },
    display_name: { type: 'string' },
    account_id: { type: 'string' },
    full_name: { type: 'string' },
    sessions: { type: 'integer' },
    total_ms: { type: 'integer' },
  },
} as const;

const digits = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;
const cursor = { type: 'string', pattern: '^[0-9]{1,15}_[0-9]{1,15}$', description: "the previous page's `next`" } as const;

const logQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    machine: { type: 'string', minLength: 1, maxLength: 64 },
    member: { type: 'string', minLength: 1, maxLength: 128, description: 'account id, fob or full name (any case)' },
    from: { ...digits, description: 'epoch ms, inclusive' },
    to: { ...digits, description: 'epoch ms, inclusive' },
    limit: { type: 'string', pattern: '^[0-9]{1,5}$', description: 'page size 1..10000 (default 100)' },
    before: cursor,
  },
} as const;

const month = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' } as const;
const usageQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { ...month, description: 'first month, YYYY-MM (server time zone)' },
    to: { ...month, description: 'last month, YYYY-MM' },
    machine: { type: 'string', minLength: 1, maxLength: 64 },
    member: { type: 'string', minLength: 1, maxLength: 128, description: 'account id or full name (any case)' },
    format: { type: 'string', enum: ['json', 'csv'], description: 'csv: text/csv (also chosen by Accept: text/csv)' },
    limit: { type: 'string', pattern: '^[0-9]{1,5}$', description: 'JSON page size 1..10000 (default 1000); CSV is always the whole report' },
    after: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,2048}$', description: "the previous page's `next`" },
  },
} as const;

interface RawLogQuery {
  machine?: string;
  member?: string;
  from?: string;
  to?: string;
  limit?: string;
  before?: string;
}

interface RawUsageQuery {
  from?: string;
  to?: string;
  machine?: string;
  member?: string;
  format?: 'json' | 'csv';
  limit?: string;
  after?: string;
}

/** A usage page's cursor: the last row's place in the report's order, opaque to clients. */
export function usageCursor(r: UsageKey): string {
  return Buffer.from(JSON.stringify([r.month, r.full_name, r.account_id, r.machine])).toString('base64url');
}

function usageKeyOf(cursor: string): UsageKey {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== 4 || !v.every((x) => typeof x === 'string')) {
    throw errors.badRequest("querystring/after: not a cursor this server gave (pass the previous page's `next`)");
  }
  return { month: v[0], full_name: v[1], account_id: v[2], machine: v[3] };
}

/** CSV reports are read from the database this many rows at a time. */
const CSV_PAGE = 10000;

/** The query a request asks for, with its bounds checked. */
export function toLogQuery(q: RawLogQuery): EventQuery {
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
  if (q.before !== undefined) {
    const [at, id] = q.before.split('_').map(Number);
    out.before = { at, id };
  }
  return out;
}

const cursorOf = (next: { at: number; id: number } | null): string | null => (next ? `${next.at}_${next.id}` : null);

/** One CSV field: quoted when needed; a leading = + - @ is neutralised (spreadsheet formulas). */
export function csvField(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CSV_HEADER = ['month', 'account_id', 'full_name', 'machine', 'display_name', 'sessions', 'total_minutes'];

export function usageCsv(rows: Array<UsageRow & { display_name: string }>): string {
  const lines = [CSV_HEADER.join(',')];
  for (const r of rows) {
    const minutes = Math.round(r.total_ms / 600) / 100;
    lines.push([r.month, r.account_id, r.full_name, r.machine, r.display_name, r.sessions, minutes].map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

export async function adminLogRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, auth } = opts.services;

  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = auth.require(request);
  });
  eventsRoute(app, core);
  sessionsRoute(app, core);
  usageRoute(app, core);
}

/** GET /api/admin/events: the audit log, paged. */
function eventsRoute(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: RawLogQuery }>(
    '/api/admin/events',
    {
      schema: {
        tags,
        security,
        summary: 'Audit events by machine, member and time range, newest first, paged (pass `next` as `before`)',
        querystring: logQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: { events: { type: 'array', items: storedEventSchema }, next: nullableString },
          },
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const page = await core.events.queryPage(toLogQuery(request.query));
      return { events: page.items, next: cursorOf(page.next) };
    },
  );
}

/** GET /api/admin/sessions: machine sessions, paged. */
function sessionsRoute(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: RawLogQuery }>(
    '/api/admin/sessions',
    {
      schema: {
        tags,
        security,
        summary: 'Machine sessions (who ran which machine, from when to when, how long) by start time, newest first, paged',
        querystring: logQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: { sessions: { type: 'array', items: sessionSchema }, next: nullableString },
          },
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const page = await core.events.sessionsPage(toLogQuery(request.query));
      return { sessions: page.items, next: cursorOf(page.next) };
    },
  );
}

/** GET /api/admin/usage: usage per member, machine and month, as JSON pages or one CSV. */
function usageRoute(app: FastifyInstance, core: Core): void {
  app.get<{ Querystring: RawUsageQuery }>(
    '/api/admin/usage',
    {
      schema: {
        tags,
        security,
        summary: 'Usage per member and machine per month (sessions counted in the month they started): JSON, or CSV',
        querystring: usageQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: { rows: { type: 'array', items: usageRowSchema }, next: { type: ['string', 'null'] } },
          },
          ...errorResponses(401),
        },
      },
    },
    async (request: FastifyRequest<{ Querystring: RawUsageQuery }>, reply: FastifyReply) => {
      const raw = request.query;
      if (raw.from !== undefined && raw.to !== undefined && raw.from > raw.to) {
        throw errors.badRequest('querystring: from must not be after to');
      }
      const q: UsageQuery = {};
      if (raw.from !== undefined) q.fromMonth = raw.from;
      if (raw.to !== undefined) q.toMonth = raw.to;
      if (raw.machine !== undefined) q.machine = raw.machine;
      if (raw.member !== undefined) q.member = raw.member;
      const limit = raw.limit === undefined ? 1000 : Number(raw.limit);
      if (limit < 1 || limit > 10000) throw errors.badRequest('querystring/limit: must be between 1 and 10000');
      const named = (rows: UsageRow[]) => rows.map((r) => ({ ...r, display_name: core.machine(r.machine)?.display_name ?? r.machine }));
      const accept = String(request.headers.accept ?? '');
      const csv = raw.format === 'csv' || (raw.format === undefined && accept.includes('text/csv') && !accept.includes('json'));
      if (!csv) {
        if (raw.after !== undefined) q.after = usageKeyOf(raw.after);
        // one row more than the page tells whether there is a next page
        const got = await core.events.usage({ ...q, limit: limit + 1 });
        const rows = got.slice(0, limit);
        return { rows: named(rows), next: got.length > limit ? usageCursor(rows[rows.length - 1]) : null };
      }
      // the whole report, a page at a time (each a short read on the reader thread)
      const rows: UsageRow[] = [];
      let after = raw.after !== undefined ? usageKeyOf(raw.after) : undefined;
      for (;;) {
        const page = await core.events.usage({ ...q, after, limit: CSV_PAGE });
        for (const r of page) rows.push(r);
        if (page.length < CSV_PAGE) break;
        after = page[page.length - 1];
      }
      void reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="fobgate-usage${raw.from ? `-${raw.from}` : ''}${raw.to ? `-${raw.to}` : ''}.csv"`);
      return reply.send(usageCsv(named(rows)));
    },
  );
}
