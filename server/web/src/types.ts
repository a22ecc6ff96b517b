// What the server sends (dashboard/fleet-view.ts and the admin API), as the page reads it.

export type { BoardRow, DashRow, FleetSnapshot } from '../../src/dashboard/wire-rows.js';
export type { MemberChange, StoredEvent, StoredSession, UsersReplaceResult } from '../../../shared/src/protocol.js';

export interface SessionInfo {
  admin: string;
  csrf: string;
  expires_at: number;
  board: string;
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

export interface UserRecord {
  account_id: string;
  full_name: string;
  fob_codes: string[];
  authorizations: string[];
}
