// One machine's authorization list as a single byte string, identical on the wire (download),
// in a unit's flash (one file per slot) and under the digest. A unit never decodes it into RAM:
// it looks fobs up by binary search over the records where they lie (a flash-mapped file), so
// its RAM does not grow with the list.
//
// Layout (8-bit string; lines 1 and 2 are printable ASCII):
//   fobgate-list/2 <digest>\n                          line 1: LINE1_BYTES, the signed part
//   {"machine":{...},"version":V,"issued_at":T,"count":N}\n    canonical header JSON
//   N records of RECORD_BYTES, ascending by fob:
//     fob as 4 bytes big-endian | flag byte (FLAG_*) | name, NAME_WIDTH printable ASCII, space padded
// Big-endian keys sort like the numbers, so records compare as 4-character strings. Everything
// after line 1 is covered by the digest (authlist-digest.ts); line 1 by the signature
// (authlist-sign.ts). Runtime-neutral: strings and numbers only, no bitwise operators (Lua build).
import { fail, ok, type Result } from './errors.js';
import type { DecisionMachine, Subject } from './decision-types.js';
import { numberToFob, FOB_MAX } from './fob.js';
import { lcdSafeName } from './lcd-text.js';
import { MAX_SAFE, isIntIn, machineFromJson, machineJson, machineProblem } from './authlist-machine.js';

// The machine header and its helpers live in authlist-machine.ts; re-exported for the list's users.
export { MAX_SAFE, asciiJsonString, isIntIn, machineFromJson, machineHeader, machineJson, machineProblem } from './authlist-machine.js';

export const FLAG_MAIN = 1;
export const FLAG_SECOND = 2;
export const FLAG_OVERRIDE = 4;
export const FLAG_EXPIRED = 8;
/** Largest flag byte (all four flags). */
export const FLAG_MASK = 15;
/** Characters per name. */
export const NAME_WIDTH = 16;
/** Bytes of a fob key (big-endian uint32). */
export const KEY_BYTES = 4;
/** Bytes per record: key, flags, name. */
export const RECORD_BYTES = KEY_BYTES + 1 + NAME_WIDTH;
export const LIST_FORMAT = 'fobgate-list/2';
/** Line 1: format, space, 64 hex digest, newline. */
export const LINE1_BYTES = LIST_FORMAT.length + 1 + 64 + 1;
/** Longest header line a list (or a delta) may carry. */
export const MAX_HEADER_BYTES = 1024;
/**
 * The most entries a list may hold. A unit keeps two slots in flash (the list in force and the
 * one being received) beside its program: 2 x 16,383 x 21 bytes = 688 KB of the ESP32's 896 KB.
 */
export const MAX_LIST_COUNT = 16383;

/** SHA-256 of an 8-bit string, as 64 lowercase hex chars (passed in: node:crypto or the unit's). */
export type Sha256Hex = (msg: string) => string;

/** One fob as a machine's list holds it. */
export interface ListEntry {
  fob: number;
  /** FLAG_* bits. */
  flags: number;
  /** Preferred name for the LCD (ASCII, at most NAME_WIDTH chars). */
  name: string;
}

/**
 * A list: its header and the file text it was read from. `text` is the whole list file (a RAM
 * string on the server, a flash-mapped string on a unit); records start at `recStart`.
 */
export interface AuthList {
  machine: DecisionMachine;
  version: number;
  /** Epoch ms when the server built it. */
  issued_at: number;
  count: number;
  /** 64 hex chars from line 1 (verified against the content by authlist-digest). */
  digest: string;
  text: string;
  recStart: number;
}

/** The parsed header line of a list. */
export interface ListHeader {
  machine: DecisionMachine;
  version: number;
  issued_at: number;
  count: number;
}

/**
 * A name as its 16-char record: the decision's LCD-safe form (printable ASCII, others '?', cut to
 * 16), space padded. Trailing spaces do not survive the padding (nameAt trims them).
 */
export function nameRecord(name: string): string {
  let out = lcdSafeName(typeof name === 'string' ? name : '');
  while (out.length < NAME_WIDTH) out += ' ';
  return out;
}

/** A fob number as its 4-byte big-endian key (sorts like the number). */
export function fobKey(fob: number): string {
  return String.fromCharCode(Math.floor(fob / 16777216) % 256, Math.floor(fob / 65536) % 256, Math.floor(fob / 256) % 256, fob % 256);
}

/** The fob number of the 4-byte key at text[at]. */
export function keyFob(text: string, at: number): number {
  return ((text.charCodeAt(at) * 256 + text.charCodeAt(at + 1)) * 256 + text.charCodeAt(at + 2)) * 256 + text.charCodeAt(at + 3);
}

/** One record's bytes (the flags must already be within FLAG_MASK). */
export function recordOf(fob: number, flags: number, name: string): string {
  return fobKey(fob) + String.fromCharCode(flags) + nameRecord(name);
}

/** Canonical header line of a list (without its newline). */
export function headerLine(h: ListHeader): string {
  return '{"machine":' + machineJson(h.machine) + ',"version":' + String(h.version) + ',"issued_at":' +
    String(h.issued_at) + ',"count":' + String(h.count) + '}';
}

/** Size of the list file for a header line of `headerBytes` and `count` records. */
export function listFileBytes(headerBytes: number, count: number): number {
  return LINE1_BYTES + headerBytes + 1 + count * RECORD_BYTES;
}

/** Line 1 of a list with this digest (without its newline): what the signature covers. */
export function line1Of(digest: string): string {
  return LIST_FORMAT + ' ' + digest;
}

/** 64 lowercase hex characters (a digest), checked without a RegExp (the chip's is limited). */
export function isHex64(s: unknown): s is string {
  if (typeof s !== 'string' || s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function malformed<T>(what: string): Result<T> {
  return fail('LIST_MALFORMED', 'authorization list: ' + what);
}

/** The JSON object of text[from, to), or what is wrong with it. */
export function headerJson(text: string, from: number, to: number): { [k: string]: unknown } | string {
  let h: unknown;
  try {
    h = JSON.parse(text.substring(from, to));
  } catch (e) {
    return 'header line is not valid JSON';
  }
  if (!h || typeof h !== 'object' || Array.isArray(h)) return 'header must be a JSON object';
  return h as { [k: string]: unknown };
}

/**
 * Parses and checks a list header line held in text[from, to): JSON, machine, version, issued_at,
 * count, canonical form. Used for lists and for the result header a delta carries.
 */
export function parseHeader(text: string, from: number, to: number): Result<ListHeader> {
  if (to - from > MAX_HEADER_BYTES) return malformed('header line is longer than ' + MAX_HEADER_BYTES + ' bytes');
  const h = headerJson(text, from, to);
  if (typeof h === 'string') return malformed(h);
  const problem = machineProblem(h.machine);
  if (problem) return malformed(problem);
  if (!isIntIn(h.version, 0, MAX_SAFE)) return malformed('version must be a non-negative integer');
  if (!isIntIn(h.issued_at, 0, MAX_SAFE)) return malformed('issued_at must be a non-negative integer (epoch ms)');
  if (!isIntIn(h.count, 0, MAX_LIST_COUNT)) {
    return malformed('count must be an integer from 0 to ' + MAX_LIST_COUNT + ' (the most entries a unit can hold)');
  }
  const header: ListHeader = { machine: machineFromJson(h.machine), version: h.version, issued_at: h.issued_at, count: h.count };
  if (text.substring(from, to) !== headerLine(header)) return malformed('header line is not in canonical form');
  return ok(header);
}

/** Where the header line ends (its newline) in text[from, ...), or -1 within MAX_HEADER_BYTES. */
export function headerEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 || nl - from > MAX_HEADER_BYTES ? -1 : nl;
}

/**
 * Reads a list file's structure without touching its records: line 1 (format, digest), the
 * header line, and that the size matches the count. The digest and signature are checked apart
 * (authlist-digest, authlist-sign); the records' order and flags when they are received.
 */
export function openList(text: string): Result<AuthList> {
  if (typeof text !== 'string') return malformed('text must be a string');
  if (text.length < LINE1_BYTES + 3 || text.substring(0, LIST_FORMAT.length + 1) !== LIST_FORMAT + ' ' ||
    text.charCodeAt(LINE1_BYTES - 1) !== 10) {
    return malformed('first line must be "' + LIST_FORMAT + ' <digest>"');
  }
  const digest = text.substring(LIST_FORMAT.length + 1, LINE1_BYTES - 1);
  if (!isHex64(digest)) return malformed('digest must be 64 lowercase hex characters');
  const nl = headerEnd(text, LINE1_BYTES);
  if (nl < 0) return malformed('missing or overlong header line');
  const h = parseHeader(text, LINE1_BYTES, nl);
  if (!h.ok) return h;
  const want = listFileBytes(nl - LINE1_BYTES, h.value.count);
  if (text.length !== want) {
    return malformed('a list of ' + h.value.count + ' entries is ' + want + ' bytes, this one is ' + text.length);
  }
  return ok({
    machine: h.value.machine,
    version: h.value.version,
    issued_at: h.value.issued_at,
    count: h.value.count,
    digest: digest,
    text: text,
    recStart: nl + 1,
  });
}

/** Offset of record i. */
export function recordAt(list: AuthList, i: number): number {
  return list.recStart + i * RECORD_BYTES;
}

/** Fob number of entry i. */
export function fobAt(list: AuthList, i: number): number {
  return keyFob(list.text, recordAt(list, i));
}

/** Flag byte of entry i. */
export function flagsAt(list: AuthList, i: number): number {
  return list.text.charCodeAt(recordAt(list, i) + KEY_BYTES);
}

/** Name of entry i, trailing padding removed. */
export function nameAt(list: AuthList, i: number): string {
  const start = recordAt(list, i) + KEY_BYTES + 1;
  let name = list.text.substring(start, start + NAME_WIDTH);
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 32) end--;
  if (end < name.length) name = name.substring(0, end);
  return name;
}

/**
 * First index in [lo, count) whose key is >= `key` (count when none), by binary search over the
 * records (each probe reads one 4-byte key where the text lies).
 */
export function lowerBound(list: AuthList, key: string, lo: number): number {
  let a = lo;
  let b = list.count;
  const text = list.text;
  while (a < b) {
    const mid = Math.floor((a + b) / 2);
    const at = list.recStart + mid * RECORD_BYTES;
    if (text.substring(at, at + KEY_BYTES) < key) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** Index of `fob` in the list, or -1. */
export function findFob(list: AuthList, fob: number): number {
  if (!isIntIn(fob, 0, FOB_MAX)) return -1;
  const key = fobKey(fob);
  const i = lowerBound(list, key, 0);
  if (i >= list.count) return -1;
  const at = recordAt(list, i);
  return list.text.substring(at, at + KEY_BYTES) === key ? i : -1;
}

/** Entry i as an object (for tools and tests; the unit reads the records directly). */
export function entryAt(list: AuthList, i: number): ListEntry {
  return { fob: fobAt(list, i), flags: flagsAt(list, i), name: nameAt(list, i) };
}

/** Whether flag `bit` (a FLAG_* power of two) is set in a flag byte. */
export function hasFlag(flags: number, bit: number): boolean {
  return Math.floor(flags / bit) % 2 === 1;
}

/** The decision's view of entry i (a unit knows no account id; full_name = the LCD name). */
export function subjectFromEntry(list: AuthList, i: number): Subject {
  const f = flagsAt(list, i);
  const name = nameAt(list, i);
  return {
    fob: numberToFob(fobAt(list, i)),
    account_id: '',
    name: name,
    full_name: name,
    main: hasFlag(f, FLAG_MAIN),
    second: hasFlag(f, FLAG_SECOND),
    override: hasFlag(f, FLAG_OVERRIDE),
    expired: hasFlag(f, FLAG_EXPIRED),
  };
}

/** The subject for a fob number, or null when the fob is not on the list (unknown fob). */
export function subjectForFob(list: AuthList, fob: number): Subject | null {
  const i = findFob(list, fob);
  return i < 0 ? null : subjectFromEntry(list, i);
}

/** A non-negative whole number (what the header carries), else 0. */
export function wholeOrZero(n: number): number {
  return typeof n === 'number' && isFinite(n) && n > 0 ? Math.min(MAX_SAFE, Math.floor(n)) : 0;
}
