// SHA-256 (FIPS 180-4) in plain arithmetic over 8-bit strings: no bitwise operators, every
// intermediate a whole number below 2^36, so it is exact both in JavaScript and compiled to Lua 5.1
// (whose numbers are doubles). It is the fallback digest for a host without a native one (the Lua
// build on a host without crypto.hash, see docs/lua.md); a native SHA-256 is many times faster and
// should be passed instead wherever the host has one. Shaped as RawSha256 (hmac.ts): 8-bit string
// in, 32-char binary string out.
import { toHex } from './hmac.js';

const TWO32 = 4294967296;

/** Round constants (first 32 bits of the fractional parts of the cube roots of the first 64 primes). */
const K: number[] = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/** Initial hash value (first 32 bits of the fractional parts of the square roots of the first 8 primes). */
const H0: number[] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** POW[k] = 2^k for k = 0..32. */
const POW: number[] = powers();

function powers(): number[] {
  const p: number[] = [];
  let v = 1;
  for (let k = 0; k <= 32; k++) {
    p.push(v);
    v = v * 2;
  }
  return p;
}

/** XOR4[x * 16 + y] = x XOR y for 4-bit x, y (built by arithmetic). */
const XOR4: number[] = xorTable();

function xorTable(): number[] {
  const t: number[] = [];
  for (let x = 0; x < 16; x++) {
    for (let y = 0; y < 16; y++) {
      let r = 0;
      let a = x;
      let b = y;
      let place = 1;
      for (let i = 0; i < 4; i++) {
        const bx = a % 2;
        const by = b % 2;
        if (bx !== by) r += place;
        a = (a - bx) / 2;
        b = (b - by) / 2;
        place *= 2;
      }
      t.push(r);
    }
  }
  return t;
}

/** a XOR b for 32-bit words, a nibble at a time. */
function xor2(a: number, b: number): number {
  let r = 0;
  let place = 1;
  for (let i = 0; i < 8; i++) {
    const x = a % 16;
    const y = b % 16;
    r += XOR4[x * 16 + y] * place;
    a = (a - x) / 16;
    b = (b - y) / 16;
    place *= 16;
  }
  return r;
}

/** a XOR b XOR c for 32-bit words. */
function xor3(a: number, b: number, c: number): number {
  let r = 0;
  let place = 1;
  for (let i = 0; i < 8; i++) {
    const x = a % 16;
    const y = b % 16;
    const z = c % 16;
    r += XOR4[XOR4[x * 16 + y] * 16 + z] * place;
    a = (a - x) / 16;
    b = (b - y) / 16;
    c = (c - z) / 16;
    place *= 16;
  }
  return r;
}

/** Rotate a 32-bit word right by n (1..31). */
function rotr(x: number, n: number): number {
  const low = x % POW[n];
  return (x - low) / POW[n] + low * POW[32 - n];
}

/** Shift a 32-bit word right by n. */
function shr(x: number, n: number): number {
  return (x - (x % POW[n])) / POW[n];
}

/** Compress one 64-byte block of `s` starting at `at` into the hash state `h` (8 words). */
function compress(h: number[], w: number[], s: string, at: number): void {
  for (let i = 0; i < 16; i++) {
    const p = at + i * 4;
    w[i] = (s.charCodeAt(p) % 256) * 16777216 + (s.charCodeAt(p + 1) % 256) * 65536 +
      (s.charCodeAt(p + 2) % 256) * 256 + (s.charCodeAt(p + 3) % 256);
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = xor3(rotr(x, 7), rotr(x, 18), shr(x, 3));
    const s1 = xor3(rotr(y, 17), rotr(y, 19), shr(y, 10));
    w[i] = (s1 + w[i - 7] + s0 + w[i - 16]) % TWO32;
  }
  let a = h[0];
  let b = h[1];
  let c = h[2];
  let d = h[3];
  let e = h[4];
  let f = h[5];
  let g = h[6];
  let hh = h[7];
  for (let i = 0; i < 64; i++) {
    const bigS1 = xor3(rotr(e, 6), rotr(e, 11), rotr(e, 25));
    // Ch(e, f, g) = (e AND f) XOR (NOT e AND g): per bit f where e is 1, g where e is 0.
    const ch = (f + g - xor2(e, f) + xor2(e, g)) / 2;
    const t1 = hh + bigS1 + ch + K[i] + w[i];
    const bigS0 = xor3(rotr(a, 2), rotr(a, 13), rotr(a, 22));
    // Maj(a, b, c): per bit, a + b + c = parity + 2 * majority.
    const maj = (a + b + c - xor3(a, b, c)) / 2;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) % TWO32;
    d = c;
    c = b;
    b = a;
    a = (t1 + bigS0 + maj) % TWO32;
  }
  h[0] = (h[0] + a) % TWO32;
  h[1] = (h[1] + b) % TWO32;
  h[2] = (h[2] + c) % TWO32;
  h[3] = (h[3] + d) % TWO32;
  h[4] = (h[4] + e) % TWO32;
  h[5] = (h[5] + f) % TWO32;
  h[6] = (h[6] + g) % TWO32;
  h[7] = (h[7] + hh) % TWO32;
}

/** Four big-endian bytes of a 32-bit word, as an 8-bit string. */
function wordBytes(v: number): string {
  const b3 = v % 256;
  v = (v - b3) / 256;
  const b2 = v % 256;
  v = (v - b2) / 256;
  const b1 = v % 256;
  const b0 = (v - b1) / 256;
  return String.fromCharCode(b0) + String.fromCharCode(b1) + String.fromCharCode(b2) + String.fromCharCode(b3);
}

/**
 * SHA-256 of an 8-bit string (each character code 0..255 is one byte; higher codes are taken
 * modulo 256, as hmac.ts does) -> the 32-byte digest as a binary string.
 */
export function pureSha256(data: string): string {
  const s = typeof data === 'string' ? data : String(data);
  const h: number[] = [];
  for (let i = 0; i < 8; i++) h.push(H0[i]);
  const w: number[] = [];
  for (let i = 0; i < 64; i++) w.push(0);
  const n = s.length;
  const full = n - (n % 64);
  for (let at = 0; at < full; at += 64) compress(h, w, s, at);
  // The last partial block, 0x80, zeros up to 56 mod 64, then the length in bits (64-bit big-endian).
  let tail = s.substring(full) + String.fromCharCode(128);
  while (tail.length % 64 !== 56) tail += String.fromCharCode(0);
  const bits = n * 8;
  const high = Math.floor(bits / TWO32);
  tail += wordBytes(high) + wordBytes(bits - high * TWO32);
  for (let at = 0; at < tail.length; at += 64) compress(h, w, tail, at);
  let out = '';
  for (let i = 0; i < 8; i++) out += wordBytes(h[i]);
  return out;
}

/** Hex SHA-256 of an 8-bit string (Sha256Hex shape) with pureSha256. */
export function pureSha256Hex(data: string): string {
  return toHex(pureSha256(data));
}
