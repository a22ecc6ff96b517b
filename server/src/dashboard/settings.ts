// The dashboard's and the Slack commands' settings, from the environment (server.ts passes it;
// nothing else reads it). Every value is checked and a wrong one stops start-up with a message
// naming the variable; secrets are never echoed.

export type Env = { [key: string]: string | undefined };

export type BoardMode = 'off' | 'on' | 'names';

export interface DashboardOptions {
  /** Signed out after this long without a request, ms (30 min). */
  sessionIdleMs?: number;
  /** Signed out this long after signing in, ms (12 h). */
  sessionMaxMs?: number;
  /** The status board at /board: off (default), on (no member names) or names. */
  board?: BoardMode;
  /** Mark the session cookie Secure (serve the dashboard over HTTPS, e.g. behind a proxy). */
  secureCookie?: boolean;
  /** Folder of admins.json and dashboard.json (default: beside state.json); null: memory only. */
  stateDir?: string | null;
}

export interface SlackCommandOptions {
  /** The Slack app's signing secret. */
  signingSecret: string;
  /** Id of the control channel (C…): the only channel whose commands are obeyed. */
  controlChannelId: string;
  /** response_url prefixes the server may post replies to (default Slack's https://hooks.slack.com/). */
  responseUrlPrefixes?: string[];
  /** Requests older (or newer) than this are refused, s (300). */
  maxAgeS?: number;
}

export interface DashboardSettings {
  dashboard: DashboardOptions;
  slack: SlackCommandOptions | null;
}

function whole(env: Env, name: string, dflt: number, min: number, max: number): number | string {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!/^[0-9]+$/.test(raw)) return `${name}: must be a whole number, got "${raw}"`;
  const n = Number(raw);
  if (n < min || n > max) return `${name}: must be between ${min} and ${max}, got ${n}`;
  return n;
}

export function readDashboardSettings(env: Env): { ok: true; value: DashboardSettings } | { ok: false; message: string } {
  const idle = whole(env, 'DASHBOARD_SESSION_IDLE_MIN', 30, 1, 7 * 24 * 60);
  const max = whole(env, 'DASHBOARD_SESSION_MAX_H', 12, 1, 24 * 30);
  for (const v of [idle, max]) if (typeof v === 'string') return { ok: false, message: v };
  const boardRaw = (env.STATUS_BOARD || 'off').toLowerCase();
  if (boardRaw !== 'off' && boardRaw !== 'on' && boardRaw !== 'names') {
    return { ok: false, message: `STATUS_BOARD: must be off, on or names, got "${env.STATUS_BOARD}"` };
  }
  const secureRaw = (env.DASHBOARD_SECURE_COOKIE || '0').toLowerCase();
  if (!['0', '1', 'true', 'false'].includes(secureRaw)) {
    return { ok: false, message: 'DASHBOARD_SECURE_COOKIE: must be 0 or 1' };
  }
  const secret = env.SLACK_SIGNING_SECRET || '';
  const channel = env.SLACK_CONTROL_CHANNEL_ID || '';
  let slack: SlackCommandOptions | null = null;
  if (secret !== '' || channel !== '') {
    if (secret === '') return { ok: false, message: 'SLACK_SIGNING_SECRET: must be set together with SLACK_CONTROL_CHANNEL_ID' };
    if (channel === '') return { ok: false, message: 'SLACK_CONTROL_CHANNEL_ID: must be set together with SLACK_SIGNING_SECRET' };
    if (!/^[0-9a-fA-F]{16,128}$/.test(secret)) {
      return { ok: false, message: 'SLACK_SIGNING_SECRET: must be the app\'s signing secret (hex digits, from "Basic Information")' };
    }
    if (!/^[CG][A-Z0-9]{4,30}$/.test(channel)) {
      return { ok: false, message: `SLACK_CONTROL_CHANNEL_ID: must be a channel id such as C0123ABCD, got "${channel}"` };
    }
    slack = { signingSecret: secret, controlChannelId: channel };
  }
  return {
    ok: true,
    value: {
      dashboard: {
        sessionIdleMs: (idle as number) * 60_000,
        sessionMaxMs: (max as number) * 3_600_000,
        board: boardRaw,
        secureCookie: secureRaw === '1' || secureRaw === 'true',
      },
      slack,
    },
  };
}
