// A small client for the fobgate server's admin API (bearer token), with errors that tell an
// admin what to do: server not running, wrong token, unknown machine.
import { existsSync, readFileSync } from 'node:fs';
import type { FleetResponse, UnitKeyStatus, UnitRegistration, UsersHistoryResponse, UsersReplaceResult } from '@fobgate/shared';
import { EXIT } from './exit-codes.js';

export type AdminErrorCode = 'SERVER_UNREACHABLE' | 'UNAUTHORIZED' | 'NOT_FOUND' | 'REJECTED' | 'BAD_ANSWER';

export class AdminError extends Error {
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export interface AdminOptions {
  server: string;
  token: string;
  timeoutMs?: number;
}

export const DEFAULT_SERVER = 'http://127.0.0.1:3000';

/** --server, FOBGATE_SERVER, or the default local server. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return (flag || env.FOBGATE_SERVER || DEFAULT_SERVER).replace(/\/+$/, '');
}

/**
 * --token, FOBGATE_ADMIN_TOKEN / ADMIN_TOKEN, or the token file that `npm start` keeps in its
 * data folder (./data/admin-token) when the tools run on the server's own machine.
 */
export function adminToken(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag) return flag;
  if (env.FOBGATE_ADMIN_TOKEN) return env.FOBGATE_ADMIN_TOKEN;
  if (env.ADMIN_TOKEN) return env.ADMIN_TOKEN;
  const file = env.FOBGATE_ADMIN_TOKEN_FILE || 'data/admin-token';
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return t;
  }
  return undefined;
}

/** What a tool says when it has no admin token to use. */
export const NO_TOKEN = 'no admin token: pass --token or set FOBGATE_ADMIN_TOKEN (npm start keeps it in data/admin-token)';

/** A client for --server/--token and the environment, or null when no token can be found. */
export function clientFrom(serverFlag: string | undefined, tokenFlag: string | undefined, env: NodeJS.ProcessEnv): AdminClient | null {
  const token = adminToken(tokenFlag, env);
  return token ? new AdminClient({ server: serverUrl(serverFlag, env), token }) : null;
}

/** The tools' exit code for a failed admin API call. */
export function adminExitCode(e: AdminError): number {
  return e.code === 'SERVER_UNREACHABLE' || e.code === 'UNAUTHORIZED' ? EXIT.SERVER : EXIT.FAILED;
}

export class AdminClient {
  constructor(private readonly opts: AdminOptions) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.opts.server + path;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (e as Error).name === 'TimeoutError' ? 'no answer in time' : cause?.code || (e as Error).message;
      throw new AdminError(
        'SERVER_UNREACHABLE',
        `cannot reach the fobgate server at ${this.opts.server} (${why}). Is it running (npm start)? Point the tool at it with --server or FOBGATE_SERVER.`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      throw new AdminError('BAD_ANSWER', `the server at ${this.opts.server} answered ${res.status} with something that is not JSON; is that a fobgate server?`, res.status);
    }
    if (res.ok) return json as T;
    const msg = (json as { error?: string }).error || `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403) {
      throw new AdminError('UNAUTHORIZED', `the server refused the admin token (${msg}). Use the token in the server's data/admin-token: --token or FOBGATE_ADMIN_TOKEN.`, res.status);
    }
    if (res.status === 404) throw new AdminError('NOT_FOUND', msg, res.status);
    throw new AdminError('REJECTED', msg, res.status);
  }

  fleet(): Promise<FleetResponse> {
    return this.call('GET', '/api/admin/machines');
  }

  users(): Promise<unknown[]> {
    return this.call('GET', '/api/admin/users');
  }

  replaceUsers(users: unknown[], dryRun: boolean, allowRemovals = false): Promise<UsersReplaceResult> {
    const q = [dryRun ? 'dry_run=true' : '', allowRemovals ? 'allow_removals=true' : ''].filter(Boolean).join('&');
    return this.call('PUT', `/api/admin/users${q ? '?' + q : ''}`, users);
  }

  usersHistory(): Promise<UsersHistoryResponse> {
    return this.call('GET', '/api/admin/users/history');
  }

  rollbackUsers(revision: number | null, dryRun: boolean, allowRemovals: boolean): Promise<UsersReplaceResult> {
    const body: { revision?: number; dry_run: boolean; allow_removals: boolean } = { dry_run: dryRun, allow_removals: allowRemovals };
    if (revision !== null) body.revision = revision;
    return this.call('POST', '/api/admin/users/rollback', body);
  }

  /**
   * Issues the machine's next unit key (pending until that unit's first signed request; with
   * holdUntilVerified also refused until verifyPendingUnit()).
   */
  registerUnit(machine: string, holdUntilVerified = false): Promise<UnitRegistration> {
    return this.call('POST', '/api/admin/units', holdUntilVerified ? { machine, hold_until_verified: true } : { machine });
  }

  /** The new unit's upload was verified: its key may take over at its first signed request. */
  verifyPendingUnit(machine: string): Promise<{ success: boolean; unit_id: string }> {
    return this.call('POST', `/api/admin/units/${encodeURIComponent(machine)}/pending/verified`);
  }

  /** Which unit key the machine accepts now and which is pending (ids only). */
  unitKeys(machine: string): Promise<UnitKeyStatus> {
    return this.call('GET', `/api/admin/units/${encodeURIComponent(machine)}`);
  }

  /** Withdraws the machine's pending key (a flash that failed). */
  cancelPendingUnit(machine: string): Promise<{ success: boolean; cancelled: boolean }> {
    return this.call('DELETE', `/api/admin/units/${encodeURIComponent(machine)}/pending`);
  }
}
