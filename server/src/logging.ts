// How the server logs: one line per meaningful event (a state change the audit log records, an
// alert, an error) at `info`; the per-request access log only when asked for (ACCESS_LOG=1,
// `--access-log`, or LOG_LEVEL=debug/trace), because at thousands of heartbeats a second it costs
// a third of the server's CPU and says nothing. Human-readable lines (pino-pretty, pino's own
// prettifier) when stdout is a terminal, JSON lines otherwise (LOG_FORMAT forces either).
// Credentials are redacted wherever a request is logged; event lines carry no fob codes.
import type { FastifyServerOptions } from 'fastify';
import { pino } from 'pino';
import type { StoredEvent } from '@fobgate/shared';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogSettings {
  level: LogLevel;
  /** Log every request (fastify's "incoming request" / "request completed" lines). */
  accessLog: boolean;
  /** pino-pretty lines instead of JSON. */
  pretty: boolean;
}

export type LogSettingsResult = { ok: true; value: LogSettings } | { ok: false; message: string };

const yes = ['1', 'true', 'yes', 'on'];
const no = ['0', 'false', 'no', 'off'];

/**
 * Reads LOG_LEVEL (default info), ACCESS_LOG (default: on only at debug/trace) and LOG_FORMAT
 * (pretty|json; default pretty on a terminal); `argv` may carry `--access-log`.
 */
export function readLogSettings(env: { [k: string]: string | undefined }, argv: string[], stdoutIsTTY: boolean): LogSettingsResult {
  const rawLevel = (env.LOG_LEVEL ?? '').trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) {
    return { ok: false, message: `LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"` };
  }
  const level = rawLevel as LogLevel;
  let accessLog = level === 'debug' || level === 'trace';
  const rawAccess = (env.ACCESS_LOG ?? '').trim().toLowerCase();
  if (rawAccess !== '') {
    if (yes.includes(rawAccess)) accessLog = true;
    else if (no.includes(rawAccess)) accessLog = false;
    else return { ok: false, message: `ACCESS_LOG: must be 1 or 0 (true/false), got "${env.ACCESS_LOG}"` };
  }
  if (argv.includes('--access-log')) accessLog = true;
  const rawFormat = (env.LOG_FORMAT ?? '').trim().toLowerCase();
  let pretty = stdoutIsTTY;
  if (rawFormat === 'pretty') pretty = true;
  else if (rawFormat === 'json') pretty = false;
  else if (rawFormat !== '') return { ok: false, message: `LOG_FORMAT: must be pretty or json, got "${env.LOG_FORMAT}"` };
  return { ok: true, value: { level, accessLog, pretty } };
}

/** Request fields never written to a log. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-fobgate-signature"]',
  'req.headers.cookie',
  'req.headers["x-fobgate-csrf"]',
  'req.headers["x-slack-signature"]',
];

/** fastify's `logger` option for these settings. */
export function loggerOptions(s: LogSettings): FastifyServerOptions['logger'] {
  const base = { level: s.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  // JSON lines go out asynchronously: a line written while an earlier write is under way joins
  // the next write, and the main thread never waits on a slow pipe or journal (a storm of 2,000
  // rebooting units is 2,000 event lines). pino flushes what is left when the process exits.
  if (!s.pretty) return { ...base, stream: pino.destination({ dest: 1, sync: false }) };
  return {
    ...base,
    // the event fields are in the message already: a terminal shows one line per event
    transport: {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: `pid,hostname,${EVENT_FIELDS.join(',')}` },
    },
  };
}

const EVENT_FIELDS = ['event', 'event_id', 'source', 'machine', 'account_id', 'reason', 'duration_ms'];

/** The fields of an audit event worth a log line (no fob code: it opens the door). */
export function eventLogFields(e: StoredEvent): { [k: string]: string | number } {
  const f: { [k: string]: string | number } = { event: e.type, event_id: e.id, source: e.source };
  if (e.machine) f.machine = e.machine;
  if (e.account_id) f.account_id = e.account_id;
  if (e.reason) f.reason = e.reason;
  if (e.duration_ms !== null) f.duration_ms = e.duration_ms;
  return f;
}

/** Hides anything shaped like a fob code (an unknown member is named "unknown member (fob …)"). */
function noFobs(text: string): string {
  return text.replace(/[0-9]{6,}/g, '…');
}

/** One readable line for an audit event: "session_start on lathe by Ada Tester [authorized]". */
export function eventLogLine(e: StoredEvent): string {
  let s = e.type;
  if (e.machine) s += ` on ${e.machine}`;
  if (e.full_name) s += ` by ${noFobs(e.full_name)}`;
  if (e.reason) s += ` [${e.reason}]`;
  if (e.detail && e.type !== 'session_start' && e.type !== 'session_end') s += `: ${noFobs(e.detail)}`;
  return s;
}
