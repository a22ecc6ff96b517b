// What the server sends (dashboard/fleet-view.ts and the admin API), as the page reads it.

export interface DashRow {
  name: string;
  display_name: string;
  kind: 'fobgate' | 'legacy' | 'none';
  registered: boolean;
  online: boolean;
  since: number | null;
  last_checkin: number | null;
  relay: boolean;
  second_relay_name: string | null;
  second_relay: boolean;
  oopsed: boolean;
  locked_out: boolean;
  lockout_pending: boolean;
  user: { account_id: string | null; full_name: string } | null;
  session_start: number | null;
  override: boolean;
  display: string;
  firmware: string | null;
  list_version_held: number | null;
  list_version_latest: number;
  list_unrecognized: boolean;
  wifi_signal_db: number | null;
  wifi_signal_percent: number | null;
  last_event: { type: string; at: number; summary: string } | null;
  dropped_events: number;
  commands_pending: number;
}

export interface FleetSnapshot {
  time: number;
  list_version_latest: number;
  machines: DashRow[];
}

export interface SessionInfo {
  admin: string;
  csrf: string;
  expires_at: number;
  board: string;
}

export interface StoredEvent {
  id: number;
  machine: string;
  at: number;
  type: string;
  source: string;
  account_id: string | null;
  full_name: string | null;
  fob: string | null;
  reason: string | null;
  duration_ms: number | null;
  detail: string | null;
}

export interface StoredSession {
  machine: string;
  account_id: string | null;
  full_name: string;
  fob: string;
  start: number;
  end: number | null;
  duration_ms: number | null;
  override: boolean;
}

/** GET /api/admin/usage: one member's use of one machine in one month. */
export interface UsageRow {
  month: string;
  machine: string;
  display_name: string;
  account_id: string;
  full_name: string;
  sessions: number;
  total_ms: number;
}

export interface MemberChange {
  account_id: string;
  full_name: string;
  fobs_added: string[];
  fobs_removed: string[];
  authorizations_added: string[];
  authorizations_removed: string[];
  fields: string[];
}

export interface UsersReplaceResult {
  version: number;
  added: string[];
  removed: string[];
  changed: MemberChange[];
  warnings: string[];
  /** From servers that guard against mass removals: whether this one needs allow_removals. */
  removals_need_confirmation?: boolean;
  removal_limit?: number;
  members_before?: number;
}

export interface UserRecord {
  account_id: string;
  full_name: string;
  fob_codes: string[];
  authorizations: string[];
}

export interface BoardRow {
  name: string;
  display_name: string;
  status: 'free' | 'in_use' | 'oops' | 'maintenance' | 'offline';
  user: string | null;
  since: number | null;
}
