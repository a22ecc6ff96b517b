// Equality of two JSON-shaped values (plain objects, arrays, strings, numbers, booleans, null),
// without serialising them: the hot paths compare a machine's state before and after an update
// on every heartbeat.
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as { [k: string]: unknown };
  const bo = b as { [k: string]: unknown };
  let n = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k)) continue;
    // JSON.stringify drops undefined members: so does this comparison
    if (ao[k] === undefined) continue;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !sameJson(ao[k], bo[k])) return false;
    n++;
  }
  let m = 0;
  for (const k in bo) if (Object.prototype.hasOwnProperty.call(bo, k) && bo[k] !== undefined) m++;
  return n === m;
}
