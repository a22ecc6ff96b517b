// Wiegand frame decoding (26-bit and 34-bit, with parity checks) and the matching encoder.
// Pure arithmetic, no bitwise operators: exact past 2^31 and portable to Lua.
//
// Frame layout, first bit received first:
//   26-bit: E | 24 data bits | O    E = even parity over bits 1..12, O = odd parity over bits 13..24
//   34-bit: E | 32 data bits | O    E = even parity over bits 1..16, O = odd parity over bits 17..32
// The card number is the data bits read as one unsigned number (what ESPHome's wiegand component
// and dm_mac use as the tag value); the facility code is the top 8 (26-bit) or 16 (34-bit) of them.
import { fail, ok, type Result } from './errors.js';

export interface WiegandCard {
  /** The data bits as an unsigned number (24 or 32 bits). */
  card: number;
  bits: 26 | 34;
  /** Top 8 (26-bit) or top 16 (34-bit) data bits. */
  facility: number;
}

/** Number of data bits between the two parity bits. */
function dataBitsOf(bits: number): number {
  return bits - 2;
}

/** 1 when a bit slot holds a set bit (any non-zero value), else 0. */
function bitAt(bits: number[] | Uint8Array, i: number): number {
  return bits[i] ? 1 : 0;
}

/**
 * Decode the first `count` bits of `bits` (one 0/1 per element, first received first).
 * Fails with WIEGAND_LENGTH for any length other than 26 or 34 (or fewer bits than `count`)
 * and WIEGAND_PARITY naming the half whose parity bit is wrong.
 */
export function decodeWiegand(bits: number[] | Uint8Array, count: number): Result<WiegandCard> {
  if (typeof count !== 'number' || count !== 26 && count !== 34) {
    return fail('WIEGAND_LENGTH', 'Wiegand frame of ' + String(count) + ' bits: expected 26 or 34 bits');
  }
  if (!bits || typeof bits.length !== 'number' || bits.length < count) {
    const have = bits && typeof bits.length === 'number' ? bits.length : 0;
    return fail('WIEGAND_LENGTH', 'Wiegand frame of ' + count + ' bits but only ' + have + ' bits were captured');
  }
  const data = dataBitsOf(count);
  const half = data / 2;
  // Even parity: the leading parity bit plus the first half of the data holds an even number of ones.
  let ones = bitAt(bits, 0);
  for (let i = 1; i <= half; i++) ones += bitAt(bits, i);
  if (ones % 2 !== 0) {
    return fail('WIEGAND_PARITY', 'Wiegand ' + count + '-bit frame: even parity of the first half (bits 1-' + half + ') does not match');
  }
  // Odd parity: the second half of the data plus the trailing parity bit holds an odd number of ones.
  ones = bitAt(bits, count - 1);
  for (let i = half + 1; i <= data; i++) ones += bitAt(bits, i);
  if (ones % 2 !== 1) {
    return fail('WIEGAND_PARITY', 'Wiegand ' + count + '-bit frame: odd parity of the second half (bits ' + (half + 1) + '-' + data + ') does not match');
  }
  let card = 0;
  for (let i = 1; i <= data; i++) card = card * 2 + bitAt(bits, i);
  // Facility = top 8 of 24 or top 16 of 32 data bits: in both cases drop the low 16 bits.
  const facility = Math.floor(card / 65536);
  return ok({ card: card, bits: count === 26 ? 26 : 34, facility: facility });
}

/**
 * Build the frame a reader would send for `card` (0/1 per element, first sent first), with both
 * parity bits. The card is reduced to its low 24 (26-bit) or 32 (34-bit) bits, as a reader
 * truncates; a negative or non-finite card is sent as 0.
 */
export function encodeWiegand(card: number, bits: 26 | 34): number[] {
  const data = dataBitsOf(bits === 34 ? 34 : 26);
  let n = typeof card === 'number' && isFinite(card) && card > 0 ? Math.floor(card) : 0;
  // Low bit first, then reversed into sending order.
  const low: number[] = [];
  for (let i = 0; i < data; i++) {
    const b = n % 2;
    low.push(b);
    n = (n - b) / 2;
  }
  const frame: number[] = [0];
  for (let i = data - 1; i >= 0; i--) frame.push(low[i]);
  frame.push(0);
  const half = data / 2;
  let ones = 0;
  for (let i = 1; i <= half; i++) ones += frame[i];
  frame[0] = ones % 2;
  ones = 0;
  for (let i = half + 1; i <= data; i++) ones += frame[i];
  frame[data + 1] = ones % 2 === 0 ? 1 : 0;
  return frame;
}
