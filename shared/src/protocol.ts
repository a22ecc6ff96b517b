// The wire contract between fobgate units and the server (sync endpoint) and the admin API's
// shapes, in one file both sides import. Integers only on the wire (milliseconds, tenths):
// the on-chip interpreter's JSON.stringify is lossy for floats.

/** Path of the unit sync endpoint. */
export const SYNC_PATH = '/api/v1/sync';
/** Header carrying hex HMAC-SHA256(unit key, raw body) on requests and responses. */
export const SIGNATURE_HEADER = 'x-fobgate-signature';
/** Default idle sync period of a unit, seconds. */
export const SYNC_INTERVAL_S = 5;
/** The highest request counter there is (the server refuses larger ones). */
export const MAX_COUNTER = 2147483647;

/** Most events one sync request may carry (the firmware sends 10 at a time). */
export const MAX_EVENTS_PER_SYNC = 50;
/** Longest `reason` and `detail` of an event (the firmware cuts them to these). */
export const EVENT_REASON_MAX = 64;
export const EVENT_DETAIL_MAX = 200;
/** Largest sync request body the server reads, bytes. */
export const SYNC_BODY_MAX = 128 * 1024;

/**
 * Codes of a 429 answer to a unit (its body carries `retry_after_s`, as does Retry-After):
 * RATE_LIMITED: the unit sent more requests or bytes than its budget; it sends nothing before
 * then. EVENTS_RATE_LIMITED: more events than its budget (or the server's event store is behind);
 * it keeps its events and goes on syncing without them until then.
 */
export const RATE_LIMITED = 'RATE_LIMITED';
export const EVENTS_RATE_LIMITED = 'EVENTS_RATE_LIMITED';
/** Longest wait a unit takes from a (possibly unsigned) 429, ms: a forged answer cannot silence it longer. */
export const RETRY_AFTER_MAX_MS = 5 * 60_000;

/** What a unit's relays/LCD look like right now, as reported by the unit. */
export interface UnitStateReport {
  relay: boolean;
  second_relay: boolean;
  oopsed: boolean;
  locked_out: boolean;
  /** Canonical 10-digit fob currently in the reader, or null. */
  rfid: string | null;
  /** Canonical fob of the member whose session is running, or null. */
  session_fob: string | null;
  /** Epoch ms when that session started (0 when the unit's clock is not set yet). */
  session_start: number;
  /** Decision look name (see `Look` in decision.ts). */
  look: string;
  /** The two LCD lines joined by "\n". */
  display: string;
}

export interface UnitTelemetry {
  wifi_signal_db: number | null;
  /** Free JS variables (process.memory().free) on the unit. */
  free_vars: number | null;
  /** Internal temperature in tenths of a degree C, or null. */
  temp_c10: number | null;
}

export type DeviceEventType =
  | 'boot'
  | 'session_start'
  | 'session_end'
  | 'denied'
  | 'oops'
  | 'oops_cleared'
  | 'locked_out'
  | 'unlocked'
  | 'second_relay'
  | 'list_applied'
  | 'list_rejected'
  | 'command_applied'
  | 'error'
  | 'dropped';

/** One buffered event. `seq` increases by 1 per event on a unit, across reboots. */
export interface DeviceEvent {
  seq: number;
  type: DeviceEventType;
  /** Epoch ms when known (unit clock set by a sync), else 0. */
  at: number;
  /** Unit uptime in ms when it happened. */
  up: number;
  fob?: string;
  /** Session duration (session_end), ms. */
  dur?: number;
  /** Denial reason, oops source, second relay mode, error code … */
  reason?: string;
  /** List version (list_applied/list_rejected) or command id (command_applied). */
  v?: number;
  /** Free text for errors (never secrets). */
  detail?: string;
  /** Number of events lost to ring-buffer overflow (type 'dropped'). */
  count?: number;
}

export interface SyncRequest {
  machine: string;
  /** Strictly increasing per unit, persisted on the unit; the server rejects a repeat. */
  counter: number;
  /** Firmware version string. */
  fw: string;
  /** Unit uptime in ms (monotonic since boot). */
  up: number;
  boot_count: number;
  list_version: number;
  list_digest: string;
  /**
   * The most bytes of list data (a full list or a delta) the unit takes inside this answer; a
   * larger update is announced for download (ListRequest). 0 (or absent, older firmware): always
   * download. A unit lowers it when its free memory is short.
   */
  list_inline_max?: number;
  /** Highest admin command id the unit has applied. */
  command_ack: number;
  state: UnitStateReport;
  telemetry: UnitTelemetry;
  /** Oldest first; contiguous seqs. */
  events: DeviceEvent[];
  /** Total events the unit lost to overflow since its buffer was created. */
  dropped_events: number;
}

export type CommandType = 'oops' | 'clear_oops' | 'lockout' | 'unlock';

export interface UnitCommand {
  id: number;
  type: CommandType;
  /** For lockout: true cuts a running session now; false (default) applies at next insertion. */
  cut: boolean;
  /** Who asked (admin name / token label). */
  by: string;
}

/**
 * A list update for the unit (format and design: authlist.ts, docs/list-transfer.md). Either the
 * whole list file (`full`) or a delta from the list the unit reported holding (`delta`, `from` =
 * that version). `digest` and `sig` are those of the RESULTING list: the unit rebuilds or stores
 * the list in its inactive slot, checks that its content has this digest and that `sig` is the
 * HMAC of its line 1, and only then uses it; so neither the bytes nor the delta need a signature
 * of their own. `bytes` is the size of what travels. Small updates carry their bytes inline in
 * `data` (base64), within the unit's list_inline_max; larger ones have no `data` and are fetched
 * with a ListRequest (LIST_PATH) and streamed into flash.
 */
export interface ListUpdate {
  kind: 'full' | 'delta';
  /** Version of the resulting list. */
  version: number;
  /** Delta only: the version it applies to (the unit's held list). */
  from?: number;
  /** Content digest of the resulting list (64 hex). */
  digest: string;
  /** hex HMAC(unit key, "fobgate-list/2 " + digest). */
  sig: string;
  /** Size of the list file or delta in bytes. */
  bytes: number;
  /** The bytes, base64, when they travel inline. */
  data?: string;
}

/**
 * Path of the list download: POST a ListRequest signed like a sync (SIGNATURE_HEADER over the raw
 * body, counter from the same strictly increasing sequence). The answer is the announced bytes
 * themselves (application/octet-stream, Content-Length = `bytes`): the list file for `from` 0,
 * else the delta from that version. Errors are JSON like every other route: 401 bad signature or
 * unregistered unit, 404 unknown machine, 409 replayed counter, 410 that version or base is no
 * longer held (sync again).
 */
export const LIST_PATH = '/api/v1/list';

export interface ListRequest {
  machine: string;
  /** Same sequence as SyncRequest.counter: strictly increasing per unit. */
  counter: number;
  /** The version the update announced. */
  version: number;
  /** The announced delta's base version, or 0 for the full list. */
  from: number;
}

export interface SyncResponse {
  /** Echo of the request counter. */
  counter: number;
  /**
   * The request's signature (lower-case hex, as received): binds this signed answer to the one
   * request it answers, so a recorded answer cannot be replayed to a later request, even one
   * that carries the same counter (a unit that re-bases its counter).
   */
  answers: string;
  /** Server time, epoch ms. */
  time: number;
  /** Highest event seq the server has stored for this unit (the unit may drop up to it). */
  ack_seq: number;
  latest_list_version: number;
  list: ListUpdate | null;
  commands: UnitCommand[];
  sync_interval_s: number;
}

/**
 * The 409 a unit gets for a counter not above the one the server holds. Unlike other errors it
 * is signed (x-fobgate-signature, the unit's key) and bound to the request it answers, so the
 * unit can trust `held` and continue above it; a refusal that is not signed for the request
 * moves nothing on the unit.
 */
export interface CounterRefusal {
  error: string;
  code: 'REPLAYED_REQUEST';
  /** The refused request's counter. */
  counter: number;
  /** Highest counter the server has accepted from this unit (0..MAX_COUNTER). */
  held: number;
  /** The refused request's signature (lower-case hex). */
  answers: string;
}

/** Error body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: string;
  code?: string;
  action_applied?: boolean;
  /** 429: seconds to wait (also in Retry-After). */
  retry_after_s?: number;
}

// ---- Admin API (Authorization: Bearer <ADMIN_TOKEN>) ----
// POST   /api/admin/units                   {machine, hold_until_verified?} -> UnitRegistration (pending key)
// POST   /api/admin/units/:name/pending/verified                 -> {success, unit_id} (flash tool)
// GET    /api/admin/units/:name                                  -> {machine, unit, pending} (ids, no keys)
// DELETE /api/admin/units/:name/pending                          -> {success, cancelled}
// GET    /api/admin/users                                        -> users.json array
// PUT    /api/admin/users?allow_removals=   users.json array     -> UsersReplaceResult
// GET    /api/admin/users/history                                -> UsersHistoryResponse
// POST   /api/admin/users/rollback          {revision?, allow_removals?, dry_run?} -> UsersReplaceResult
// GET    /api/admin/machines                                     -> FleetResponse
// POST   /api/admin/machines/:name/oops     {cut?}               -> {success: true}
// DELETE /api/admin/machines/:name/oops                          -> {success: true}
// POST   /api/admin/machines/:name/lockout  {cut?}               -> {success: true}
// DELETE /api/admin/machines/:name/lockout                       -> {success: true}
// GET    /api/admin/events?machine=&member=&from=&to=&limit=     -> {events: StoredEvent[]}
// GET    /api/admin/sessions?machine=&member=&from=&to=&limit=   -> {sessions: StoredSession[]}

export interface UnitRegistration {
  machine: string;
  /** Hex, 32 bytes. Shown once; store it only on the unit. */
  key: string;
  /** Public name of this key (a digest; not secret). */
  unit_id: string;
  /**
   * unit_id of the machine's current unit, or null. The new key is pending: the current unit keeps
   * working until a request signed with the new key arrives, which retires the old key.
   */
  replaces: string | null;
}

/** GET /api/admin/units/:name: which unit key a machine accepts, and a pending one (ids only). */
export interface UnitKeyStatus {
  machine: string;
  /** The unit whose key the server accepts now. */
  unit: { unit_id: string; registered_at: number } | null;
  /** A key issued for the machine's next unit that has not signed a request yet. */
  pending: { unit_id: string; registered_at: number; verified: boolean } | null;
}

export interface MemberChange {
  account_id: string;
  full_name: string;
  fobs_added: string[];
  fobs_removed: string[];
  authorizations_added: string[];
  authorizations_removed: string[];
  /** Other fields that changed (names, email, expiration, oops_override). */
  fields: string[];
}

export interface MemberName {
  account_id: string;
  full_name: string;
}

export interface UsersReplaceResult {
  /** New users-list version (each machine's authorization list version follows it). */
  version: number;
  added: string[];
  removed: string[];
  /** The same members as `added` / `removed`, with their names. */
  added_members: MemberName[];
  removed_members: MemberName[];
  /** Members in force before this change. */
  members_before: number;
  changed: MemberChange[];
  warnings: string[];
  /**
   * Members one replacement may remove without allow_removals: max(5, 10 % of the current list),
   * and never all of them.
   */
  removal_limit: number;
  /** This replacement removes more than that (refused unless allow_removals). */
  removals_need_confirmation: boolean;
  /** The users-history revision the replaced list was kept as (null: dry run, no change, or no history). */
  previous_revision: number | null;
}

/** One earlier users.json kept by the server (GET /api/admin/users/history). */
export interface UsersRevision {
  revision: number;
  /** Epoch ms it was kept (0 when unknown). */
  saved_at: number;
  /** Members it holds (-1 when unknown). */
  members: number;
  /** Why the list it holds was replaced. */
  reason: string;
}

export interface UsersHistoryResponse {
  /** Members in force now. */
  current_members: number;
  /** Newest first. */
  revisions: UsersRevision[];
}

export interface FleetRow {
  name: string;
  display_name: string;
  /** 'fobgate' (our unit, registered), 'legacy' (dm_mac/ESPHome updates seen), 'none' (never seen). */
  kind: 'fobgate' | 'legacy' | 'none';
  registered: boolean;
  online: boolean;
  /** Epoch ms of the last request that arrived, or null. */
  last_checkin: number | null;
  /** Epoch ms since when it has been offline (or online), null when never seen. */
  status_since: number | null;
  relay: boolean;
  second_relay: boolean;
  oopsed: boolean;
  locked_out: boolean;
  user: { account_id: string | null; full_name: string } | null;
  display: string;
  firmware: string | null;
  list_version_held: number | null;
  list_version_latest: number;
  /** The unit reports a list this server did not issue (see the server's list-versions.ts). */
  list_unrecognized: boolean;
  wifi_signal_db: number | null;
  /** Events the unit lost to its buffer overflowing (its lifetime total; 0 for none or no unit). */
  events_dropped: number;
  /** Epoch ms that total last grew, or null. */
  events_dropped_at: number | null;
  last_event: { type: string; at: number; summary: string } | null;
}

export interface FleetResponse {
  time: number;
  list_version_latest: number;
  machines: FleetRow[];
}

export interface StoredEvent {
  id: number;
  machine: string;
  at: number;
  type: string;
  source: 'unit' | 'legacy' | 'admin' | 'server';
  account_id: string | null;
  full_name: string | null;
  fob: string | null;
  reason: string | null;
  duration_ms: number | null;
  detail: string | null;
  unit_seq: number | null;
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
