// A delta between two versions of one machine's list: the records set (added or changed) and the
// fobs removed, in fob order, so its size grows with the change, not the list. A unit applies it
// as it arrives (DeltaMerge): the base records are read where they lie (flash), unchanged runs
// are copied in pieces, and the result goes to a sink (the inactive slot's file) in order. The
// result is then checked like any list, against the signed digest the server announced, so the
// delta itself needs no signature and a damaged or forged one cannot produce a list that is used.
//
// Layout (8-bit string):
//   fobgate-delta/2 {"from":V,"base_digest":"<64 hex>","ops":K}\n     line 1
//   <the resulting list's header line>\n                                 line 2 (canonical)
//   K ops, ascending by fob, each either
//     "S" + a 21-byte record (set: add the fob, or replace its flags and name)
//     "D" + a 4-byte key (delete the fob)
// Runtime-neutral: strings and numbers only, no bitwise operators (Lua build).
import { fail, ok, type Result, type SharedError } from './errors.js';
import {
  type AuthList, type ListHeader, type Sha256Hex,
  FLAG_MASK, KEY_BYTES, LINE1_BYTES, MAX_HEADER_BYTES, MAX_LIST_COUNT, RECORD_BYTES, headerLine, isHex64, isIntIn, line1Of, MAX_SAFE,
  openList, parseHeader, recordAt,
} from './authlist-list.js';
import { bodyDigest } from './authlist-digest.js';

export const DELTA_FORMAT = 'fobgate-delta/2';
/** Op bytes. */
export const OP_SET = 'S';
export const OP_DELETE = 'D';
/** Longest line 1 of a delta. */
const MAX_META_BYTES = 256;
/** Records copied per piece from the base (about 2 KB: one bounded string at a time). */
export const COPY_RECORDS = 96;

/** What a delta's line 1 says. */
export interface DeltaMeta {
  from: number;
  base_digest: string;
  ops: number;
}

function metaLine(m: DeltaMeta): string {
  return DELTA_FORMAT + ' {"from":' + String(m.from) + ',"base_digest":"' + m.base_digest + '","ops":' + String(m.ops) + '}';
}

function keyAt(list: AuthList, i: number): string {
  const at = recordAt(list, i);
  return list.text.substring(at, at + KEY_BYTES);
}

/**
 * The delta that turns list `a` into list `b` (same machine, b newer), as text. Its size is
 * line 1 + b's header line + 22 bytes per set record + 5 per deleted fob.
 */
export function diffLists(a: AuthList, b: AuthList): string {
  const ops: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.count || j < b.count) {
    const ka = i < a.count ? keyAt(a, i) : null;
    const kb = j < b.count ? keyAt(b, j) : null;
    if (kb === null || (ka !== null && ka < kb)) {
      ops.push(OP_DELETE + ka);
      i++;
    } else if (ka === null || kb < ka) {
      const at = recordAt(b, j);
      ops.push(OP_SET + b.text.substring(at, at + RECORD_BYTES));
      j++;
    } else {
      const pa = recordAt(a, i);
      const pb = recordAt(b, j);
      const rb = b.text.substring(pb, pb + RECORD_BYTES);
      if (a.text.substring(pa, pa + RECORD_BYTES) !== rb) ops.push(OP_SET + rb);
      i++;
      j++;
    }
  }
  const hl = headerLine({ machine: b.machine, version: b.version, issued_at: b.issued_at, count: b.count });
  return metaLine({ from: a.version, base_digest: a.digest, ops: ops.length }) + '\n' + hl + '\n' + ops.join('');
}

/**
 * Where DeltaMerge puts the result's body (header line, newline, records), in order. `begin` is
 * called once, before any write, with the body's size.
 */
export interface BodySink {
  begin(bytes: number): boolean;
  write(piece: string): boolean;
}

function malformed(what: string): SharedError {
  return { code: 'DELTA_MALFORMED', message: 'authorization list delta: ' + what };
}

/**
 * Applies a delta to a held list as the delta's bytes arrive, in any chunking: feed() each chunk,
 * then finish(). Memory stays bounded by one op, one header line and one copied piece. The first
 * error ends it (error() says which); nothing is assumed about the sink's contents afterwards.
 */
export class DeltaMerge {
  private base: AuthList;
  private sink: BodySink;
  /** 0: line 1, 1: header line, 2: ops, 3: failed. */
  private phase = 0;
  private carry = '';
  private meta: DeltaMeta | null = null;
  private result: ListHeader | null = null;
  private err: SharedError | null = null;
  /** Next base entry not yet copied or dropped. */
  private i = 0;
  private out = 0;
  private opsDone = 0;
  private lastKey = '';

  constructor(base: AuthList, sink: BodySink) {
    this.base = base;
    this.sink = sink;
  }

  /** The result's header once line 2 has arrived (version, count, machine). */
  header(): ListHeader | null {
    return this.result;
  }

  error(): SharedError | null {
    return this.err;
  }

  private stop(e: SharedError): boolean {
    this.err = e;
    this.phase = 3;
    this.carry = '';
    return false;
  }

  /** Takes the next chunk of the delta; false once it failed (see error()). */
  feed(chunk: string): boolean {
    if (this.phase === 3) return false;
    if (typeof chunk !== 'string') return this.stop(malformed('a chunk is not a string'));
    let data = this.carry.length ? this.carry + chunk : chunk;
    this.carry = '';
    let at = 0;
    while (this.phase < 2) {
      const nl = data.indexOf('\n', at);
      const limit = this.phase === 0 ? MAX_META_BYTES : MAX_HEADER_BYTES;
      if (nl < 0) {
        if (data.length - at > limit) return this.stop(malformed(this.phase === 0 ? 'line 1 is too long' : 'header line is too long'));
        this.carry = data.substring(at);
        return true;
      }
      if (!(this.phase === 0 ? this.takeMeta(data, at, nl) : this.takeHeader(data, at, nl))) return false;
      at = nl + 1;
    }
    if (at > 0) data = data.substring(at);
    at = 0;
    while (at < data.length) {
      const op = data.charAt(at);
      const size = op === OP_SET ? 1 + RECORD_BYTES : op === OP_DELETE ? 1 + KEY_BYTES : 0;
      if (size === 0) return this.stop(malformed('unknown op byte ' + data.charCodeAt(at) + ' after ' + this.opsDone + ' ops'));
      if (at + size > data.length) {
        this.carry = data.substring(at);
        return true;
      }
      if (!this.apply(op, data.substring(at + 1, at + size))) return false;
      at += size;
    }
    return true;
  }

  private takeMeta(data: string, from: number, nl: number): boolean {
    const line = data.substring(from, nl);
    if (line.substring(0, DELTA_FORMAT.length + 1) !== DELTA_FORMAT + ' ') {
      return this.stop(malformed('line 1 must start with "' + DELTA_FORMAT + ' "'));
    }
    let m: { [k: string]: unknown };
    try {
      m = JSON.parse(line.substring(DELTA_FORMAT.length + 1));
    } catch (e) {
      return this.stop(malformed('line 1 is not valid JSON'));
    }
    if (!m || typeof m !== 'object' || !isIntIn(m.from, 0, MAX_SAFE) || !isHex64(m.base_digest) || !isIntIn(m.ops, 0, 2 * MAX_LIST_COUNT)) {
      return this.stop(malformed('line 1 needs from, base_digest and ops'));
    }
    const meta: DeltaMeta = { from: m.from as number, base_digest: m.base_digest as string, ops: m.ops as number };
    if (line !== metaLine(meta)) return this.stop(malformed('line 1 is not in canonical form'));
    if (meta.from !== this.base.version || meta.base_digest !== this.base.digest) {
      return this.stop({
        code: 'DELTA_WRONG_BASE',
        message: 'authorization list delta applies to version ' + meta.from + (meta.from === this.base.version ? ' with other content' : '') +
          ', the held list is version ' + this.base.version,
      });
    }
    this.meta = meta;
    this.phase = 1;
    return true;
  }

  private takeHeader(data: string, from: number, nl: number): boolean {
    const h = parseHeader(data, from, nl);
    if (!h.ok) return this.stop({ code: 'DELTA_MALFORMED', message: h.error.message });
    if (h.value.machine.name !== this.base.machine.name) {
      return this.stop({ code: 'LIST_WRONG_MACHINE', message: 'authorization list delta is for machine "' + h.value.machine.name + '", not "' + this.base.machine.name + '"' });
    }
    if (h.value.version <= this.base.version) {
      return this.stop({ code: 'LIST_ROLLBACK', message: 'authorization list delta leads to version ' + h.value.version + ', not above the held ' + this.base.version });
    }
    this.result = h.value;
    const line = data.substring(from, nl + 1);
    if (!this.sink.begin(line.length + h.value.count * RECORD_BYTES) || !this.sink.write(line)) {
      return this.stop({ code: 'LIST_MALFORMED', message: 'authorization list delta: the result could not be stored' });
    }
    this.phase = 2;
    return true;
  }

  /** Copies base entries [i, p) to the sink in pieces. */
  private copyTo(p: number): boolean {
    const count = (this.result as ListHeader).count;
    if (this.out + (p - this.i) > count) return this.stop(malformed('the result would hold more than its ' + count + ' entries'));
    while (this.i < p) {
      const n = Math.min(COPY_RECORDS, p - this.i);
      const at = recordAt(this.base, this.i);
      if (!this.sink.write(this.base.text.substring(at, at + n * RECORD_BYTES))) {
        return this.stop({ code: 'LIST_MALFORMED', message: 'authorization list delta: the result could not be stored' });
      }
      this.i += n;
      this.out += n;
    }
    return true;
  }

  /** First base index >= i whose key is >= key: galloping from i, then binary search. */
  private seek(key: string): number {
    const b = this.base;
    let lo = this.i;
    if (lo >= b.count || keyAt(b, lo) >= key) return lo;
    // keyAt(lo) < key: widen until a key >= key (or the end), then search the last gap
    let step = 1;
    let hi = lo + 1;
    while (hi < b.count && keyAt(b, hi) < key) {
      lo = hi;
      step = step * 2;
      hi = lo + step;
    }
    if (hi > b.count) hi = b.count;
    // answer in (lo, hi]
    let a = lo + 1;
    let z = hi;
    while (a < z) {
      const mid = Math.floor((a + z) / 2);
      if (keyAt(b, mid) < key) a = mid + 1;
      else z = mid;
    }
    return a;
  }

  private apply(op: string, arg: string): boolean {
    const meta = this.meta as DeltaMeta;
    if (this.opsDone >= meta.ops) return this.stop(malformed('more than the ' + meta.ops + ' ops line 1 announces'));
    const key = arg.substring(0, KEY_BYTES);
    if (this.opsDone > 0 && !(key > this.lastKey)) return this.stop(malformed('ops must be in ascending fob order (op ' + this.opsDone + ')'));
    this.lastKey = key;
    this.opsDone++;
    const p = this.seek(key);
    const held = p < this.base.count && keyAt(this.base, p) === key;
    if (!this.copyTo(p)) return false;
    if (op === OP_DELETE) {
      if (!held) return this.stop(malformed('deletes a fob the base list does not hold (op ' + (this.opsDone - 1) + ')'));
      this.i = p + 1;
      return true;
    }
    if (arg.charCodeAt(KEY_BYTES) > FLAG_MASK) return this.stop(malformed('op ' + (this.opsDone - 1) + ' has unknown flag bits'));
    if (held) this.i = p + 1;
    if (this.out + 1 > (this.result as ListHeader).count) return this.stop(malformed('the result would hold more entries than its header says'));
    if (!this.sink.write(arg)) return this.stop({ code: 'LIST_MALFORMED', message: 'authorization list delta: the result could not be stored' });
    this.out++;
    return true;
  }

  /** All bytes arrived: copies the rest of the base and checks the counts. */
  finish(): Result<ListHeader> {
    if (this.phase === 3) return { ok: false, error: this.err as SharedError };
    if (this.phase < 2 || this.carry.length > 0) {
      this.stop(malformed('it ended early (' + (this.phase < 2 ? 'in its header' : 'inside an op') + ')'));
      return { ok: false, error: this.err as SharedError };
    }
    const meta = this.meta as DeltaMeta;
    if (this.opsDone !== meta.ops) {
      this.stop(malformed('it holds ' + this.opsDone + ' ops, line 1 announces ' + meta.ops));
      return { ok: false, error: this.err as SharedError };
    }
    if (!this.copyTo(this.base.count)) return { ok: false, error: this.err as SharedError };
    const h = this.result as ListHeader;
    if (this.out !== h.count) {
      this.stop(malformed('the result holds ' + this.out + ' entries, its header says ' + h.count));
      return { ok: false, error: this.err as SharedError };
    }
    return ok(h);
  }
}

/**
 * Applies a whole delta text to a list in RAM and returns the resulting list (tools, tests, the
 * server's own checks). Its digest is computed here, so compare it with the one announced.
 */
export function applyDelta(base: AuthList, delta: string, sha256Hex: Sha256Hex): Result<AuthList> {
  const parts: string[] = [];
  const merge = new DeltaMerge(base, {
    begin: function () {
      return true;
    },
    write: function (piece: string) {
      parts.push(piece);
      return true;
    },
  });
  merge.feed(delta);
  const r = merge.finish();
  if (!r.ok) return fail(r.error.code, r.error.message);
  const body = parts.join('');
  const text = line1Of(bodyDigest(body, sha256Hex)) + '\n' + body;
  if (text.length < LINE1_BYTES) return fail('DELTA_MALFORMED', 'authorization list delta: empty result');
  return openList(text);
}
