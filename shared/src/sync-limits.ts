// Bounds of the unit <-> server wire (sync and list download): the firmware cuts what it sends to
// them and the server's schema (sync-schema.ts) refuses what exceeds them. Plain constants, safe
// on the chip.

/** Most events one sync request may carry (the firmware sends 10 at a time). */
export const MAX_EVENTS_PER_SYNC = 50;
/** Longest `reason` and `detail` of an event (the firmware cuts them to these). */
export const EVENT_REASON_MAX = 64;
export const EVENT_DETAIL_MAX = 200;
/** Largest sync request body the server reads, bytes. */
export const SYNC_BODY_MAX = 128 * 1024;

/**
 * Bounds of the integers a unit sends. Counters, sequence numbers, list versions and command ids
 * count up by one from 1 (2^31-1 is centuries of syncs); times and durations are ms and must stay
 * exact doubles. An unbounded value (1e300) would be stored, could never be exceeded (x + 1 === x)
 * and would wedge the unit or, through list_version, every unit's list.
 */
export const MAX_COUNT = 2147483647;
/** 2^53-1 (Number.MAX_SAFE_INTEGER, spelled out: the chip's library is ES5). */
export const MAX_MS = 9007199254740991;
