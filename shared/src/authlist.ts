// The authorization list for one machine: compact list (authlist-list), entries from the members
// file (authlist-entries), deltas between versions (authlist-delta), signature and rollback
// checks (authlist-sign), and the base64 they are written with.
export {
  FLAG_MAIN, FLAG_SECOND, FLAG_OVERRIDE, FLAG_EXPIRED, FLAG_MASK, NAME_WIDTH, LIST_FORMAT,
  type Sha256Hex, type ListEntry, type AuthList,
  HASH_CHUNK, type DecodeOptions,
  machineHeader, nameRecord, listDigest, buildList, encodeListHead, encodeList, decodeList,
  findFob, nameAt, entryAt, subjectFromEntry, subjectForFob, listMemoryBytes,
} from './authlist-list.js';
export { flagsOf, entriesFor } from './authlist-entries.js';
export { DELTA_FORMAT, type Delta, type NamesSink, type ApplyOptions, diffLists, deltaAddAt, encodeDelta, decodeDelta, applyDelta } from './authlist-delta.js';
export { type HmacHex, type NewerVerdict, signText, verifyText, checkNewer, checkMachine } from './authlist-sign.js';
export {
  base64Length, base64Encode, base64DecodeInto, type Base64Codec, PURE_BASE64, type NativeBase64, nativeBase64,
} from './base64.js';
