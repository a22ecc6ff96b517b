// Secrets on the server: the admin bearer-token check (constant time), unit keys, and the
// node:crypto HMAC/SHA-256 the shared authlist code is handed (identical to the shared
// makeHmacSha256 over 8-bit strings).
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { errors } from './errors.js';

/** SHA-256 of an 8-bit string (one char per byte), hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(Buffer.from(text, 'latin1')).digest('hex');
}

/** HMAC-SHA256(key, text) over 8-bit strings, hex. */
export function hmacHex(key: string, text: string | Buffer): string {
  const msg = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return createHmac('sha256', Buffer.from(key, 'latin1')).update(msg).digest('hex');
}

/** Constant-time equality of two secrets of any length (compares their digests). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** A new unit key: 32 random bytes as 64 hex chars. */
export function newUnitKey(): string {
  return randomBytes(32).toString('hex');
}

/** Throws 401 unless the request carries `Authorization: Bearer <token>`. */
export function requireAdmin(request: FastifyRequest, token: string): void {
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    throw errors.unauthorized('missing admin credential: send Authorization: Bearer <admin token>');
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw errors.unauthorized('malformed Authorization header: expected "Bearer <admin token>"');
  if (!secretEquals(m[1], token)) throw errors.unauthorized('wrong admin token');
}

/** Verifies a hex signature of a raw body against a unit key, in constant time. */
export function signatureValid(key: string, raw: Buffer, signature: string | undefined): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  const expected = Buffer.from(hmacHex(key, raw), 'hex');
  const given = Buffer.from(signature.toLowerCase(), 'hex');
  return timingSafeEqual(expected, given);
}
