// HMAC-SHA256 over 8-bit strings, built from a raw SHA-256 passed in (Espruino's
// require("crypto").SHA256 on the unit, node:crypto in Node), plus hex and constant-time helpers.
// Strings are 8-bit: each character code 0..255 is one byte (ASCII bodies, see docs/protocol.md).

/** A raw SHA-256: 8-bit string in, 32-byte digest out (ArrayBuffer, bytes, or a binary string). */
export type RawSha256 = (data: string) => string | ArrayBuffer | Uint8Array;

const BLOCK_SIZE = 64;
const DIGEST_SIZE = 32;
const HEX = '0123456789abcdef';

/** XOR of two bytes by arithmetic (no bitwise operators in the shared core). */
function xorByte(a: number, b: number): number {
  let r = 0;
  let place = 1;
  for (let i = 0; i < 8; i++) {
    const x = a % 2;
    const y = b % 2;
    if (x !== y) r += place;
    a = (a - x) / 2;
    b = (b - y) / 2;
    place *= 2;
  }
  return r;
}

function isHexDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (HEX.indexOf(s.charAt(i).toLowerCase()) < 0) return false;
  }
  return true;
}

/** Uint8Array or ArrayBuffer (also one from another realm, e.g. the interpreter's crypto) -> bytes. */
function asBytes(d: ArrayBuffer | Uint8Array): Uint8Array | null {
  if (d instanceof Uint8Array) return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  if (d && typeof d === 'object' && typeof (d as ArrayBuffer).byteLength === 'number') return new Uint8Array(d as ArrayBuffer);
  return null;
}

/**
 * A digest in any accepted form -> binary string (one char per byte), or null when it is not
 * 32 bytes. A 64-character hex string is accepted too.
 */
function digestToBinary(d: string | ArrayBuffer | Uint8Array): string | null {
  let out = '';
  if (typeof d === 'string') {
    if (d.length === DIGEST_SIZE) {
      for (let i = 0; i < d.length; i++) out += String.fromCharCode(d.charCodeAt(i) % 256);
      return out;
    }
    if (d.length === DIGEST_SIZE * 2 && isHexDigits(d)) {
      const h = d.toLowerCase();
      for (let i = 0; i < DIGEST_SIZE; i++) {
        out += String.fromCharCode(HEX.indexOf(h.charAt(2 * i)) * 16 + HEX.indexOf(h.charAt(2 * i + 1)));
      }
      return out;
    }
    return null;
  }
  const bytes = asBytes(d);
  if (bytes === null || bytes.length !== DIGEST_SIZE) return null;
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

/** Bytes (binary string, Uint8Array or ArrayBuffer) -> lowercase hex. */
export function toHex(data: string | ArrayBuffer | Uint8Array): string {
  let out = '';
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) {
      const b = data.charCodeAt(i) % 256;
      out += HEX.charAt(Math.floor(b / 16)) + HEX.charAt(b % 16);
    }
    return out;
  }
  const bytes = asBytes(data);
  if (bytes === null) return '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    out += HEX.charAt(Math.floor(b / 16)) + HEX.charAt(b % 16);
  }
  return out;
}

/**
 * `(s) => hex SHA-256 of s` from a raw SHA-256. A hash function that does not give 32 bytes
 * yields '' (which never matches a digest or signature).
 */
export function sha256HexWith(sha256: RawSha256): (data: string) => string {
  return function (data: string): string {
    return sha256Hex(sha256, data);
  };
}

/** Hex SHA-256 of an 8-bit string with the given raw SHA-256 ('' if it does not give 32 bytes). */
export function sha256Hex(sha256: RawSha256, data: string): string {
  const bin = digestToBinary(sha256(data));
  return bin === null ? '' : toHex(bin);
}

/**
 * `(key, message) => hex HMAC-SHA256` (RFC 2104, block size 64) from a raw SHA-256. Keys longer
 * than 64 bytes are hashed first. The padded keys of the last key used are cached, so a unit
 * signing with its one key pays for the key schedule once. If the hash function does not give
 * 32 bytes the result is '' (which never matches a signature: fails closed).
 */
export function makeHmacSha256(sha256: RawSha256): (key: string, message: string) => string {
  let cachedKey: string | null = null;
  let innerPad = '';
  let outerPad = '';

  function prepareKey(key: string): boolean {
    if (cachedKey === key) return true;
    let k: string | null = key;
    if (k.length > BLOCK_SIZE) k = digestToBinary(sha256(k));
    if (k === null) return false;
    let ipad = '';
    let opad = '';
    for (let i = 0; i < BLOCK_SIZE; i++) {
      const b = i < k.length ? k.charCodeAt(i) % 256 : 0;
      ipad += String.fromCharCode(xorByte(b, 0x36));
      opad += String.fromCharCode(xorByte(b, 0x5c));
    }
    innerPad = ipad;
    outerPad = opad;
    cachedKey = key;
    return true;
  }

  return function hmacSha256(key: string, message: string): string {
    const k = typeof key === 'string' ? key : String(key);
    const m = typeof message === 'string' ? message : String(message);
    if (!prepareKey(k)) return '';
    const inner = digestToBinary(sha256(innerPad + m));
    if (inner === null) return '';
    const outer = digestToBinary(sha256(outerPad + inner));
    return outer === null ? '' : toHex(outer);
  };
}

/**
 * Compare two strings (hex signatures, tokens) without stopping at the first difference.
 * Different lengths (or a non-string) compare unequal.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    diff += d * d;
  }
  return diff === 0;
}
