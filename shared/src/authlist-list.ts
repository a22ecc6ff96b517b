// One machine's authorization list in its compact form (sorted Uint32 fob numbers, one flag byte
// each, names as fixed 16-char ASCII records kept apart) and its canonical text encoding for
// flash and the wire, with content digest, strict decoding and binary-search lookups.
//
// Text layout (printable ASCII, lines joined by "\n", no trailing newline):
//   fobgate-list/1 <digest: listDigest() of the lines below>
//   {"machine":{...},"version":V,"issued_at":T,"count":N}      canonical header JSON
//   <base64 of the fobs, N x uint32 little-endian>
//   <base64 of the flags, N bytes>
//   <names: N x 16 chars, space padded>                        last line: name i at i*16
// The digest is a pure function of the content, so a list rebuilt from a delta has the same
// digest; it is computed in small pieces (listDigest) so a unit can check a list lying in flash.
import { fail, ok, type Result } from './errors.js';
import type { DecisionMachine, Subject } from './decision-types.js';
import { numberToFob, FOB_MAX } from './fob.js';
import { lcdSafeName } from './decision.js';
import { base64Length, PURE_BASE64, type Base64Codec } from './base64.js';

export const FLAG_MAIN = 1;
export const FLAG_SECOND = 2;
export const FLAG_OVERRIDE = 4;
export const FLAG_EXPIRED = 8;
/** Bits a flag byte may have. */
export const FLAG_MASK = 15;
/** Characters per name record. */
export const NAME_WIDTH = 16;
export const LIST_FORMAT = 'fobgate-list/1';

/** SHA-256 of an 8-bit string, as 64 lowercase hex chars (passed in: node:crypto or the unit's). */
export type Sha256Hex = (msg: string) => string;

/** One member's fob as a machine's list holds it. */
export interface ListEntry {
  fob: number;
  /** FLAG_* bits. */
  flags: number;
  /** Preferred name for the LCD (ASCII, at most NAME_WIDTH chars). */
  name: string;
}

export interface AuthList {
  machine: DecisionMachine;
  version: number;
  /** Epoch ms when the server built it. */
  issued_at: number;
  count: number;
  /** Ascending, unique. */
  fobs: Uint32Array;
  flags: Uint8Array;
  /** count * NAME_WIDTH chars. */
  names: string;
  /** listDigest of the content (64 hex chars); identifies the list (sync requests, delta bases). */
  digest: string;
}

/** True when `n` is a whole number in [lo, hi]. */
export function isIntIn(n: unknown, lo: number, hi: number): n is number {
  return typeof n === 'number' && n === Math.floor(n) && n >= lo && n <= hi;
}

/** Largest integer the JSON header carries exactly. */
export const MAX_SAFE = 9007199254740991;
/**
 * The most entries a list (or a delta's result) may hold: a unit keeps the fobs in one
 * Uint32Array, and an Espruino ArrayBuffer is at most 65535 bytes ("Invalid length for
 * ArrayBuffer", src/jswrap_arraybuffer.c), so 65535 / 4 = 16383 fobs.
 */
export const MAX_LIST_COUNT = 16383;

const HEX = '0123456789abcdef';

/** A JSON string literal using only printable ASCII (anything else as \uXXXX). */
export function asciiJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) out += '\\"';
    else if (c === 92) out += '\\\\';
    else if (c >= 32 && c < 127) out += s[i];
    else out += '\\u' + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] + HEX[(c >> 4) & 15] + HEX[c & 15];
  }
  return out + '"';
}

/**
 * Printable ASCII only (anything else, a surrogate pair included, becomes one '?'): the chip's
 * strings are 8-bit, so only ASCII re-renders byte for byte there (and its LCD shows no more).
 */
function printableAscii(v: unknown): string {
  const s = typeof v === 'string' ? v : '';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c <= 126) {
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    out += '?';
  }
  return out;
}

/**
 * The DecisionMachine part of a machine config (MachineConfig has more keys), as a list carries
 * it: display names in printable ASCII, the offline grace rounded to whole seconds.
 */
export function machineHeader(m: DecisionMachine): DecisionMachine {
  const s = m.second_relay;
  return {
    name: printableAscii(m.name),
    display_name: printableAscii(m.display_name),
    unauthorized_warn_only: m.unauthorized_warn_only === true,
    always_enabled: m.always_enabled === true,
    second_relay: s
      ? {
        unauthorized_warn_only: s.unauthorized_warn_only === true,
        always_enabled: s.always_enabled === true,
        display_name: printableAscii(s.display_name),
      }
      : null,
    offline_grace_hours: graceSeconds(m.offline_grace_hours) / 3600,
  };
}

/**
 * The offline grace travels as whole seconds: hours may be fractional (machines.json allows
 * 0.5), and the interpreter prints floats lossily, which would change the header (and digest)
 * when a unit re-renders it.
 */
function graceSeconds(hours: number): number {
  return typeof hours === 'number' && isFinite(hours) && hours > 0 ? Math.round(hours * 3600) : 0;
}

/** Canonical JSON of a machine header (fixed key order, ASCII only; offline grace in seconds). */
export function machineJson(m: DecisionMachine): string {
  const s = m.second_relay;
  return (
    '{"name":' + asciiJsonString(m.name) +
    ',"display_name":' + asciiJsonString(m.display_name) +
    ',"unauthorized_warn_only":' + (m.unauthorized_warn_only ? 'true' : 'false') +
    ',"always_enabled":' + (m.always_enabled ? 'true' : 'false') +
    ',"second_relay":' +
    (s
      ? '{"unauthorized_warn_only":' + (s.unauthorized_warn_only ? 'true' : 'false') +
        ',"always_enabled":' + (s.always_enabled ? 'true' : 'false') +
        ',"display_name":' + asciiJsonString(s.display_name) + '}'
      : 'null') +
    ',"offline_grace_s":' + String(graceSeconds(m.offline_grace_hours)) +
    '}'
  );
}

/** A machine header from its parsed JSON (checked by machineProblem first). */
export function machineFromJson(v: unknown): DecisionMachine {
  type RelayJson = { unauthorized_warn_only: boolean; always_enabled: boolean; display_name: string };
  const m = v as RelayJson & { name: string; second_relay: RelayJson | null; offline_grace_s: number };
  const s = m.second_relay;
  return {
    name: m.name,
    display_name: m.display_name,
    unauthorized_warn_only: m.unauthorized_warn_only,
    always_enabled: m.always_enabled,
    second_relay: s
      ? { unauthorized_warn_only: s.unauthorized_warn_only, always_enabled: s.always_enabled, display_name: s.display_name }
      : null,
    offline_grace_hours: m.offline_grace_s / 3600,
  };
}

/**
 * Validate a machine header; returns what is wrong, or '' when fine. `asObject`: a
 * DecisionMachine (offline_grace_hours) rather than its parsed JSON (offline_grace_s).
 */
export function machineProblem(v: unknown, asObject?: boolean): string {
  if (!v || typeof v !== 'object') return 'machine header must be an object';
  const m = v as { [k: string]: unknown };
  if (typeof m.name !== 'string' || m.name.length === 0) return 'machine.name must be a non-empty string';
  if (typeof m.display_name !== 'string') return 'machine.display_name must be a string';
  if (typeof m.unauthorized_warn_only !== 'boolean') return 'machine.unauthorized_warn_only must be true or false';
  if (typeof m.always_enabled !== 'boolean') return 'machine.always_enabled must be true or false';
  if (asObject) {
    const g = m.offline_grace_hours;
    if (typeof g !== 'number' || !isFinite(g) || g < 0) return 'machine.offline_grace_hours must be a number of hours';
  } else if (!isIntIn(m.offline_grace_s, 0, MAX_SAFE)) {
    return 'machine.offline_grace_s must be a whole number of seconds';
  }
  const s = m.second_relay;
  if (s !== null) {
    if (!s || typeof s !== 'object') return 'machine.second_relay must be an object or null';
    const r = s as { [k: string]: unknown };
    if (typeof r.unauthorized_warn_only !== 'boolean') return 'machine.second_relay.unauthorized_warn_only must be true or false';
    if (typeof r.always_enabled !== 'boolean') return 'machine.second_relay.always_enabled must be true or false';
    if (typeof r.display_name !== 'string') return 'machine.second_relay.display_name must be a string';
  }
  return '';
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

/** Host byte order: typed-array views are used directly on little-endian hosts (ESP32, x86, ARM). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The fobs as little-endian bytes (a view, no copy, on little-endian hosts). */
export function fobBytes(fobs: Uint32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(fobs.buffer, fobs.byteOffset, fobs.length * 4);
  const b = new Uint8Array(fobs.length * 4);
  for (let i = 0; i < fobs.length; i++) {
    const v = fobs[i];
    b[i * 4] = v & 255;
    b[i * 4 + 1] = (v >>> 8) & 255;
    b[i * 4 + 2] = (v >>> 16) & 255;
    b[i * 4 + 3] = (v >>> 24) & 255;
  }
  return b;
}

/** Decode `count` little-endian uint32s from base64 text[start, end) into a fresh array, or null. */
export function decodeFobs(text: string, start: number, end: number, count: number, codec: Base64Codec): Uint32Array | null {
  const bytes = new Uint8Array(count * 4);
  if (!codec.decodeInto(text, start, end, bytes)) return null;
  if (LITTLE_ENDIAN) return new Uint32Array(bytes.buffer, 0, count);
  const fobs = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * 4;
    fobs[i] = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 16777216;
  }
  return fobs;
}

/** Index of the first fob that is not strictly above its predecessor, or -1 when ascending. */
export function firstUnsorted(fobs: Uint32Array): number {
  for (let i = 1; i < fobs.length; i++) if (fobs[i] <= fobs[i - 1]) return i;
  return -1;
}

/** Index of the first flag byte with unknown bits, or -1. */
export function firstBadFlag(flags: Uint8Array): number {
  for (let i = 0; i < flags.length; i++) if (flags[i] > FLAG_MASK) return i;
  return -1;
}

/** Canonical header line of a list (the first line the digest covers). */
function headerLine(machine: DecisionMachine, version: number, issuedAt: number, count: number): string {
  return '{"machine":' + machineJson(machine) + ',"version":' + String(version) + ',"issued_at":' +
    String(issuedAt) + ',"count":' + String(count) + '}';
}

/** Characters per hashed piece: every SHA-256 input stays small (the unit hashes on its stack). */
export const HASH_CHUNK = 2048;
/** Bytes whose base64 is exactly one HASH_CHUNK. */
const BYTES_PER_CHUNK = (HASH_CHUNK / 4) * 3;

/** Hash of text[start, end): sha256 over the hashes of its HASH_CHUNK-char pieces. */
function sectionHash(text: string, start: number, end: number, sha256Hex: Sha256Hex): string {
  let hs = '';
  for (let p = start; p < end; p += HASH_CHUNK) hs += sha256Hex(text.substring(p, Math.min(end, p + HASH_CHUNK)));
  return sha256Hex(hs);
}

/** sectionHash of base64(bytes), computed piece by piece without building the whole base64. */
function bytesSectionHash(bytes: Uint8Array, sha256Hex: Sha256Hex, codec: Base64Codec): string {
  let hs = '';
  for (let p = 0; p < bytes.length; p += BYTES_PER_CHUNK) {
    hs += sha256Hex(codec.encode(bytes, p, Math.min(bytes.length, p + BYTES_PER_CHUNK)));
  }
  return sha256Hex(hs);
}

function combine(header: string, fobsHash: string, flagsHash: string, namesHash: string, sha256Hex: Sha256Hex): string {
  return sha256Hex(header + '\n' + fobsHash + '\n' + flagsHash + '\n' + namesHash);
}

/**
 * Digest of a list's content (machine header, version, issued_at and every entry):
 * sha256(header line + "\n" + H(fobs base64) + "\n" + H(flags base64) + "\n" + H(names)), where
 * H(s) = sha256 of the concatenated sha256 hex of s's HASH_CHUNK-char pieces. Hashing piecewise
 * keeps every SHA-256 input under ~3 KB, so a unit can check a 5,000-member list in flash.
 */
export function listDigest(
  machine: DecisionMachine, version: number, issuedAt: number, fobs: Uint32Array, flags: Uint8Array, names: string,
  sha256Hex: Sha256Hex, codec?: Base64Codec,
): string {
  const c = codec || PURE_BASE64;
  return combine(
    headerLine(machine, version, issuedAt, fobs.length),
    bytesSectionHash(fobBytes(fobs), sha256Hex, c),
    bytesSectionHash(flags, sha256Hex, c),
    sectionHash(names, 0, names.length, sha256Hex),
    sha256Hex,
  );
}

/**
 * Build a list from entries in any order. Entries with a fob outside 0..2^32-1 are skipped; when
 * a fob appears twice the first entry wins (config validation refuses duplicates before this).
 */
export function buildList(
  machine: DecisionMachine, entries: ListEntry[], version: number, issuedAt: number, sha256Hex: Sha256Hex,
): AuthList {
  const order: number[] = [];
  const list = Array.isArray(entries) ? entries : [];
  for (let i = 0; i < list.length; i++) if (list[i] && isIntIn(list[i].fob, 0, FOB_MAX)) order.push(i);
  order.sort(function (x, y) {
    const d = list[x].fob - list[y].fob;
    return d !== 0 ? d : x - y;
  });
  let n = 0;
  for (let i = 0; i < order.length; i++) if (i === 0 || list[order[i]].fob !== list[order[i - 1]].fob) n++;
  const fobs = new Uint32Array(n);
  const flags = new Uint8Array(n);
  const parts: string[] = [];
  let k = 0;
  for (let i = 0; i < order.length; i++) {
    const e = list[order[i]];
    if (i > 0 && e.fob === list[order[i - 1]].fob) continue;
    fobs[k] = e.fob;
    flags[k] = typeof e.flags === 'number' ? e.flags & FLAG_MASK : 0;
    parts.push(nameRecord(e.name));
    k++;
  }
  const header = machineHeader(machine);
  const names = parts.join('');
  version = wholeOrZero(version);
  issuedAt = wholeOrZero(issuedAt);
  return {
    machine: header,
    version: version,
    issued_at: issuedAt,
    count: n,
    fobs: fobs,
    flags: flags,
    names: names,
    digest: listDigest(header, version, issuedAt, fobs, flags, names, sha256Hex),
  };
}

/**
 * The list's text up to its names section: encodeList(list) === encodeListHead(list) + list.names.
 * A unit writes this and then the names (from flash) into one file, without the whole text in RAM.
 */
export function encodeListHead(list: AuthList, codec?: Base64Codec): string {
  const c = codec || PURE_BASE64;
  return LIST_FORMAT + ' ' + list.digest + '\n' + headerLine(list.machine, list.version, list.issued_at, list.count) + '\n' +
    c.encode(fobBytes(list.fobs), 0, list.count * 4) + '\n' + c.encode(list.flags, 0, list.count) + '\n';
}

/** A non-negative whole number (what the header carries), else 0. */
function wholeOrZero(n: number): number {
  return typeof n === 'number' && isFinite(n) && n > 0 ? Math.min(MAX_SAFE, Math.floor(n)) : 0;
}

/** The list as canonical text (see the layout at the top of this file). */
export function encodeList(list: AuthList, codec?: Base64Codec): string {
  return encodeListHead(list, codec) + list.names;
}

/** Options of decodeList. */
export interface DecodeOptions {
  /**
   * The names section as already stored elsewhere (a unit's flash-mapped names file): used, and
   * checked against the digest, instead of copying the text's names section into RAM.
   */
  names?: string;
  /** A faster base64 (the interpreter's native atob); default: the pure one. */
  base64?: Base64Codec;
}

/** 64 lowercase hex characters (a digest), checked without a RegExp (the chip's is limited). */
export function isHex64(s: string): boolean {
  if (s.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function malformed<T>(what: string): Result<T> {
  return fail('LIST_MALFORMED', 'authorization list: ' + what);
}

/**
 * Parse and verify list text: format line, digest over the body, canonical header, section sizes,
 * base64, ascending unique fobs, known flag bits. Any defect -> LIST_MALFORMED or LIST_DIGEST.
 */
export function decodeList(text: string, sha256Hex: Sha256Hex, opts?: DecodeOptions): Result<AuthList> {
  if (typeof text !== 'string') return malformed('text must be a string');
  const l1 = text.indexOf('\n');
  if (l1 < 0) return malformed('missing header line');
  if (text.substr(0, LIST_FORMAT.length + 1) !== LIST_FORMAT + ' ') {
    return malformed('first line must start with "' + LIST_FORMAT + ' "');
  }
  const digest = text.substring(LIST_FORMAT.length + 1, l1);
  if (!isHex64(digest)) return malformed('digest must be 64 lowercase hex characters');
  const l2 = text.indexOf('\n', l1 + 1);
  if (l2 < 0) return malformed('missing fobs line');
  const h = headerJson(text, l1 + 1, l2);
  if (typeof h === 'string') return malformed(h);
  const problem = machineProblem(h.machine);
  if (problem) return malformed(problem);
  if (!isIntIn(h.version, 0, MAX_SAFE)) return malformed('version must be a non-negative integer');
  if (!isIntIn(h.issued_at, 0, MAX_SAFE)) return malformed('issued_at must be a non-negative integer (epoch ms)');
  if (!isIntIn(h.count, 0, MAX_LIST_COUNT)) {
    return malformed('count must be an integer from 0 to ' + MAX_LIST_COUNT + ' (the most entries a unit can hold)');
  }
  const machine = machineFromJson(h.machine);
  const version = h.version;
  const issuedAt = h.issued_at;
  const count = h.count;
  if (text.substring(l1 + 1, l2) !== headerLine(machine, version, issuedAt, count)) {
    return malformed('header line is not in canonical form');
  }
  const fobsEnd = l2 + 1 + base64Length(count * 4);
  const flagsEnd = fobsEnd + 1 + base64Length(count);
  if (text.length < flagsEnd + 1 || text.charCodeAt(fobsEnd) !== 10 || text.charCodeAt(flagsEnd) !== 10) {
    return malformed('fobs or flags section has the wrong length for count ' + count);
  }
  if (text.length - (flagsEnd + 1) !== count * NAME_WIDTH) {
    return malformed('names section must be ' + count * NAME_WIDTH + ' characters, is ' + (text.length - flagsEnd - 1));
  }
  const names = opts && typeof opts.names === 'string' ? opts.names : null;
  if (names !== null && names.length !== count * NAME_WIDTH) {
    return malformed('stored names are ' + names.length + ' characters, the list needs ' + count * NAME_WIDTH);
  }
  const namesHash = names !== null
    ? sectionHash(names, 0, names.length, sha256Hex)
    : sectionHash(text, flagsEnd + 1, text.length, sha256Hex);
  const want = combine(
    text.substring(l1 + 1, l2),
    sectionHash(text, l2 + 1, fobsEnd, sha256Hex),
    sectionHash(text, fobsEnd + 1, flagsEnd, sha256Hex),
    namesHash,
    sha256Hex,
  );
  if (want !== digest) {
    return fail('LIST_DIGEST', 'authorization list: content does not match its digest (corrupted or tampered)');
  }
  const codec = opts && opts.base64 ? opts.base64 : PURE_BASE64;
  const fobs = decodeFobs(text, l2 + 1, fobsEnd, count, codec);
  if (!fobs) return malformed('fobs section is not valid base64');
  const flags = new Uint8Array(count);
  if (!codec.decodeInto(text, fobsEnd + 1, flagsEnd, flags)) return malformed('flags section is not valid base64');
  // One pass over the entries (the unit's slowest step after base64).
  if (count > 0 && flags[0] > FLAG_MASK) return malformed('entry 0 has unknown flag bits');
  for (let i = 1; i < count; i++) {
    if (fobs[i] <= fobs[i - 1]) return malformed('fobs must be ascending and unique (entry ' + i + ')');
    if (flags[i] > FLAG_MASK) return malformed('entry ' + i + ' has unknown flag bits');
  }
  return ok({
    machine: machine,
    version: version,
    issued_at: issuedAt,
    count: count,
    fobs: fobs,
    flags: flags,
    names: names !== null ? names : text.substring(flagsEnd + 1),
    digest: digest,
  });
}

/** The JSON object of a header line (text[from, to)), or what is wrong with it. */
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

/** Index of `fob` in the list (binary search), or -1. */
export function findFob(list: AuthList, fob: number): number {
  if (!isIntIn(fob, 0, FOB_MAX)) return -1;
  return searchFobs(list.fobs, fob);
}

/** Index of `fob` in ascending `fobs` (binary search), or -1. */
export function searchFobs(fobs: Uint32Array, fob: number): number {
  let lo = 0;
  let hi = fobs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = fobs[mid];
    if (v === fob) return mid;
    if (v < fob) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Name of entry i, trailing padding removed. */
export function nameAt(list: AuthList, i: number): string {
  let end = (i + 1) * NAME_WIDTH;
  const start = i * NAME_WIDTH;
  while (end > start && list.names.charCodeAt(end - 1) === 32) end--;
  return list.names.substring(start, end);
}

/** Entry i as an object (for tools and tests; the unit reads the arrays directly). */
export function entryAt(list: AuthList, i: number): ListEntry {
  return { fob: list.fobs[i], flags: list.flags[i], name: nameAt(list, i) };
}

/** The decision's view of entry i (a unit knows no account id; full_name = the LCD name). */
export function subjectFromEntry(list: AuthList, i: number): Subject {
  const f = list.flags[i];
  const name = nameAt(list, i);
  return {
    fob: numberToFob(list.fobs[i]),
    account_id: '',
    name: name,
    full_name: name,
    main: (f & FLAG_MAIN) !== 0,
    second: (f & FLAG_SECOND) !== 0,
    override: (f & FLAG_OVERRIDE) !== 0,
    expired: (f & FLAG_EXPIRED) !== 0,
  };
}

/** The subject for a fob number, or null when the fob is not on the list (unknown fob). */
export function subjectForFob(list: AuthList, fob: number): Subject | null {
  const i = findFob(list, fob);
  return i < 0 ? null : subjectFromEntry(list, i);
}

/** RAM the list's typed arrays hold: 4 bytes of fob + 1 byte of flags per member (names stay in flash). */
export function listMemoryBytes(list: AuthList): number {
  return list.fobs.byteLength + list.flags.byteLength;
}
