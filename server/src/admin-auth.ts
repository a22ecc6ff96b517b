// Who is asking, on every admin route: `Authorization: Bearer <token>` with the ADMIN_TOKEN (the
// admin called "admin") or a per-admin token, or the dashboard's session cookie, which for any
// state change must come with the session's CSRF token in `x-fobgate-csrf` and, when the
// browser names them, a same-origin Origin / Sec-Fetch-Site. All comparisons constant-time.
import type { FastifyRequest } from 'fastify';
import { errors } from './errors.js';
import { secretEquals } from './auth.js';
import { hashOf, MAIN_ADMIN, type AdminTokens } from './dashboard/admin-tokens.js';
import { cookieValue, SESSION_COOKIE, type DashboardSession, type SessionStore } from './dashboard/sessions.js';

export const CSRF_HEADER = 'x-fobgate-csrf';

export interface AdminIdentity {
  /** "admin" for the ADMIN_TOKEN, else the per-admin token's name. */
  name: string;
  via: 'token' | 'session';
  session: DashboardSession | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on admin routes once the caller is known. */
    admin?: AdminIdentity;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin the browser should name for this server (scheme from a proxy, else the socket). */
function ownOrigins(request: FastifyRequest): string[] {
  const host = request.headers.host ?? '';
  return ['http://' + host, 'https://' + host];
}

export class AdminAuth {
  private readonly mainCred: string;

  constructor(
    private readonly mainToken: string,
    readonly tokens: AdminTokens,
    readonly sessions: SessionStore,
  ) {
    this.mainCred = hashOf(mainToken).toString('hex');
  }

  /** The admin a token belongs to, or null. */
  adminForToken(token: string): string | null {
    if (secretEquals(token, this.mainToken)) return MAIN_ADMIN;
    return this.tokens.verify(token);
  }

  /** Bearer token only (dm_mac's admin routes, scripts): throws 401. */
  bearer(request: FastifyRequest): AdminIdentity {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw errors.unauthorized('missing admin credential: send Authorization: Bearer <admin token>');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw errors.unauthorized('malformed Authorization header: expected "Bearer <admin token>"');
    const name = this.adminForToken(m[1]);
    if (name === null) throw errors.unauthorized('wrong admin token');
    return { name, via: 'token', session: null };
  }

  /** What a session remembers of the token it was opened with (its SHA-256, hex). */
  credentialOf(token: string): string {
    return hashOf(token).toString('hex');
  }

  /** The signed-in dashboard session of this request, or null (no CSRF check: reads only). */
  session(request: FastifyRequest): DashboardSession | null {
    const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
    if (id === null || id === '' || id.length > 200) return null;
    const s = this.sessions.lookup(id);
    if (!s) return null;
    // the token it was opened with must still work (ADMIN_TOKEN changed, admin removed)
    const current = s.admin === MAIN_ADMIN ? this.mainCred : this.tokens.hashOf(s.admin);
    if (current === null || !secretEquals(current, s.cred)) {
      this.sessions.end(s);
      return null;
    }
    return s;
  }

  /** A state change from the dashboard: same origin and the session's CSRF token, or 403. */
  checkCsrf(request: FastifyRequest, session: DashboardSession): void {
    const fetchSite = request.headers['sec-fetch-site'];
    if (typeof fetchSite === 'string' && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      throw errors.forbidden(`cross-site request refused (Sec-Fetch-Site: ${fetchSite})`);
    }
    const origin = request.headers.origin;
    if (typeof origin === 'string' && origin !== '' && ownOrigins(request).indexOf(origin) < 0) {
      throw errors.forbidden('cross-origin request refused: Origin does not match this server');
    }
    const given = request.headers[CSRF_HEADER];
    if (typeof given !== 'string' || given === '') {
      throw errors.forbidden(`missing ${CSRF_HEADER} header: state changes from the dashboard need the session's CSRF token`);
    }
    if (!secretEquals(given, session.csrf)) throw errors.forbidden(`wrong ${CSRF_HEADER} token`);
  }

  /** Bearer token, or a dashboard session (CSRF-checked for anything but reads): throws 401/403. */
  require(request: FastifyRequest): AdminIdentity {
    if (request.headers.authorization !== undefined) return this.bearer(request);
    const session = this.session(request);
    if (!session) {
      if (cookieValue(request.headers.cookie, SESSION_COOKIE) !== null) {
        throw errors.unauthorized('dashboard session expired or signed out: sign in again');
      }
      throw errors.unauthorized('missing admin credential: send Authorization: Bearer <admin token>');
    }
    if (!SAFE.has(request.method)) this.checkCsrf(request, session);
    return { name: session.admin, via: 'session', session };
  }
}
