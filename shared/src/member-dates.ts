// Membership expiry on pure YYYY-MM-DD dates (no Date object: the chip and Lua agree to the
// day): strict parsing of a date and whether a membership is past its grace days.
// Espruino- and Lua-safe like the decision (decision.ts): no bitwise operators, no
// destructuring/spread/default params/Map/Set.

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  if (m === 4 || m === 6 || m === 9 || m === 11) return 30;
  return 31;
}

/** The number written by s[from..to) in decimal digits only, or -1. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Days since 1970-01-01 of a strict `YYYY-MM-DD` date, or null when it is not a real date. */
export function ymdToDays(ymd: string): number | null {
  if (typeof ymd !== 'string' || ymd.length !== 10 || ymd.charAt(4) !== '-' || ymd.charAt(7) !== '-') return null;
  const y0 = digits(ymd, 0, 4);
  const m = digits(ymd, 5, 7);
  const d = digits(ymd, 8, 10);
  if (y0 < 0 || m < 0 || d < 0) return null;
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y0, m)) return null;
  // civil-from-days inverse (proleptic Gregorian), integer arithmetic with Math.floor only
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = m > 2 ? m - 3 : m + 9;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Expired when expiry checking is on (graceDays a number) and today is more than graceDays days
 * after expiration. A date that cannot be read fails closed (expired).
 */
export function isExpired(expirationYmd: string, todayYmd: string, graceDays: number | null | undefined): boolean {
  if (typeof graceDays !== 'number' || !(graceDays === graceDays)) return false;
  const exp = ymdToDays(expirationYmd);
  const today = ymdToDays(todayYmd);
  if (exp === null || today === null) return true;
  return today - exp > graceDays;
}
