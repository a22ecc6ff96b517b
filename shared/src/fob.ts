// Fob codes. Canonical form: the card number as a decimal string left-padded with "0" to 10
// digits (what dm_mac stores and compares). Numeric form: the same number, for the unit's
// typed-array list (fits a Uint32: Wiegand 26-bit gives 24 data bits, 34-bit gives 32).
import { fail, ok, type Result } from './errors.js';

export const FOB_DIGITS = 10;
export const FOB_MAX = 4294967295;

/** Canonicalise a fob code typed by a person or sent by a unit ("91703745" -> "0091703745"). */
export function canonicalFob(raw: string): Result<string> {
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (s.length === 0) return fail('FOB_INVALID', 'fob code is empty');
  if (!allDigits(s)) return fail('FOB_INVALID', 'fob code "' + s + '" must contain only digits 0-9');
  if (s.length > FOB_DIGITS) {
    let z = 0;
    while (z < s.length && s.charCodeAt(z) === 48) z++;
    const stripped = s.substring(z);
    if (stripped.length > FOB_DIGITS) return fail('FOB_INVALID', 'fob code "' + s + '" has more than 10 digits');
    return ok(padFob(stripped));
  }
  return ok(padFob(s));
}

/** Only the digits 0-9 (a loop, not a RegExp: the same code compiles to Lua, which has none). */
function allDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function padFob(digits: string): string {
  let s = digits;
  while (s.length < FOB_DIGITS) s = '0' + s;
  return s;
}

/** Canonical code -> number; a code above 2^32-1 cannot come from a Wiegand reader. */
export function fobToNumber(code: string): Result<number> {
  const c = canonicalFob(code);
  if (!c.ok) return c;
  const n = parseInt(c.value, 10);
  if (n > FOB_MAX) return fail('FOB_INVALID', 'fob code "' + code + '" is above 4294967295 (32 bits)');
  return ok(n);
}

/** Number -> canonical code. */
export function numberToFob(n: number): string {
  return padFob(String(Math.floor(n)));
}
