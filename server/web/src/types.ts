// What the server sends (dashboard/fleet-view.ts and the admin API), as the page reads it.

export type { BoardRow, DashRow, FleetSnapshot } from '../../src/dashboard/wire-rows.js';

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
