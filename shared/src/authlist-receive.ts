// Checks a full list as it arrives, chunk by chunk, before any of it is trusted: line 1 must be
// the announced one (format and digest), the header must parse and match the announced version
// and size, and every record must follow the previous one in fob order with known flag bits.
// The bytes themselves go to flash as they come (the caller writes them); the digest is checked
// afterwards over what flash holds. Memory stays bounded by one header line and one record.
import { ok, type Result, type SharedError } from './errors.js';
import {
  type ListHeader, FLAG_MASK, KEY_BYTES, LINE1_BYTES, MAX_HEADER_BYTES, RECORD_BYTES, line1Of, listFileBytes, parseHeader,
} from './authlist-list.js';

function malformed(what: string): SharedError {
  return { code: 'LIST_MALFORMED', message: 'authorization list: ' + what };
}

export class FullListCheck {
  private line1: string;
  private bytes: number;
  /** 0: line 1, 1: header line, 2: records, 3: failed. */
  private phase = 0;
  private carry = '';
  private at = 0;
  private result: ListHeader | null = null;
  private err: SharedError | null = null;
  private lastKey = '';
  private records = 0;

  /** digest and bytes: what the announcement promised. */
  constructor(digest: string, bytes: number) {
    this.line1 = line1Of(digest) + '\n';
    this.bytes = bytes;
  }

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

  /** The next chunk of the list; false once it failed (see error()). */
  feed(chunk: string): boolean {
    if (this.phase === 3) return false;
    if (typeof chunk !== 'string') return this.stop(malformed('a chunk is not a string'));
    this.at += chunk.length;
    if (this.at > this.bytes) return this.stop(malformed('longer than the announced ' + this.bytes + ' bytes'));
    let data = this.carry.length ? this.carry + chunk : chunk;
    this.carry = '';
    let p = 0;
    if (this.phase === 0) {
      if (data.length < LINE1_BYTES) {
        if (data !== this.line1.substring(0, data.length)) return this.stop(malformed('line 1 is not the announced one'));
        this.carry = data;
        return true;
      }
      if (data.substring(0, LINE1_BYTES) !== this.line1) {
        return this.stop({ code: 'LIST_DIGEST', message: 'authorization list: line 1 is not the announced "' + this.line1.substring(0, LINE1_BYTES - 1) + '"' });
      }
      p = LINE1_BYTES;
      this.phase = 1;
    }
    if (this.phase === 1) {
      const nl = data.indexOf('\n', p);
      if (nl < 0) {
        if (data.length - p > MAX_HEADER_BYTES) return this.stop(malformed('header line is too long'));
        this.carry = data.substring(p);
        return true;
      }
      const h = parseHeader(data, p, nl);
      if (!h.ok) return this.stop(h.error);
      const size = listFileBytes(nl - p, h.value.count);
      if (size !== this.bytes) return this.stop(malformed(h.value.count + ' entries make ' + size + ' bytes, ' + this.bytes + ' were announced'));
      this.result = h.value;
      this.phase = 2;
      p = nl + 1;
    }
    while (p + RECORD_BYTES <= data.length) {
      const key = data.substring(p, p + KEY_BYTES);
      if (this.records > 0 && !(key > this.lastKey)) return this.stop(malformed('entries must be in ascending fob order (entry ' + this.records + ')'));
      if (data.charCodeAt(p + KEY_BYTES) > FLAG_MASK) return this.stop(malformed('entry ' + this.records + ' has unknown flag bits'));
      this.lastKey = key;
      this.records++;
      p += RECORD_BYTES;
    }
    if (p < data.length) this.carry = data.substring(p);
    return true;
  }

  /** Every announced byte arrived and checked. */
  finish(): Result<ListHeader> {
    if (this.phase !== 3) {
      if (this.phase < 2 || this.at !== this.bytes || this.carry.length > 0) {
        this.stop(malformed('it ended after ' + this.at + ' of ' + this.bytes + ' bytes'));
      } else if (this.records !== (this.result as ListHeader).count) {
        this.stop(malformed('it holds ' + this.records + ' entries, its header says ' + (this.result as ListHeader).count));
      }
    }
    if (this.phase === 3) return { ok: false, error: this.err as SharedError };
    return ok(this.result as ListHeader);
  }
}
