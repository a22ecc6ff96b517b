// The content digest of a list: a hash chain over everything after line 1 in HASH_PIECE-byte
// pieces, h = sha256(h + piece), starting from h = "" (so the first step is sha256(piece)).
// Every SHA-256 input stays under HASH_PIECE + 64 bytes, so a unit can hash a list lying in
// flash piece by piece without ever holding it (Espruino's crypto copies a RAM input onto the
// stack, and its SHA-256 has no incremental form), and can spread the work over several ticks.
// The header line (with the entry count) is inside the chain, so a list's size is fixed by it.
import type { Sha256Hex } from './authlist-list.js';
import { LINE1_BYTES } from './authlist-list.js';

/** Bytes hashed per step. */
export const HASH_PIECE = 2048;

/** A digest computed step by step over text[start, text.length). */
export class DigestJob {
  private text: string;
  private at: number;
  private sha: Sha256Hex;
  private h = '';

  constructor(text: string, start: number, sha256Hex: Sha256Hex) {
    this.text = text;
    this.at = start;
    this.sha = sha256Hex;
  }

  /** Hashes up to `pieces` more pieces; true when the whole text is done. */
  step(pieces: number): boolean {
    const end = this.text.length;
    for (let k = 0; k < pieces && this.at < end; k++) {
      const stop = Math.min(end, this.at + HASH_PIECE);
      this.h = this.sha(this.h + this.text.substring(this.at, stop));
      this.at = stop;
    }
    return this.at >= end;
  }

  done(): boolean {
    return this.at >= this.text.length;
  }

  /** The digest (meaningful once done()). */
  value(): string {
    return this.h;
  }
}

/** The digest of a list file's content (everything after line 1), at once. */
export function contentDigest(text: string, sha256Hex: Sha256Hex): string {
  const job = new DigestJob(text, LINE1_BYTES, sha256Hex);
  job.step(text.length);
  return job.value();
}

/**
 * The digest of list content given as its body (header line + "\n" + records) without line 1:
 * what the server computes before it can write line 1.
 */
export function bodyDigest(body: string, sha256Hex: Sha256Hex): string {
  const job = new DigestJob(body, 0, sha256Hex);
  job.step(body.length);
  return job.value();
}
