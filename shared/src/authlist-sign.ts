// Trust checks a unit runs on a list or delta before using it: HMAC signature with its own key
// (the HMAC function is passed in), the list belongs to this machine, and no rollback to an older
// version than the one it holds.
import { fail, ok, type Result } from './errors.js';
import { constantTimeEqual } from './hmac.js';
import { LIST_FORMAT } from './authlist-list.js';

/** hex HMAC-SHA256(key, msg) over 8-bit strings (node:crypto on the server, makeHmacSha256 on a unit). */
export type HmacHex = (key: string, msg: string) => string;

/**
 * What a signature covers. A full list: its first line ("fobgate-list/1 <digest>"), because the
 * digest already covers every other byte and decodeList checks it; so a unit signs and verifies
 * a 5,000-member list in flash with an 80-byte HMAC input. Anything else (a delta): all of it.
 */
function signedPart(text: string): string {
  if (text.substr(0, LIST_FORMAT.length + 1) === LIST_FORMAT + ' ') {
    const nl = text.indexOf('\n');
    if (nl > 0) return text.substring(0, nl);
  }
  return text;
}

/** Signature of a list or delta text: hex HMAC-SHA256 with the unit's key (see signedPart). */
export function signText(text: string, key: string, hmac: HmacHex): string {
  return hmac(key, signedPart(text));
}

/**
 * Verify a signature (constant-time compare). For a full list this authenticates its digest line:
 * use the list only as decodeList returns it (which checks every other byte against that digest).
 */
export function verifyText(text: string, sig: string, key: string, hmac: HmacHex): Result<true> {
  if (typeof text !== 'string' || typeof sig !== 'string') {
    return fail('LIST_SIGNATURE', 'authorization list: text and signature must be strings');
  }
  const want = hmac(key, signedPart(text));
  if (!constantTimeEqual(want, sig.toLowerCase())) {
    return fail('LIST_SIGNATURE', 'authorization list: signature does not match (wrong key or altered text)');
  }
  return ok(true);
}

/** What `checkNewer` found: apply the new list, or nothing to do (the same list is held). */
export type NewerVerdict = 'newer' | 'same';

/**
 * May a list (or a delta's result: `{version: delta.to, digest: delta.digest}`) replace the held
 * one? Older -> LIST_ROLLBACK; the same version is a no-op when the digest matches (or is not
 * known) and refused when it differs (one version, one content).
 */
export function checkNewer(
  heldVersion: number | null, list: { version: number; digest: string }, heldDigest?: string | null,
): Result<NewerVerdict> {
  if (heldVersion === null || heldVersion === undefined) return ok('newer');
  if (list.version > heldVersion) return ok('newer');
  if (list.version < heldVersion) {
    return fail('LIST_ROLLBACK', 'authorization list: version ' + list.version + ' is older than the held version ' + heldVersion);
  }
  if (heldDigest && heldDigest !== list.digest) {
    return fail('LIST_ROLLBACK', 'authorization list: version ' + list.version + ' is already held with different content');
  }
  return ok('same');
}

/** The list is for this machine (LIST_WRONG_MACHINE otherwise). */
export function checkMachine(list: { machine: { name: string } }, machineName: string): Result<true> {
  if (list.machine.name !== machineName) {
    return fail('LIST_WRONG_MACHINE', 'authorization list is for machine "' + list.machine.name + '", not "' + machineName + '"');
  }
  return ok(true);
}
