// JSON Schemas of one users.json entry and one machines.json entry (dm_mac's keys plus fobgate's
// optional additive ones), compiled once with ajv. Each property may carry `messages`: the words
// an issue uses for a failed keyword ('type', 'required', 'range', 'pattern', 'format',
// 'minItems'); without them config-issues.ts words it from the schema itself. What a schema
// cannot say (fob codes in canonical form, duplicates across entries, alias collisions, reserved
// machine names) is checked in config.ts.
import { Ajv, type ValidateFunction } from 'ajv';

/** A calendar date written YYYY-MM-DD that exists (no 2025-02-29). */
export function isValidYmd(s: string): boolean {
  if (typeof s !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s)) return false;
  const y = parseInt(s.slice(0, 4), 10);
  const m = parseInt(s.slice(5, 7), 10);
  const d = parseInt(s.slice(8, 10), 10);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** Wording of a failed keyword, attached to the property's schema. */
export interface Messages {
  type?: string;
  required?: string;
  /** minimum / exclusiveMinimum / multipleOf, and numbers JSON cannot hold (1e400 -> Infinity). */
  range?: string;
  pattern?: string;
  format?: string;
  minItems?: string;
}

const nonBlank = '\\S';

const userString = { type: 'string' };

const authorizationNames = {
  type: 'array',
  items: { type: 'string' },
  messages: { type: 'must be an array of strings', required: 'is required (an array of authorization names)' },
};

/** One member of users.json, keys in the order issues are listed. */
export const USER_SCHEMA = {
  type: 'object',
  messages: { type: 'must be an object (one user)' },
  additionalProperties: false,
  required: ['account_id', 'full_name', 'first_name', 'last_name', 'preferred_name', 'email', 'expiration_ymd', 'fob_codes', 'authorizations'],
  properties: {
    account_id: { type: 'string', pattern: nonBlank, messages: { pattern: 'must not be empty' } },
    full_name: userString,
    first_name: userString,
    last_name: userString,
    preferred_name: userString,
    email: userString,
    expiration_ymd: { type: 'string', format: 'ymd', messages: { format: 'must be a calendar date written YYYY-MM-DD' } },
    fob_codes: {
      type: 'array',
      items: { type: 'string' },
      messages: { type: 'must be an array of strings', required: 'is required (an array of fob code strings)' },
    },
    authorizations: authorizationNames,
    oops_override: { type: 'boolean' },
  },
} as const;

function relayProperties(second: boolean) {
  return {
    authorizations_or: second
      ? { ...authorizationNames, minItems: 1, messages: { ...authorizationNames.messages, minItems: 'must not be empty' } }
      : authorizationNames,
    unauthorized_warn_only: { type: 'boolean' },
    always_enabled: { type: 'boolean' },
    alias: {
      type: ['string', 'null'],
      pattern: nonBlank,
      messages: { type: 'must be a string', pattern: 'must not be empty (leave it out to use the machine name)' },
    },
  };
}

/** One machine of machines.json (the value under its name), keys in the order issues are listed. */
export const MACHINE_SCHEMA = {
  type: 'object',
  messages: { type: 'must be an object (one machine)' },
  additionalProperties: false,
  required: ['authorizations_or'],
  properties: {
    ...relayProperties(false),
    second_relay: {
      type: ['object', 'null'],
      messages: { type: 'must be an object' },
      additionalProperties: false,
      required: ['authorizations_or'],
      properties: relayProperties(true),
    },
    offline_grace_hours: {
      type: 'number',
      exclusiveMinimum: 0,
      messages: { type: 'must be a number of hours', range: 'must be a positive number of hours' },
    },
    expiry_grace_days: {
      type: ['number', 'null'],
      minimum: 0,
      multipleOf: 1,
      messages: { type: 'must be a whole number of days or null', range: 'must be a whole number of days (0 or more) or null' },
    },
    legacy_updates: { type: 'boolean' },
  },
} as const;

let compiled: { user: ValidateFunction; machine: ValidateFunction } | null = null;

/** The two validators (compiled on first use). `verbose` keeps each error's data and schema. */
export function validators(): { user: ValidateFunction; machine: ValidateFunction } {
  if (compiled === null) {
    const ajv = new Ajv({ allErrors: true, verbose: true, ownProperties: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({ keyword: 'messages', schemaType: 'object' });
    ajv.addFormat('ymd', isValidYmd);
    compiled = { user: ajv.compile(USER_SCHEMA), machine: ajv.compile(MACHINE_SCHEMA) };
  }
  return compiled;
}
