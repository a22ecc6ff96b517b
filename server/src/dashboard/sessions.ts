// Dashboard sign-in sessions: a random id in an HttpOnly, SameSite=Strict cookie, a CSRF token
// the page sends back in a header with every state change, an idle timeout and an absolute
// lifetime. Only the SHA-256 of each id is held; the caller may keep them on disk (onChange) so
// that a restart of the server does not sign everyone out.
import { createHash, randomBytes } from 'node:crypto';
import { JsonDoc } from './json-doc.js';

export interface DashboardSession {
  admin: string;
  /** SHA-256 of the token the admin signed in with: the session ends when it stops working. */
  cred: string;
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
  /** Sessions kept from an earlier run (expired ones are dropped). */
  saved?: DashboardSession[];
  /** Called after sessions were added or removed (to keep them). */
  onChange?: () => void;
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
    this.onChange = opts.onChange ?? null;
    const now = clock();
    for (const x of opts.saved ?? []) {
      if (now - x.lastSeen < this.idleMs && now - x.created < this.maxMs) this.byKey.set(x.key, { ...x });
    }
  }

  private readonly onChange: (() => void) | null;

  private changed(): void {
    if (this.onChange) this.onChange();
  }

  /** Every live session (to keep them across a restart: id hashes, never ids). */
  all(): DashboardSession[] {
    return Array.from(this.byKey.values()).map((x) => ({ ...x }));
  }

  /** A new session for `admin`: its id (for the cookie only) and the session. */
  create(admin: string, cred: string): { id: string; session: DashboardSession } {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock();
    const session: DashboardSession = { admin, cred, csrf: randomBytes(24).toString('base64url'), created: now, lastSeen: now, key: keyOf(id) };
    if (this.byKey.size >= this.limit) {
      const oldest = this.byKey.keys().next();
      if (!oldest.done) this.byKey.delete(oldest.value);
    }
    this.byKey.set(session.key, session);
    this.changed();
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
      this.changed();
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
    this.changed();
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
    if (keys.length) this.changed();
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

interface SessionsFile {
  format: 1;
  sessions: DashboardSession[];
}

/** <state>/sessions.json: the live sessions (id hashes and CSRF tokens, never the ids). */
export function openSessionsDoc(path: string | null): Promise<JsonDoc<SessionsFile>> {
  const fix = (raw: unknown): SessionsFile => {
    const out: SessionsFile = { format: 1, sessions: [] };
    const list = raw && typeof raw === 'object' ? (raw as { sessions?: unknown }).sessions : null;
    if (!Array.isArray(list)) return out;
    for (const x of list) {
      const r = x as Partial<DashboardSession> | null;
      if (
        r && typeof r.admin === 'string' && typeof r.csrf === 'string' && typeof r.key === 'string' && /^[0-9a-f]{64}$/.test(r.key) &&
        typeof r.cred === 'string' &&
        typeof r.created === 'number' && typeof r.lastSeen === 'number'
      ) {
        out.sessions.push({ admin: r.admin, cred: r.cred, csrf: r.csrf, key: r.key, created: r.created, lastSeen: r.lastSeen });
      }
    }
    return out;
  };
  return JsonDoc.open<SessionsFile>(path, () => ({ format: 1, sessions: [] }), fix);
}
