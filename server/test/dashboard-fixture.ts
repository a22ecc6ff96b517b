// Helpers for the dashboard tests: sign in through the real route, and call routes with the
// session cookie (and CSRF header) the way the page does.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { TOKEN } from './helpers.js';

export interface Signed {
  cookie: string;
  csrf: string;
  setCookie: string;
}

/** Signs in with `token` (default: the ADMIN_TOKEN); throws unless it worked. */
export async function signIn(app: FastifyInstance, token: string = TOKEN): Promise<Signed> {
  const r = await app.inject({ method: 'POST', url: '/dashboard/api/session', payload: { token } });
  if (r.statusCode !== 200) throw new Error(`sign-in: ${r.statusCode} ${r.body}`);
  const setCookie = String(r.headers['set-cookie']);
  const cookie = setCookie.split(';')[0];
  return { cookie, csrf: r.json().csrf, setCookie };
}

/** A request as the page makes it: session cookie, CSRF header on state changes. */
export function asPage(app: FastifyInstance, s: Signed, method: string, url: string, payload?: unknown, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { cookie: s.cookie, ...extra };
  if (method !== 'GET') headers['x-fobgate-csrf'] = s.csrf;
  return app.inject({ method: method as 'GET', url, headers, payload: payload as never });
}
