// The members list through the admin API (Bearer ADMIN_TOKEN): read it, replace it (validated
// like users.json, answering the diff with names), see the history of earlier lists and roll back
// to one. A replacement that removes more members than max(5, 10 %), or all of them, is refused
// unless allow_removals says it is meant (an empty or truncated CSV must not delete everyone), and
// the list being replaced is kept in the users history first: no replacement without a backup.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  diffUsers,
  formatIssue,
  parseUsers,
  unusedAuthorizationWarnings,
  type MemberName,
  type UserRecord,
  type UsersHistoryResponse,
  type UsersReplaceResult,
  type UsersRevision,
} from '@fobgate/shared';
import type { AppServices } from '../services.js';
import type { Core } from '../core-services.js';
import { errors } from '../errors.js';
import { ANSWER_MARGIN_MS } from '../save-budget.js';
import { serverEvent } from '../audit-records.js';
import { errorResponses } from './schemas.js';

/** Largest users list an admin may PUT (the rest of the API keeps the app's smaller limit). */
export const USERS_BODY_LIMIT = 32 * 1024 * 1024;
/** One replacement may remove this many members, or this share of the list if more, without allow_removals. */
export const REMOVAL_LIMIT_MIN = 5;
export const REMOVAL_LIMIT_SHARE = 0.1;

/** Members a replacement of a list of `current` members may remove without allow_removals. */
export function removalLimit(current: number): number {
  return Math.max(REMOVAL_LIMIT_MIN, Math.floor(current * REMOVAL_LIMIT_SHARE));
}

/** Whether removing `removed` of `current` members needs allow_removals. */
export function removalsNeedConfirmation(removed: number, current: number): boolean {
  return removed > removalLimit(current) || (current > 0 && removed === current);
}

const security = [{ admin: [] }];
const tags = ['admin'];
const strings = { type: 'array', items: { type: 'string' } } as const;
const memberNames = {
  type: 'array',
  items: { type: 'object', properties: { account_id: { type: 'string' }, full_name: { type: 'string' } } },
} as const;
const flag = { type: 'string', enum: ['true', 'false', '1', '0'] } as const;

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

const replaceResultSchema = {
  type: 'object',
  required: ['version', 'added', 'removed', 'changed', 'warnings'],
  properties: {
    version: { type: 'integer' },
    added: strings,
    removed: strings,
    added_members: memberNames,
    removed_members: memberNames,
    members_before: { type: 'integer' },
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
    removal_limit: { type: 'integer' },
    removals_need_confirmation: { type: 'boolean' },
    previous_revision: { type: ['integer', 'null'] },
  },
} as const;

function yes(v: string | boolean | undefined): boolean {
  return v === true || v === 'true' || v === '1';
}

function names(ids: string[], users: UserRecord[]): MemberName[] {
  const byId = new Map(users.map((u) => [u.account_id, u.full_name]));
  return ids.map((id) => ({ account_id: id, full_name: byId.get(id) ?? '' }));
}

function listNames(members: MemberName[], max = 10): string {
  const shown = members.slice(0, max).map((m) => (m.full_name ? `${m.full_name} (${m.account_id})` : m.account_id));
  return shown.join(', ') + (members.length > max ? ` and ${members.length - max} more` : '');
}

interface ReplaceOptions {
  dryRun: boolean;
  allowRemovals: boolean;
  /** users-history reason for the list being replaced. */
  reason: string;
  /** Audit event type and what it says. */
  event: string;
  what: string;
  warnings: string[];
  receivedAt?: number;
}

type Replace = (users: UserRecord[], o: ReplaceOptions) => Promise<UsersReplaceResult>;

/** What replacing `before` by `users` does: the diff, the version it gets, the removal check. */
function replacementOf(before: UserRecord[], users: UserRecord[], listVersion: number, o: ReplaceOptions) {
  const diff = diffUsers(before, users);
  const changed = diff.added.length + diff.removed.length + diff.changed.length > 0;
  const limit = removalLimit(before.length);
  const confirm = removalsNeedConfirmation(diff.removed.length, before.length);
  const result: UsersReplaceResult = {
    version: listVersion + (changed ? 1 : 0),
    added: diff.added,
    removed: diff.removed,
    added_members: names(diff.added, users),
    removed_members: names(diff.removed, before),
    members_before: before.length,
    changed: diff.changed,
    warnings: o.warnings,
    removal_limit: limit,
    removals_need_confirmation: confirm,
    previous_revision: null,
  };
  return { diff, changed, limit, confirm, result };
}

/**
 * The users list replacement (an import or a rollback): checked, the list in force kept in the
 * history, then the new one in force, audited and saved (users.json and the state) within the
 * budget. Replacements run one at a time: each diffs against, and keeps, the list really in force.
 */
function usersReplacer(services: AppServices): Replace {
  const { core, clock, saveUsers, usersHistory } = services;
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  return (users, o) =>
    serial(async () => {
      const before = core.users;
      const { diff, changed, limit, confirm, result } = replacementOf(before, users, core.store.data.list_version, o);
      if (o.dryRun) return result;
      if (confirm && !o.allowRemovals) {
        throw errors.removalsNotConfirmed(
          `refused: this list removes ${diff.removed.length} of the ${before.length} members ` +
            `(${listNames(result.removed_members)}); one change may remove at most ${limit}` +
            `${before.length > 0 && diff.removed.length === before.length ? ' and never all of them' : ''}. ` +
            'If that is intended, send allow_removals=true (npm run users -- import --allow-removals).',
        );
      }
      if (!changed) {
        result.version = core.store.data.list_version;
        return result;
      }
      // The list in force is kept before anything changes: no replacement without a backup. The
      // copy has a save budget of its own, then the state and users.json get theirs.
      let budgetFrom = o.receivedAt;
      if (usersHistory) {
        const kept: UsersRevision | 'timeout' | 'error' = await usersHistory.saveWithin(before, o.reason, clock(), core.budgetMs - ANSWER_MARGIN_MS);
        if (kept === 'timeout') throw errors.saveTimeout(false);
        if (kept === 'error') throw errors.saveFailed(false);
        result.previous_revision = kept.revision;
        budgetFrom = performance.now();
      }
      core.setUsers(users);
      result.version = core.bumpListVersion();
      const ev = serverEvent(
        '',
        clock(),
        o.event,
        `${o.what}: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed` +
          (result.previous_revision !== null ? `; the previous list is users revision ${result.previous_revision}` : ''),
      );
      ev.source = 'admin';
      core.storeEvent(ev);
      const [file] = await Promise.all([
        saveUsers ? saveUsers(users) : Promise.resolve('saved' as const),
        core.persist(null, true, budgetFrom),
      ]);
      if (file === 'timeout') throw errors.saveTimeout(true);
      if (file === 'error') throw errors.saveFailed(true);
      return result;
    });
}

export async function adminUsersRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { services } = opts;
  const label = services.deps.config.usersLabel ?? 'users.json';

  // Every route of this plugin needs the token (an encapsulated context, as in admin.ts).
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.admin = services.auth.require(request);
  });
  const replace = usersReplacer(services);
  usersListRoutes(app, services.core, replace, label);
  usersHistoryRoute(app, services);
  usersRollbackRoute(app, services, replace);
}

/** GET and PUT /api/admin/users: the list in force, and its replacement by an import. */
function usersListRoutes(app: FastifyInstance, core: Core, replace: Replace, label: string): void {
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

  app.put<{ Body: unknown; Querystring: { dry_run?: string; allow_removals?: string } }>(
    '/api/admin/users',
    {
      // A space's whole member export: 5,000 members in users.json format are about 1.5 MB.
      bodyLimit: USERS_BODY_LIMIT,
      schema: {
        tags,
        security,
        summary:
          'Replace the users list (validated like users.json); answers the diff and the new list version. ' +
          'dry_run=true validates and answers the diff (and the version it would get) without changing anything. ' +
          'A list removing more than max(5, 10 %) of the members, or all of them, is refused (409) unless allow_removals=true. ' +
          'The list being replaced is kept in the users history (previous_revision)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { dry_run: flag, allow_removals: flag },
        },
        body: { type: 'array', maxItems: 100000, items: { type: 'object' } },
        response: { 200: replaceResultSchema, ...errorResponses(401, 409, 503) },
      },
    },
    async (request): Promise<UsersReplaceResult> => {
      const parsed = parseUsers(request.body, label);
      if (!parsed.ok) throw errors.configInvalid(parsed.errors.map(formatIssue).join('\n'));
      const users = parsed.value;
      const warnings = parsed.warnings.concat(unusedAuthorizationWarnings(users, core.machines, label)).map(formatIssue);
      return replace(users, {
        dryRun: yes(request.query.dry_run),
        allowRemovals: yes(request.query.allow_removals),
        reason: 'replaced by an import',
        event: 'users_replaced',
        what: 'users replaced',
        warnings,
        receivedAt: request.receivedAt,
      });
    },
  );
}

/** GET /api/admin/users/history: the lists kept, newest first. */
function usersHistoryRoute(app: FastifyInstance, services: AppServices): void {
  const { core, usersHistory } = services;
  app.get(
    '/api/admin/users/history',
    {
      schema: {
        tags,
        security,
        summary: 'Earlier users lists the server kept (each replaced list), newest first',
        response: {
          200: {
            type: 'object',
            properties: {
              current_members: { type: 'integer' },
              revisions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { revision: { type: 'integer' }, saved_at: { type: 'integer' }, members: { type: 'integer' }, reason: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses(401),
        },
      },
    },
    async (): Promise<UsersHistoryResponse> => ({
      current_members: core.users.length,
      revisions: usersHistory ? await usersHistory.list() : [],
    }),
  );
}

/** POST /api/admin/users/rollback: an earlier list back in force (kept as a replacement is). */
function usersRollbackRoute(app: FastifyInstance, services: AppServices, replace: Replace): void {
  const { core, usersHistory } = services;
  app.post<{ Body: { revision?: number; allow_removals?: boolean; dry_run?: boolean } }>(
    '/api/admin/users/rollback',
    {
      schema: {
        tags,
        security,
        summary:
          'Put an earlier users list back in force (default: the newest revision kept). The list in force is kept as a new ' +
          'revision first, so a rollback can be rolled back too. Same removal check as a replacement',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            revision: { type: 'integer', minimum: 1, maximum: 999999999 },
            allow_removals: { type: 'boolean' },
            dry_run: { type: 'boolean' },
          },
        },
        response: { 200: replaceResultSchema, ...errorResponses(401, 404, 409, 503) },
      },
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
    },
    async (request): Promise<UsersReplaceResult> => {
      if (!usersHistory) throw errors.noUsersHistory();
      const body = request.body ?? {};
      const revisions = await usersHistory.list();
      const revision = body.revision ?? (revisions.length ? revisions[0].revision : null);
      if (revision === null) throw errors.noSuchRevision('the users history is empty: no list was replaced yet');
      const kept = await usersHistory.read(revision);
      if (!kept.ok) throw errors.noSuchRevision(kept.message);
      const warnings = kept.warnings.concat(unusedAuthorizationWarnings(kept.users, core.machines, `users revision ${revision}`).map(formatIssue));
      return replace(kept.users, {
        dryRun: body.dry_run === true,
        allowRemovals: body.allow_removals === true,
        reason: `replaced by a rollback to revision ${revision}`,
        event: 'users_rolled_back',
        what: `users rolled back to revision ${revision}`,
        warnings,
        receivedAt: request.receivedAt,
      });
    },
  );
}
