// Standard base64 (RFC 4648, "=" padded) between byte arrays and ASCII text, in plain TypeScript
// so it runs the same on Node and in the on-chip interpreter (no Buffer, no atob/btoa needed).
// Decoding writes straight into a caller's Uint8Array from a slice of a larger text, so the unit
// never builds an intermediate JS array or copies the section out of the list text.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const INVALID = 255;

/** Char code (0..127) -> 6-bit value, or INVALID. */
const LOOKUP = buildLookup();

function buildLookup(): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < 128; i++) t[i] = INVALID;
  for (let i = 0; i < 64; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
}

/** Length of the base64 text for `byteCount` bytes (with padding). */
export function base64Length(byteCount: number): number {
  return Math.ceil(byteCount / 3) * 4;
}

/** Encode bytes[start, end) (default: all) as padded base64. */
export function base64Encode(bytes: Uint8Array, start?: number, end?: number): string {
  const from = start === undefined ? 0 : start;
  const n = end === undefined ? bytes.length : end;
  const full = n - ((n - from) % 3);
  let out = '';
  let i = from;
  while (i < full) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[(v >> 18) & 63] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + ALPHABET[v & 63];
    i += 3;
  }
  const rest = n - full;
  if (rest === 1) {
    const v1 = bytes[i] << 16;
    out += ALPHABET[(v1 >> 18) & 63] + ALPHABET[(v1 >> 12) & 63] + '==';
  } else if (rest === 2) {
    const v2 = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[(v2 >> 18) & 63] + ALPHABET[(v2 >> 12) & 63] + ALPHABET[(v2 >> 6) & 63] + '=';
  }
  return out;
}

function sextet(text: string, p: number): number {
  const c = text.charCodeAt(p);
  return c < 128 ? LOOKUP[c] : INVALID;
}

/**
 * Decode the base64 in text[start, end) into `out`, which must be exactly the decoded size
 * (base64Length(out.length) === end - start). Canonical form only: padding only where the byte
 * count needs it, unused low bits zero. Returns false (and leaves `out` partly written) on any
 * deviation; never throws.
 */
export function base64DecodeInto(text: string, start: number, end: number, out: Uint8Array): boolean {
  const n = out.length;
  if (end - start !== base64Length(n) || end > text.length || start < 0) return false;
  const full = n - (n % 3);
  let p = start;
  let o = 0;
  while (o < full) {
    const a = sextet(text, p);
    const b = sextet(text, p + 1);
    const c = sextet(text, p + 2);
    const d = sextet(text, p + 3);
    if ((a | b | c | d) > 63) return false; // INVALID is 255: any invalid sextet sets bit 6 or 7
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = (v >> 16) & 255;
    out[o + 1] = (v >> 8) & 255;
    out[o + 2] = v & 255;
    o += 3;
    p += 4;
  }
  const rest = n - full;
  if (rest === 0) return true;
  const a2 = sextet(text, p);
  const b2 = sextet(text, p + 1);
  if ((a2 | b2) > 63) return false;
  if (rest === 1) {
    if ((b2 & 15) !== 0 || text.charCodeAt(p + 2) !== 61 || text.charCodeAt(p + 3) !== 61) return false;
    out[o] = ((a2 << 2) | (b2 >> 4)) & 255;
    return true;
  }
  const c2 = sextet(text, p + 2);
  if (c2 > 63 || (c2 & 3) !== 0 || text.charCodeAt(p + 3) !== 61) return false;
  out[o] = ((a2 << 2) | (b2 >> 4)) & 255;
  out[o + 1] = ((b2 << 4) | (c2 >> 2)) & 255;
  return true;
}

/**
 * A base64 implementation the list code can be handed: this file's pure one by default, or one
 * built on the interpreter's native atob/btoa (a unit: `btoa(E.toString(bytes.subarray(s, e)))`,
 * `out.set(E.toUint8Array(atob(text.substring(s, e))))`), which is many times faster on the chip.
 * `decodeInto` may be lenient about canonical form: list content is checked by its digest.
 */
export interface Base64Codec {
  encode(bytes: Uint8Array, start: number, end: number): string;
  decodeInto(text: string, start: number, end: number, out: Uint8Array): boolean;
}

/** The pure TypeScript codec above. */
export const PURE_BASE64: Base64Codec = {
  encode: function (bytes: Uint8Array, start: number, end: number): string {
    return base64Encode(bytes, start, end);
  },
  decodeInto: function (text: string, start: number, end: number, out: Uint8Array): boolean {
    return base64DecodeInto(text, start, end, out);
  },
};

/** The interpreter's native pieces a fast codec is built from (Espruino: atob, btoa, E.toString, E.toUint8Array). */
export interface NativeBase64 {
  atob(b64: string): string;
  btoa(binary: string): string;
  /** Bytes -> 8-bit string; anything but a string (E.toString when memory is short) = unavailable. */
  bytesToString(bytes: Uint8Array): unknown;
  /** 8-bit string -> bytes. */
  stringToBytes(binary: string): Uint8Array;
}

/**
 * A codec on the interpreter's native base64, falling back to the pure one whenever a native
 * step is unavailable or throws. A unit passes it as `base64` to decodeList/applyDelta/encodeList.
 */
export function nativeBase64(n: NativeBase64): Base64Codec {
  return {
    encode: function (bytes: Uint8Array, start: number, end: number): string {
      try {
        const raw = n.bytesToString(bytes.subarray(start, end));
        if (typeof raw === 'string' && raw.length === end - start) return n.btoa(raw);
      } catch (e) {
        // fall through to the pure encoder
      }
      return base64Encode(bytes, start, end);
    },
    decodeInto: function (text: string, start: number, end: number, out: Uint8Array): boolean {
      if (end - start !== base64Length(out.length) || start < 0 || end > text.length) return false;
      let raw: string;
      try {
        raw = n.atob(text.substring(start, end));
      } catch (e) {
        return false;
      }
      if (typeof raw !== 'string' || raw.length !== out.length) return false;
      try {
        const bytes = n.stringToBytes(raw);
        if (!bytes || bytes.length !== out.length) return base64DecodeInto(text, start, end, out);
        out.set(bytes);
        return true;
      } catch (e) {
        return base64DecodeInto(text, start, end, out);
      }
    },
  };
}
