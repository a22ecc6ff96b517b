// Dashboard sign-in sessions: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token
// the page sends back in a header with every state change, an idle timeout and an absolute
// lifetime. Only the SHA-256 of each id is held, in memory: a restart signs everyone out.
import { createHash, randomBytes } from 'node:crypto';

export interface DashboardSession {
  admin: string;
  csrf: string;
  created: number;
  lastSeen: number;
  /** The session's key in the map (hash of its id). */
  key: string;
}

export interface SessionOptions {
  /** Signed out after this long without a request, ms (30 min). */
  idleMs?: number;
  /** Signed out this long after signing in whatever happens, ms (12 h). */
  maxMs?: number;
  /** Sessions held at most; the oldest goes first (1000). */
  limit?: number;
}

export const SESSION_COOKIE = 'fobgate_session';

function keyOf(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export class SessionStore {
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly limit: number;
  private readonly byKey = new Map<string, DashboardSession>();

  constructor(
    private readonly clock: () => number,
    opts: SessionOptions = {},
  ) {
    this.idleMs = opts.idleMs ?? 30 * 60_000;
    this.maxMs = opts.maxMs ?? 12 * 3_600_000;
    this.limit = opts.limit ?? 1000;
  }

  /** A new session for `admin`: its id (for the cookie only) and the session. */
  create(admin: string): { id: string; session: DashboardSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: DashboardSession = { admin, csrf: randomBytes(24).toString('base64url'), created: now, lastSeen: now, key: keyOf(id) };
    if (this.byKey.size >= this.limit) {
      const oldest = this.byKey.keys().next();
      if (!oldest.done) this.byKey.delete(oldest.value);
    }
    this.byKey.set(session.key, session);
    return { id, session };
  }

  /** The live session of a cookie id (its idle clock restarts), or null when unknown or expired. */
  lookup(id: string): DashboardSession | null {
    const key = keyOf(id);
    const s = this.byKey.get(key);
    if (!s) return null;
    const now = this.clock();
    if (now - s.lastSeen >= this.idleMs || now - s.created >= this.maxMs) {
      this.byKey.delete(key);
      return null;
    }
    s.lastSeen = now;
    return s;
  }

  /** When the session ends if nothing more happens. */
  expiresAt(s: DashboardSession): number {
    return Math.min(s.lastSeen + this.idleMs, s.created + this.maxMs);
  }

  end(s: DashboardSession): void {
    this.byKey.delete(s.key);
  }

  /** Ends every session of an admin (their token was revoked); returns the ended sessions' keys. */
  endFor(admin: string): string[] {
    const keys: string[] = [];
    for (const [k, s] of this.byKey) {
      if (s.admin === admin) {
        this.byKey.delete(k);
        keys.push(k);
      }
    }
    return keys;
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
