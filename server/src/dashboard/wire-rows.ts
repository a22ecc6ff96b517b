// The dashboard's wire rows: what the server's fleet view sends on its stream and the pages read.
// No imports, so the browser bundle (server/web) type-checks against the same definitions.

export interface DashRow {
  name: string;
  display_name: string;
  kind: 'fobgate' | 'legacy' | 'none';
  registered: boolean;
  online: boolean;
  /** Online: since its check-ins began again; offline: its last check-in; null: never seen. */
  since: number | null;
  last_checkin: number | null;
  relay: boolean;
  /** The second relay's name (alias, else "second relay"), or null when the machine has none. */
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
  /** The unit reports a list this server did not issue (it gets no update until recovered or re-registered). */
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

/** What the status board shows: no member names unless configured. */
export interface BoardRow {
  name: string;
  display_name: string;
  status: 'free' | 'in_use' | 'oops' | 'maintenance' | 'offline';
  /** Only with STATUS_BOARD=names. */
  user: string | null;
  since: number | null;
}
