// Trust checks a unit runs on a list before using it: the HMAC signature over line 1 with its own
// key (the HMAC function is passed in), the content against the digest in line 1, that the list
// belongs to this machine, and no rollback to an older version than the one it holds.
//
// What is signed is only line 1, "fobgate-list/2 <digest>": the digest covers every other byte.
// So the same 79-byte signature input serves a list downloaded whole, a list rebuilt on the unit
// from a delta (the delta itself needs no signature: a wrong result fails the digest), and the
// check of a slot at boot.
import { fail, ok, type Result } from './errors.js';
import { constantTimeEqual } from './hmac.js';
import { type AuthList, type Sha256Hex, LINE1_BYTES, line1Of, openList } from './authlist-list.js';
import { DigestJob } from './authlist-digest.js';

/** hex HMAC-SHA256(key, msg) over 8-bit strings (node:crypto on the server, makeHmacSha256 on a unit). */
export type HmacHex = (key: string, msg: string) => string;

/** The signature of the list whose content has this digest: hex HMAC of its line 1. */
export function signList(digest: string, key: string, hmac: HmacHex): string {
  return hmac(key, line1Of(digest));
}

/** Does `sig` sign the list with this digest (constant-time compare)? */
export function checkSignature(digest: string, sig: unknown, key: string, hmac: HmacHex): Result<true> {
  if (typeof sig !== 'string' || sig.length === 0) return fail('LIST_SIGNATURE', 'authorization list: no signature');
  if (!constantTimeEqual(signList(digest, key, hmac), sig.toLowerCase())) {
    return fail('LIST_SIGNATURE', 'authorization list: signature does not match (wrong key or altered list)');
  }
  return ok(true);
}

/**
 * A whole list file checked at once: structure, signature, and the content against its digest.
 * (A unit checking a list in flash runs the digest in steps: see DigestJob.)
 */
export function verifyList(text: string, sig: unknown, key: string, hmac: HmacHex, sha256Hex: Sha256Hex): Result<AuthList> {
  const r = openList(text);
  if (!r.ok) return r;
  const s = checkSignature(r.value.digest, sig, key, hmac);
  if (!s.ok) return s;
  const job = new DigestJob(text, LINE1_BYTES, sha256Hex);
  job.step(text.length);
  if (job.value() !== r.value.digest) {
    return fail('LIST_DIGEST', 'authorization list: content does not match its digest (corrupted or tampered)');
  }
  return r;
}

/** What `checkNewer` found: apply the new list, or nothing to do (the same list is held). */
export type NewerVerdict = 'newer' | 'same';

/**
 * May a list (or a transfer announcing `{version, digest}`) replace the held one? Older ->
 * LIST_ROLLBACK; the same version is a no-op when the digest matches (or is not known) and
 * refused when it differs (one version, one content).
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
