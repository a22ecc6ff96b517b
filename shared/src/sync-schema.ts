// The unit -> server wire contract written once, as TypeBox schemas: the server validates the
// sync and list-download request bodies against them (server/src/routes/sync.ts, list.ts) and
// protocol.ts derives the TypeScript types of those bodies from them. Node side only: protocol.ts
// imports from here with `import type`, which the compiler erases, so the firmware never bundles
// TypeBox (and the chip type-check only sees the derived types).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { EVENT_DETAIL_MAX, EVENT_REASON_MAX, MAX_COUNT, MAX_EVENTS_PER_SYNC, MAX_MS } from './sync-limits.js';

/** A counter, sequence number, version or id: 0..MAX_COUNT. */
export const CountInt = Type.Integer({ minimum: 0, maximum: MAX_COUNT });
/** A positive counter: 1..MAX_COUNT. */
export const PositiveCountInt = Type.Integer({ minimum: 1, maximum: MAX_COUNT });
/** Epoch or uptime milliseconds, or a duration: 0..2^53-1. */
export const MsInt = Type.Integer({ minimum: 0, maximum: MAX_MS });
/** Any integer a double holds exactly (a list version or command id echoed back in an event). */
export const SafeInt = Type.Integer({ minimum: -MAX_MS, maximum: MAX_MS });

/**
 * `schema` or null, as one JSON-schema `type` array (`["number","null"]`): the validator then says
 * "must be number,null" rather than listing the failures of an anyOf's branches.
 */
function orNull<T extends TSchema & { type: string }>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

/** Canonical 10-digit fob, or null. */
const FobOrNull = orNull(Type.String({ pattern: '^[0-9]{10}$' }));
const NumberOrNull = orNull(Type.Number());

/** The event types today's firmware sends. */
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
export const DeviceEventSchema = Type.Object(
  {
    seq: PositiveCountInt,
    // Any lower-case name on the wire: an unknown type from newer firmware is stored as a unit
    // event, not a reason to refuse the whole sync and wedge the unit's buffer.
    type: Type.Unsafe<DeviceEventType>(Type.String({ pattern: '^[a-z_]{1,32}$' })),
    /** Epoch ms when known (unit clock set by a sync), else 0. */
    at: MsInt,
    /** Unit uptime in ms when it happened. */
    up: MsInt,
    fob: Type.Optional(Type.String({ maxLength: 10 })),
    /** Session duration (session_end), ms. */
    dur: Type.Optional(MsInt),
    /** Denial reason, oops source, second relay mode, error code … */
    reason: Type.Optional(Type.String({ maxLength: EVENT_REASON_MAX })),
    /** List version (list_applied/list_rejected) or command id (command_applied). */
    v: Type.Optional(SafeInt),
    /** Free text for errors (never secrets). */
    detail: Type.Optional(Type.String({ maxLength: EVENT_DETAIL_MAX })),
    /** Number of events lost to ring-buffer overflow (type 'dropped'). */
    count: Type.Optional(CountInt),
  },
  { additionalProperties: false },
);

/** What a unit's relays/LCD look like right now, as reported by the unit. */
export const UnitStateReportSchema = Type.Object(
  {
    relay: Type.Boolean(),
    second_relay: Type.Boolean(),
    oopsed: Type.Boolean(),
    locked_out: Type.Boolean(),
    /** Canonical 10-digit fob currently in the reader, or null. */
    rfid: FobOrNull,
    /** Canonical fob of the member whose session is running, or null. */
    session_fob: FobOrNull,
    /** Epoch ms when that session started (0 when the unit's clock is not set yet). */
    session_start: MsInt,
    /** Decision look name (see `Look` in decision-types.ts; an unknown one keeps the last). */
    look: Type.String({ maxLength: 64 }),
    /** The two LCD lines joined by "\n". */
    display: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const UnitTelemetrySchema = Type.Object(
  {
    wifi_signal_db: NumberOrNull,
    /** Free JS variables (process.memory().free) on the unit. */
    free_vars: NumberOrNull,
    /** Internal temperature in tenths of a degree C, or null. */
    temp_c10: NumberOrNull,
  },
  { additionalProperties: false },
);

/** Body of POST SYNC_PATH, signed with the unit's key. */
export const SyncRequestSchema = Type.Object(
  {
    machine: Type.String({ minLength: 1, maxLength: 64 }),
    /** Strictly increasing per unit, persisted on the unit; the server rejects a repeat. */
    counter: PositiveCountInt,
    /** Firmware version string. */
    fw: Type.String({ maxLength: 128 }),
    /** Unit uptime in ms (monotonic since boot). */
    up: MsInt,
    boot_count: CountInt,
    list_version: CountInt,
    list_digest: Type.String({ maxLength: 64 }),
    /**
     * The most bytes of list data (a full list or a delta) the unit takes inside this answer; a
     * larger update is announced for download (ListRequest). 0 (or absent, older firmware): always
     * download. A unit lowers it when its free memory is short.
     */
    list_inline_max: Type.Optional(CountInt),
    /** Highest admin command id the unit has applied. */
    command_ack: CountInt,
    state: UnitStateReportSchema,
    telemetry: UnitTelemetrySchema,
    /** Oldest first; contiguous seqs. */
    events: Type.Array(DeviceEventSchema, { maxItems: MAX_EVENTS_PER_SYNC }),
    /** Total events the unit lost to overflow since its buffer was created. */
    dropped_events: CountInt,
  },
  { additionalProperties: false },
);

/** Body of POST LIST_PATH, signed like a sync. */
export const ListRequestSchema = Type.Object(
  {
    machine: Type.String({ minLength: 1, maxLength: 64 }),
    /** Same sequence as SyncRequest.counter: strictly increasing per unit. */
    counter: PositiveCountInt,
    /** The version the update announced. */
    version: CountInt,
    /** The announced delta's base version, or 0 (or absent, older firmware) for the full list. */
    from: Type.Optional(CountInt),
  },
  { additionalProperties: false },
);
