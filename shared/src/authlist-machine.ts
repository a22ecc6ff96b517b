// The machine's part of a list header (authlist-list.ts): the decision's machine config as a list
// carries it (printable ASCII names, the offline grace in whole seconds), its canonical JSON, and
// its reading back from a parsed header with every field checked; plus the ASCII-only JSON string
// and whole-number helpers the header uses. Runtime-neutral: strings and numbers only, no bitwise
// operators (Lua build).
import type { DecisionMachine } from './decision-types.js';

/** True when `n` is a whole number in [lo, hi]. */
export function isIntIn(n: unknown, lo: number, hi: number): n is number {
  return typeof n === 'number' && n === Math.floor(n) && n >= lo && n <= hi;
}

/** Largest integer the JSON header carries exactly. */
export const MAX_SAFE = 9007199254740991;

const HEX = '0123456789abcdef';

/** A JSON string literal using only printable ASCII (anything else as \uXXXX). */
export function asciiJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c >= 32 && c < 127) out += s.charAt(i);
    else {
      out += '\\u' + HEX.charAt(Math.floor(c / 4096) % 16) + HEX.charAt(Math.floor(c / 256) % 16) +
        HEX.charAt(Math.floor(c / 16) % 16) + HEX.charAt(c % 16);
    }
  }
  return out + '"';
}

/**
 * Printable ASCII only (anything else, a surrogate pair included, becomes one '?'): the chip's
 * strings are 8-bit, so only ASCII re-renders byte for byte there (and its LCD shows no more).
 */
function printableAscii(v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c <= 126) {
      out += s.charAt(i);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    out += '?';
  }
  return out;
}

/**
 * The DecisionMachine part of a machine config (MachineConfig has more keys), as a list carries
 * it: display names in printable ASCII, the offline grace rounded to whole seconds.
 */
export function machineHeader(m: DecisionMachine): DecisionMachine {
  const s = m.second_relay;
  return {
    name: printableAscii(m.name),
    display_name: printableAscii(m.display_name),
    unauthorized_warn_only: m.unauthorized_warn_only === true,
    always_enabled: m.always_enabled === true,
    second_relay: s
      ? {
        unauthorized_warn_only: s.unauthorized_warn_only === true,
        always_enabled: s.always_enabled === true,
        display_name: printableAscii(s.display_name),
      }
      : null,
    offline_grace_hours: graceSeconds(m.offline_grace_hours) / 3600,
  };
}

/**
 * The offline grace travels as whole seconds: hours may be fractional (machines.json allows
 * 0.5), and the interpreter prints floats lossily, which would change the header (and digest)
 * when a unit re-renders it.
 */
function graceSeconds(hours: number): number {
  return typeof hours === 'number' && isFinite(hours) && hours > 0 ? Math.round(hours * 3600) : 0;
}

/** Canonical JSON of a machine header (fixed key order, ASCII only; offline grace in seconds). */
export function machineJson(m: DecisionMachine): string {
  const s = m.second_relay;
  return (
    '{"name":' + asciiJsonString(m.name) +
    ',"display_name":' + asciiJsonString(m.display_name) +
    ',"unauthorized_warn_only":' + (m.unauthorized_warn_only ? 'true' : 'false') +
    ',"always_enabled":' + (m.always_enabled ? 'true' : 'false') +
    ',"second_relay":' +
    (s
      ? '{"unauthorized_warn_only":' + (s.unauthorized_warn_only ? 'true' : 'false') +
        ',"always_enabled":' + (s.always_enabled ? 'true' : 'false') +
        ',"display_name":' + asciiJsonString(s.display_name) + '}'
      : 'null') +
    ',"offline_grace_s":' + String(graceSeconds(m.offline_grace_hours)) +
    '}'
  );
}

/** A machine header from its parsed JSON (checked by machineProblem first). */
export function machineFromJson(v: unknown): DecisionMachine {
  type RelayJson = { unauthorized_warn_only: boolean; always_enabled: boolean; display_name: string };
  const m = v as RelayJson & { name: string; second_relay: RelayJson | null; offline_grace_s: number };
  const s = m.second_relay;
  return {
    name: m.name,
    display_name: m.display_name,
    unauthorized_warn_only: m.unauthorized_warn_only,
    always_enabled: m.always_enabled,
    second_relay: s
      ? { unauthorized_warn_only: s.unauthorized_warn_only, always_enabled: s.always_enabled, display_name: s.display_name }
      : null,
    offline_grace_hours: m.offline_grace_s / 3600,
  };
}

/** Validate a machine header's parsed JSON; returns what is wrong, or '' when fine. */
export function machineProblem(v: unknown): string {
  if (!v || typeof v !== 'object') return 'machine header must be an object';
  const m = v as { [k: string]: unknown };
  if (typeof m.name !== 'string' || m.name.length === 0) return 'machine.name must be a non-empty string';
  if (typeof m.display_name !== 'string') return 'machine.display_name must be a string';
  if (typeof m.unauthorized_warn_only !== 'boolean') return 'machine.unauthorized_warn_only must be true or false';
  if (typeof m.always_enabled !== 'boolean') return 'machine.always_enabled must be true or false';
  if (!isIntIn(m.offline_grace_s, 0, MAX_SAFE)) return 'machine.offline_grace_s must be a whole number of seconds';
  const s = m.second_relay;
  // absent counts as null (Lua cannot tell them apart); the canonical-form check then refuses
  // a header that leaves the key out
  if (s !== null && s !== undefined) {
    if (!s || typeof s !== 'object') return 'machine.second_relay must be an object or null';
    const r = s as { [k: string]: unknown };
    if (typeof r.unauthorized_warn_only !== 'boolean') return 'machine.second_relay.unauthorized_warn_only must be true or false';
    if (typeof r.always_enabled !== 'boolean') return 'machine.second_relay.always_enabled must be true or false';
    if (typeof r.display_name !== 'string') return 'machine.second_relay.display_name must be a string';
  }
  return '';
}
