// Delta between two versions of one machine's authorization list: the entries added or changed
// and the fobs removed, so its size grows with the change, not the list. Applying it merges into
// fresh typed arrays (no per-entry objects), refuses a wrong base and checks the result's digest.
//
// Text layout (printable ASCII, lines joined by "\n"):
//   fobgate-delta/1
//   {"machine":"lathe","from":V,"to":W,"base_digest":"..","digest":"..","issued_at":T,"add":A,"remove":R[,"header":{...}]}
//   <base64 of the A added/changed fobs, uint32 little-endian, ascending>
//   <base64 of their A flag bytes>
//   <base64 of the R removed fobs, uint32 little-endian, ascending>
//   <A x 16-char names>                                        last line
// "digest" is the full digest of the resulting list; "header" is present when the machine
// header changed. The text is signed like a list (signText).
import { fail, ok, type Result } from './errors.js';
import type { DecisionMachine } from './decision-types.js';
import { base64Length, PURE_BASE64, type Base64Codec } from './base64.js';
import {
  type AuthList, type ListEntry, type Sha256Hex,
  NAME_WIDTH, searchFobs, headerJson, MAX_SAFE, MAX_LIST_COUNT,
  asciiJsonString, machineJson, machineHeader, machineFromJson, machineProblem, fobBytes, decodeFobs, firstUnsorted, firstBadFlag,
  isIntIn, isHex64, listDigest,
} from './authlist-list.js';

export const DELTA_FORMAT = 'fobgate-delta/1';

export interface Delta {
  /** Machine name. */
  machine: string;
  /** Version of the base list it applies to. */
  from: number;
  /** Version of the resulting list. */
  to: number;
  /** Digest of the base list. */
  base_digest: string;
  /** Digest of the resulting list. */
  digest: string;
  /** issued_at of the resulting list. */
  issued_at: number;
  /** The resulting list's machine header when it changed, else null. */
  header: DecisionMachine | null;
  /** Fobs added or changed, ascending. */
  add_fobs: Uint32Array;
  /** Their flags. */
  add_flags: Uint8Array;
  /** Their names, NAME_WIDTH chars each. */
  add_names: string;
  /** Fobs removed, ascending. */
  remove: Uint32Array;
}

/** Delta that turns list `a` into list `b` (same machine, b newer). */
export function diffLists(a: AuthList, b: AuthList): Delta {
  const af = a.fobs;
  const bf = b.fobs;
  let adds = 0;
  let removes = 0;
  let i = 0;
  let j = 0;
  while (i < af.length || j < bf.length) {
    if (j >= bf.length || (i < af.length && af[i] < bf[j])) {
      removes++;
      i++;
    } else if (i >= af.length || bf[j] < af[i]) {
      adds++;
      j++;
    } else {
      if (a.flags[i] !== b.flags[j] || !sameName(a, i, b, j)) adds++;
      i++;
      j++;
    }
  }
  const addFobs = new Uint32Array(adds);
  const addFlags = new Uint8Array(adds);
  const remove = new Uint32Array(removes);
  let names = '';
  let na = 0;
  let nr = 0;
  i = 0;
  j = 0;
  while (i < af.length || j < bf.length) {
    if (j >= bf.length || (i < af.length && af[i] < bf[j])) {
      remove[nr++] = af[i];
      i++;
    } else if (i >= af.length || bf[j] < af[i]) {
      addFobs[na] = bf[j];
      addFlags[na++] = b.flags[j];
      names += b.names.substr(j * NAME_WIDTH, NAME_WIDTH);
      j++;
    } else {
      if (a.flags[i] !== b.flags[j] || !sameName(a, i, b, j)) {
        addFobs[na] = bf[j];
        addFlags[na++] = b.flags[j];
        names += b.names.substr(j * NAME_WIDTH, NAME_WIDTH);
      }
      i++;
      j++;
    }
  }
  return {
    machine: b.machine.name,
    from: a.version,
    to: b.version,
    base_digest: a.digest,
    digest: b.digest,
    issued_at: b.issued_at,
    header: machineJson(a.machine) === machineJson(b.machine) ? null : machineHeader(b.machine),
    add_fobs: addFobs,
    add_flags: addFlags,
    add_names: names,
    remove: remove,
  };
}

function sameName(a: AuthList, i: number, b: AuthList, j: number): boolean {
  return a.names.substr(i * NAME_WIDTH, NAME_WIDTH) === b.names.substr(j * NAME_WIDTH, NAME_WIDTH);
}

/** Entry i of a delta's additions. */
export function deltaAddAt(delta: Delta, i: number): ListEntry {
  let name = delta.add_names.substr(i * NAME_WIDTH, NAME_WIDTH);
  let end = name.length;
  while (end > 0 && name.charCodeAt(end - 1) === 32) end--;
  name = name.substring(0, end);
  return { fob: delta.add_fobs[i], flags: delta.add_flags[i], name: name };
}

function deltaHeaderLine(d: Delta): string {
  return '{"machine":' + asciiJsonString(d.machine) + ',"from":' + String(d.from) + ',"to":' + String(d.to) +
    ',"base_digest":' + asciiJsonString(d.base_digest) + ',"digest":' + asciiJsonString(d.digest) +
    ',"issued_at":' + String(d.issued_at) + ',"add":' + String(d.add_fobs.length) +
    ',"remove":' + String(d.remove.length) + (d.header ? ',"header":' + machineJson(d.header) : '') + '}';
}

/** The delta as canonical text (see the layout at the top of this file). */
export function encodeDelta(d: Delta): string {
  const c = PURE_BASE64;
  return DELTA_FORMAT + '\n' + deltaHeaderLine(d) + '\n' + c.encode(fobBytes(d.add_fobs), 0, d.add_fobs.length * 4) + '\n' +
    c.encode(d.add_flags, 0, d.add_flags.length) + '\n' + c.encode(fobBytes(d.remove), 0, d.remove.length * 4) + '\n' + d.add_names;
}

function malformed<T>(what: string): Result<T> {
  return fail('DELTA_MALFORMED', 'authorization list delta: ' + what);
}

function isDigest(s: unknown): s is string {
  return typeof s === 'string' && isHex64(s);
}

/** Problems of a delta's shape and arrays, or '' when well formed. */
function deltaProblem(d: Delta): string {
  if (typeof d.machine !== 'string' || d.machine.length === 0) return 'machine must be a non-empty string';
  if (!isIntIn(d.from, 0, MAX_SAFE) || !isIntIn(d.to, 0, MAX_SAFE)) return 'from and to must be non-negative integers';
  if (d.to <= d.from) return 'to (' + d.to + ') must be above from (' + d.from + ')';
  if (!isDigest(d.base_digest) || !isDigest(d.digest)) return 'base_digest and digest must be 64 lowercase hex characters';
  if (!isIntIn(d.issued_at, 0, MAX_SAFE)) return 'issued_at must be a non-negative integer (epoch ms)';
  if (d.header !== null) {
    const p = machineProblem(d.header, true);
    if (p) return p;
    if (d.header.name !== d.machine) return 'header names machine "' + d.header.name + '", not "' + d.machine + '"';
  }
  if (!(d.add_fobs instanceof Uint32Array) || !(d.add_flags instanceof Uint8Array) || !(d.remove instanceof Uint32Array)) {
    return 'add_fobs, add_flags and remove must be typed arrays';
  }
  if (d.add_flags.length !== d.add_fobs.length) return 'add_flags must have one byte per added fob';
  if (typeof d.add_names !== 'string' || d.add_names.length !== d.add_fobs.length * NAME_WIDTH) {
    return 'add_names must hold ' + NAME_WIDTH + ' characters per added fob';
  }
  const ua = firstUnsorted(d.add_fobs);
  if (ua >= 0) return 'added fobs must be ascending and unique (entry ' + ua + ')';
  const ur = firstUnsorted(d.remove);
  if (ur >= 0) return 'removed fobs must be ascending and unique (entry ' + ur + ')';
  const bf = firstBadFlag(d.add_flags);
  if (bf >= 0) return 'added entry ' + bf + ' has unknown flag bits';
  let i = 0;
  let j = 0;
  while (i < d.add_fobs.length && j < d.remove.length) {
    const x = d.add_fobs[i];
    const y = d.remove[j];
    if (x === y) return 'fob ' + x + ' is both added and removed';
    if (x < y) i++;
    else j++;
  }
  return '';
}

/** Parse delta text (DELTA_MALFORMED on any defect; integrity comes from the signature and the result digest). */
export function decodeDelta(text: string, codec?: Base64Codec): Result<Delta> {
  const c = codec || PURE_BASE64;
  if (typeof text !== 'string') return malformed('text must be a string');
  if (text.substr(0, DELTA_FORMAT.length + 1) !== DELTA_FORMAT + '\n') {
    return malformed('first line must be "' + DELTA_FORMAT + '"');
  }
  const l1 = DELTA_FORMAT.length;
  const l2 = text.indexOf('\n', l1 + 1);
  if (l2 < 0) return malformed('missing header line');
  const h = headerJson(text, l1 + 1, l2);
  if (typeof h === 'string') return malformed(h);
  if (!isIntIn(h.add, 0, MAX_LIST_COUNT) || !isIntIn(h.remove, 0, MAX_LIST_COUNT)) {
    return malformed('add and remove must be counts from 0 to ' + MAX_LIST_COUNT);
  }
  const adds = h.add;
  const removes = h.remove;
  const header = h.header === undefined ? null : h.header;
  if (header !== null) {
    const p = machineProblem(header);
    if (p) return malformed(p);
  }
  const fobsEnd = l2 + 1 + base64Length(adds * 4);
  const flagsEnd = fobsEnd + 1 + base64Length(adds);
  const removeEnd = flagsEnd + 1 + base64Length(removes * 4);
  if (text.length < removeEnd + 1 || text.charCodeAt(fobsEnd) !== 10 || text.charCodeAt(flagsEnd) !== 10 ||
    text.charCodeAt(removeEnd) !== 10) {
    return malformed('sections have the wrong length for add ' + adds + ' and remove ' + removes);
  }
  if (text.length - (removeEnd + 1) !== adds * NAME_WIDTH) return malformed('names section has the wrong length');
  const addFobs = decodeFobs(text, l2 + 1, fobsEnd, adds, c);
  if (!addFobs) return malformed('added fobs section is not valid base64');
  const addFlags = new Uint8Array(adds);
  if (!c.decodeInto(text, fobsEnd + 1, flagsEnd, addFlags)) return malformed('added flags section is not valid base64');
  const remove = decodeFobs(text, flagsEnd + 1, removeEnd, removes, c);
  if (!remove) return malformed('removed fobs section is not valid base64');
  const d: Delta = {
    machine: h.machine as string,
    from: h.from as number,
    to: h.to as number,
    base_digest: h.base_digest as string,
    digest: h.digest as string,
    issued_at: h.issued_at as number,
    header: header === null ? null : machineFromJson(header),
    add_fobs: addFobs,
    add_flags: addFlags,
    add_names: text.substring(removeEnd + 1),
    remove: remove,
  };
  const problem = deltaProblem(d);
  if (problem) return malformed(problem);
  if (text.substring(l1 + 1, l2) !== deltaHeaderLine(d)) return malformed('header line is not in canonical form');
  return ok(d);
}

/**
 * Where applyDelta puts the new list's names when they should not be built in RAM (a unit writes
 * them straight into a flash file). `end` returns the stored names (e.g. the flash-mapped file)
 * or null when storing failed; the result's digest is checked against what `end` returns.
 */
export interface NamesSink {
  /** Before any write: the total length (count * NAME_WIDTH). false = cannot store. */
  begin(total: number): boolean;
  /** The next piece, in order. false = could not store. */
  write(chunk: string): boolean;
  end(): string | null;
}

export interface ApplyOptions {
  names?: NamesSink;
  /** A faster base64 (the interpreter's native btoa/atob); default: the pure one. */
  base64?: Base64Codec;
}

/** Characters copied per piece out of the base names (a flash string: substrings copy to RAM). */
const NAMES_PIECE = 1024;

/** The new list's names, built in RAM or streamed into a sink. */
class NamesOut {
  private sink: NamesSink | null;
  text = '';
  ok = true;

  constructor(sink: NamesSink | null, total: number) {
    this.sink = sink;
    if (sink && !sink.begin(total)) this.ok = false;
  }

  /** Append src[start, end). */
  put(src: string, start: number, end: number): void {
    if (!this.ok || end <= start) return;
    const sink = this.sink;
    if (!sink) {
      this.text += src.substring(start, end);
      return;
    }
    for (let p = start; p < end && this.ok; p += NAMES_PIECE) {
      if (!sink.write(src.substring(p, Math.min(end, p + NAMES_PIECE)))) this.ok = false;
    }
  }

  /** The names as stored, or null when the sink failed. */
  finish(): string | null {
    if (!this.sink) return this.text;
    if (!this.ok) return null;
    const stored = this.sink.end();
    return typeof stored === 'string' ? stored : null;
  }
}


/** First index in fobs[from..] whose fob is >= `fob` (fobs.length when none). */
function lowerBound(fobs: Uint32Array, fob: number, from: number): number {
  let lo = from;
  let hi = fobs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fobs[mid] < fob) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Apply a delta (object or text) to the held list, into fresh typed arrays (the base is not
 * changed; unchanged runs are copied natively, so the work grows with the delta); with opts.names
 * the new names go to a sink instead of a RAM string. Refuses a delta for another machine
 * (LIST_WRONG_MACHINE), for another base version or content (DELTA_WRONG_BASE), a malformed one
 * (DELTA_MALFORMED), and a result whose digest differs from the delta's (LIST_DIGEST).
 */
export function applyDelta(base: AuthList, delta: Delta | string, sha256Hex: Sha256Hex, opts?: ApplyOptions): Result<AuthList> {
  let d: Delta;
  if (typeof delta === 'string') {
    const r = decodeDelta(delta, opts && opts.base64 ? opts.base64 : undefined);
    if (!r.ok) return r;
    d = r.value;
  } else {
    if (!delta || typeof delta !== 'object') return malformed('must be a delta object or its text');
    const problem = deltaProblem(delta);
    if (problem) return malformed(problem);
    d = delta;
  }
  if (d.machine !== base.machine.name) {
    return fail('LIST_WRONG_MACHINE', 'authorization list delta is for machine "' + d.machine + '", not "' + base.machine.name + '"');
  }
  if (d.from !== base.version || d.base_digest !== base.digest) {
    return fail('DELTA_WRONG_BASE', 'authorization list delta applies to version ' + d.from +
      (d.from === base.version ? ' with other content' : '') + ', the held list is version ' + base.version);
  }
  const bf = base.fobs;
  const af = d.add_fobs;
  const rf = d.remove;
  // Size of the result; every removed fob must be held.
  let n = base.count;
  for (let k = 0; k < rf.length; k++) {
    if (searchFobs(bf, rf[k]) < 0) return malformed('removes fob ' + rf[k] + ' which the base list does not hold');
    n--;
  }
  for (let k = 0; k < af.length; k++) if (searchFobs(bf, af[k]) < 0) n++;
  if (n > MAX_LIST_COUNT) {
    return malformed('the new list would hold ' + n + ' entries, more than the ' + MAX_LIST_COUNT + ' a unit can hold');
  }
  const fobs = new Uint32Array(n);
  const flags = new Uint8Array(n);
  const out = new NamesOut(opts && opts.names ? opts.names : null, n * NAME_WIDTH);
  const an = d.add_names;
  const bn = base.names;
  const bflags = base.flags;
  // Event by event (each added or removed fob, ascending); the unchanged base entries before an
  // event are copied as one run with typed-array set (native on the unit, not a JS loop).
  let i = 0; // next base entry
  let j = 0; // next addition
  let r = 0; // next removal
  let o = 0; // next output slot
  while (j < af.length || r < rf.length) {
    const isAdd = r >= rf.length || (j < af.length && af[j] < rf[r]);
    const ev = isAdd ? af[j] : rf[r];
    const p = lowerBound(bf, ev, i);
    if (p > i) {
      fobs.set(bf.subarray(i, p), o);
      flags.set(bflags.subarray(i, p), o);
      out.put(bn, i * NAME_WIDTH, p * NAME_WIDTH);
      o += p - i;
      i = p;
    }
    if (isAdd) {
      fobs[o] = ev;
      flags[o] = d.add_flags[j];
      out.put(an, j * NAME_WIDTH, (j + 1) * NAME_WIDTH);
      o++;
      j++;
      if (i < bf.length && bf[i] === ev) i++; // a changed entry replaces the base one
    } else {
      i++; // held (checked above): dropped
      r++;
    }
  }
  if (i < bf.length) {
    fobs.set(bf.subarray(i), o);
    flags.set(bflags.subarray(i), o);
    out.put(bn, i * NAME_WIDTH, bf.length * NAME_WIDTH);
    o += bf.length - i;
  }
  if (o !== n) return malformed('merged ' + o + ' entries, expected ' + n);
  const names = out.finish();
  if (names === null) return fail('LIST_MALFORMED', 'authorization list delta: the new names could not be stored');
  if (names.length !== n * NAME_WIDTH) {
    return fail('LIST_MALFORMED', 'authorization list delta: the stored names are ' + names.length + ' characters, not ' + n * NAME_WIDTH);
  }
  const machine = d.header ? machineHeader(d.header) : base.machine;
  const digest = listDigest(machine, d.to, d.issued_at, fobs, flags, names, sha256Hex, opts && opts.base64 ? opts.base64 : undefined);
  if (digest !== d.digest) {
    return fail('LIST_DIGEST', 'authorization list delta: the result does not match the delta digest (corrupted or tampered)');
  }
  return ok({
    machine: machine,
    version: d.to,
    issued_at: d.issued_at,
    count: n,
    fobs: fobs,
    flags: flags,
    names: names,
    digest: digest,
  });
}
