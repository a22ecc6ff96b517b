// The authorization list for one machine: compact list (authlist-list), entries from the members
// file (authlist-entries), deltas between versions (authlist-delta), signature and rollback
// checks (authlist-sign), and the base64 they are written with.
//
// Server: buildList(machine, entriesFor(users, machine, today), version, now, sha256Hex), then
// encodeList or encodeDelta(diffLists(held, latest)), each signed with signText.
// Unit, keeping RAM at 5 bytes per member and every hash input under ~3 KB:
//   verifyText(text, sig) -> decodeList(text, sha, {names: <names file in flash>, base64: nativeBase64(...)})
//   delta: verifyText -> applyDelta(held, text, sha, {names: <sink writing a new names file>, base64})
//          -> write encodeListHead(list) then the names, re-sign with signText, checkNewer, switch.
//   lookup: findFob(list, card) -> subjectFromEntry(list, i) for decide().
export {
  FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, FLAG_MASK, NAME_WIDTH, LIST_FORMAT,
  type Sha256Hex, type ListEntry, type AuthList,
  HASH_CHUNK, MAX_LIST_COUNT, type DecodeOptions,
  machineHeader, nameRecord, listDigest, buildList, encodeListHead, encodeList, decodeList,
  findFob, nameAt, entryAt, subjectFromEntry, subjectForFob, listMemoryBytes,
} from './authlist-list.js';
export { flagsOf, entriesFor } from './authlist-entries.js';
export { DELTA_FORMAT, type Delta, type NamesSink, type ApplyOptions, diffLists, deltaAddAt, encodeDelta, decodeDelta, applyDelta } from './authlist-delta.js';
export { type HmacHex, type NewerVerdict, signText, verifyText, checkNewer, checkMachine } from './authlist-sign.js';
export {
  base64Length, base64Encode, base64DecodeInto, type Base64Codec, PURE_BASE64, type NativeBase64, nativeBase64,
} from './base64.js';
