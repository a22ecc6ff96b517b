// What the machine's 16x2 LCD shows: the fixed texts of each look and the member's name made
// safe for it (the decision, the list and the unit all go through lcdSafeName).
// Espruino- and Lua-safe like the decision (decision.ts): no bitwise operators, no
// destructuring/spread/default params/Map/Set.

/** LCD width in characters (16x2 HD44780). */
export const LCD_WIDTH = 16;

export const DISPLAY_IDLE = 'Please Insert\nRFID Card';
export const DISPLAY_UNAUTHORIZED = 'Unauthorized';
export const DISPLAY_UNKNOWN = 'Unknown RFID';
export const DISPLAY_OOPS = 'Oops!! Please\ncheck/post Slack';
export const DISPLAY_LOCKED_OUT = 'Down for\nmaintenance';
export const DISPLAY_ALWAYS_ON = 'Always On';
export const DISPLAY_STALE = 'List too old\nMaintainers only';
export const DISPLAY_EXPIRED = 'Membership\nexpired';
export const WELCOME_PREFIX = 'Welcome,\n';
export const OVERRIDE_PREFIX = 'OVERRIDE BY\n';
export const LOCKOUT_PENDING_PREFIX = 'Lockout pending\n';

/** A name the LCD can show: printable ASCII only (others become '?'), at most 16 characters. */
export function lcdSafeName(name: string): string {
  const s = typeof name === 'string' ? name : '';
  // the common case, a clean short name, is returned as it is (no string built char by char:
  // this runs several times per decision, on the unit's tap path)
  let clean = s.length <= LCD_WIDTH;
  for (let i = 0; clean && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c > 126) clean = false;
  }
  if (clean) return s;
  let out = '';
  for (let i = 0; i < s.length && out.length < LCD_WIDTH; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c <= 126) {
      out += s.charAt(i);
    } else {
      // a UTF-16 surrogate pair is one character: one '?'
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      out += '?';
    }
  }
  return out;
}
