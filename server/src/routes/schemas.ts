// JSON-schema pieces shared by the route plugins: the error body and common params. (What a unit
// sends is described by @fobgate/shared's sync-schema.ts.)

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
