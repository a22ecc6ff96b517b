// JSON-schema pieces shared by the route plugins: the error body and common params.

export const errorSchema = {
  type: 'object',
  description: 'What is wrong',
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    action_applied: { type: 'boolean' },
    retry_after_s: { type: 'integer' },
  },
  required: ['error'],
} as const;

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...statuses: number[]): { [status: number]: typeof errorSchema } {
  const out: { [status: number]: typeof errorSchema } = {};
  for (const s of [400, ...statuses]) out[s] = errorSchema;
  return out;
}

export const machineNameParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const successSchema = {
  type: 'object',
  properties: {
    success: { type: 'boolean' },
    /** fobgate units: the action waits as a command for the unit's next sync. */
    queued: { type: 'boolean' },
    command_id: { type: 'integer' },
  },
  required: ['success'],
} as const;

/**
 * Bounds of the integers a unit sends. Counters, sequence numbers, list versions and command ids
 * count up by one from 1 (2^31-1 is centuries of syncs); times and durations are ms and must stay
 * exact doubles. An unbounded value (1e300) would be stored, could never be exceeded (x + 1 === x)
 * and wedged the unit or, through list_version, every unit's list.
 */
export const MAX_COUNT = 2147483647;
export const MAX_MS = Number.MAX_SAFE_INTEGER;
/** A counter, sequence number, version or id: 0..MAX_COUNT. */
export const countInt = { type: 'integer', minimum: 0, maximum: MAX_COUNT } as const;
/** A positive counter: 1..MAX_COUNT. */
export const positiveCountInt = { type: 'integer', minimum: 1, maximum: MAX_COUNT } as const;
/** Epoch or uptime milliseconds, or a duration: 0..2^53-1. */
export const msInt = { type: 'integer', minimum: 0, maximum: MAX_MS } as const;
/** Any integer a double holds exactly (a list version or command id echoed back in an event). */
export const safeInt = { type: 'integer', minimum: -MAX_MS, maximum: MAX_MS } as const;
