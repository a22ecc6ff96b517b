// Errors of the server, declared once with codes and HTTP statuses; routes throw them by name
// and the single error handler in app.ts turns them into `{"error": "..."}` answers.
import { STATUS_CODES } from 'node:http';

export type ServerErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_JSON'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_URL'
  | 'BAD_HTTP'
  | 'CLIENT_ERROR'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'URL_TOO_LONG'
  | 'NO_SUCH_MACHINE'
  | 'UNAUTHORIZED'
  | 'UNIT_NOT_REGISTERED'
  | 'UNIT_NOT_VERIFIED'
  | 'NO_PENDING_UNIT'
  | 'BAD_SIGNATURE'
  | 'REPLAYED_REQUEST'
  | 'LIST_GONE'
  | 'LEGACY_DISABLED'
  | 'CONFIG_INVALID'
  | 'REMOVALS_NOT_CONFIRMED'
  | 'RATE_LIMITED'
  | 'EVENTS_RATE_LIMITED'
  | 'NO_SUCH_REVISION'
  | 'SAVE_TIMEOUT'
  | 'SAVE_FAILED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'INTERNAL';

export interface ErrorExtra {
  action_applied?: boolean;
  retry_after_s?: number;
}

export class ServerError extends Error {
  readonly code: ServerErrorCode;
  readonly statusCode: number;
  /** Extra keys of the error body (e.g. action_applied; retry_after_s also sets Retry-After). */
  readonly extra: ErrorExtra;

  constructor(code: ServerErrorCode, statusCode: number, message: string, extra?: ErrorExtra) {
    super(message);
    this.code = code;
    this.statusCode = statusCode;
    this.extra = extra ?? {};
  }
}

export const errors = {
  badRequest: (what: string) => new ServerError('BAD_REQUEST', 400, what),
  badJson: (detail: string) => new ServerError('BAD_JSON', 400, `request body is not valid JSON: ${detail}`),
  bodyTooLarge: (limit: number) =>
    new ServerError('BODY_TOO_LARGE', 413, `request body is larger than the limit of ${limit} bytes`),
  unsupportedMediaType: (type: string) =>
    new ServerError('UNSUPPORTED_MEDIA_TYPE', 415, `unsupported content type "${type}": send application/json`),
  routeNotFound: (method: string, url: string) =>
    new ServerError('ROUTE_NOT_FOUND', 404, `no route ${method} ${url}`),
  methodNotAllowed: (method: string, url: string, allowed: string[]) =>
    new ServerError('METHOD_NOT_ALLOWED', 405, `method ${method} is not allowed on ${url} (allowed: ${allowed.join(', ')})`),
  badHttp: (what: string) => new ServerError('BAD_HTTP', 400, `malformed HTTP request: ${what}`),
  headersTooLarge: () => new ServerError('HEADERS_TOO_LARGE', 431, 'request headers are larger than the limit'),
  requestTimeout: () => new ServerError('REQUEST_TIMEOUT', 408, 'the request did not arrive in time'),
  /** Another 4xx (from a plugin); a bare status phrase ("Forbidden") gets the request it refers to. */
  clientError: (status: number, message: string, request: string) =>
    new ServerError(
      status === 400 ? 'BAD_REQUEST' : 'CLIENT_ERROR',
      status,
      message === STATUS_CODES[status] || message === '' ? `${STATUS_CODES[status] ?? 'refused'}: ${request} is not served` : message,
    ),
  badUrl: (url: string) =>
    new ServerError('BAD_URL', 400, `malformed URL ${url}: a %-escape in the path is not valid UTF-8 percent-encoding`),
  urlTooLong: (limit: number) =>
    new ServerError('URL_TOO_LONG', 414, `a path segment of the URL is longer than ${limit} characters`),
  noSuchMachine: (name: string) => new ServerError('NO_SUCH_MACHINE', 404, `No such machine: ${name}`),
  unauthorized: (why: string) => new ServerError('UNAUTHORIZED', 401, why),
  unitNotRegistered: (name: string) =>
    new ServerError('UNIT_NOT_REGISTERED', 401, `no unit is registered for machine ${name}`),
  unitNotVerified: (name: string) =>
    new ServerError(
      'UNIT_NOT_VERIFIED',
      401,
      `this unit's key for machine ${name} is waiting for the flash tool to verify the upload; it is accepted once the digests have matched`,
    ),
  noPendingUnit: (name: string) => new ServerError('NO_PENDING_UNIT', 404, `no unit key is pending for machine ${name}`),
  badSignature: () =>
    new ServerError('BAD_SIGNATURE', 401, 'bad or missing x-fobgate-signature: request not signed with this unit\'s key'),
  replayed: (counter: number, held: number) =>
    new ServerError('REPLAYED_REQUEST', 409, `replayed request: counter ${counter} is not above ${held}`),
  listGone: (version: number, latest: number) =>
    new ServerError('LIST_GONE', 410, `list version ${version} is no longer held (latest is ${latest}): sync again`),
  legacyDisabled: (name: string) =>
    new ServerError('LEGACY_DISABLED', 403, `legacy (unsigned) updates are disabled for machine ${name}`),
  legacyUnitRegistered: (name: string) =>
    new ServerError(
      'LEGACY_DISABLED',
      403,
      `legacy (unsigned) updates are refused for machine ${name}: a fobgate unit is registered for it and signs its requests`,
    ),
  configInvalid: (message: string) => new ServerError('CONFIG_INVALID', 400, message),
  /** A users list that removes more members than one change may without allow_removals. */
  removalsNotConfirmed: (message: string) => new ServerError('REMOVALS_NOT_CONFIRMED', 409, message),
  /** A unit over its request or byte budget: it must wait before sending anything. */
  rateLimited: (message: string, retryAfterS: number) => new ServerError('RATE_LIMITED', 429, message, { retry_after_s: retryAfterS }),
  /** A unit over its event budget (or the event store is behind): it keeps its events and syncs without them. */
  eventsRateLimited: (message: string, retryAfterS: number) =>
    new ServerError('EVENTS_RATE_LIMITED', 429, message, { retry_after_s: retryAfterS }),
  noSuchRevision: (message: string) => new ServerError('NO_SUCH_REVISION', 404, message),
  noUsersHistory: () =>
    new ServerError('NO_SUCH_REVISION', 404, 'no users history: the users list is not kept in a file (USERS_CONFIG)'),
  saveTimeout: (actionApplied: boolean) =>
    new ServerError('SAVE_TIMEOUT', 503, 'state save timeout', actionApplied ? { action_applied: true } : undefined),
  saveFailed: (actionApplied: boolean) =>
    new ServerError('SAVE_FAILED', 503, 'state save failed', actionApplied ? { action_applied: true } : undefined),
  forbidden: (why: string) => new ServerError('FORBIDDEN', 403, why),
  conflict: (why: string) => new ServerError('CONFLICT', 409, why),
  internal: () => new ServerError('INTERNAL', 500, 'internal error'),
};

export function isServerError(e: unknown): e is ServerError {
  return e instanceof ServerError;
}
