// The authorization list for one machine (format in authlist-list.ts, design in
// docs/list-transfer.md): one byte string that is the same on the wire, in a unit's flash and
// under the digest; entries from the members file (authlist-entries); the content digest as a
// hash chain (authlist-digest); the signature over line 1 and the rollback checks
// (authlist-sign); deltas and their streamed application (authlist-delta); the streamed check
// of a full list as it arrives (authlist-receive).
//
// Server: buildList(machine, entriesFor(users, machine, today), version, now, sha256Hex) -> its
// text; diffLists(held, latest) -> a delta; signList(digest, unitKey, hmac) -> the signature.
// Unit, with RAM independent of the list's size:
//   full list: FullListCheck.feed(each chunk) while the chunk goes to flash;
//   delta: DeltaMerge(held list in flash, sink writing the new slot).feed(each chunk);
//   then openList(new slot) + checkSignature + DigestJob steps over flash + checkNewer/checkMachine.
//   lookup: findFob(list, card) -> subjectFromEntry(list, i) for decide().
export {
  FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, FLAG_MASK, NAME_WIDTH, KEY_BYTES, RECORD_BYTES, LIST_FORMAT, LINE1_BYTES,
  MAX_HEADER_BYTES, MAX_LIST_COUNT,
  type Sha256Hex, type ListEntry, type AuthList, type ListHeader,
  machineHeader, nameRecord, fobKey, keyFob, recordOf, headerLine, listFileBytes, line1Of, isHex64, parseHeader, openList,
  recordAt, fobAt, flagsAt, nameAt, lowerBound, findFob, entryAt, hasFlag, subjectFromEntry, subjectForFob,
} from './authlist-list.js';
export { buildList } from './authlist-build.js';
export { HASH_PIECE, DigestJob, contentDigest, bodyDigest } from './authlist-digest.js';
export { flagsOf, entriesFor } from './authlist-entries.js';
export { DELTA_FORMAT, OP_SET, OP_DELETE, COPY_RECORDS, type DeltaMeta, type BodySink, diffLists, DeltaMerge, applyDelta } from './authlist-delta.js';
export { FullListCheck } from './authlist-receive.js';
export { type HmacHex, type NewerVerdict, signList, checkSignature, verifyList, checkNewer, checkMachine } from './authlist-sign.js';
