// Building a list file from entries (the server's side): sorted, one record per fob, the header,
// the content digest, and line 1.
import type { DecisionMachine } from './decision-types.js';
import { FOB_MAX } from './fob.js';
import {
  type AuthList, type ListEntry, type Sha256Hex,
  FLAG_MASK, LINE1_BYTES, MAX_LIST_COUNT, headerLine, isIntIn, line1Of, machineHeader, recordOf, wholeOrZero,
} from './authlist-list.js';
import { bodyDigest } from './authlist-digest.js';

/** A flag byte within FLAG_MASK (unknown bits dropped, by arithmetic). */
export function cleanFlags(f: unknown): number {
  return typeof f === 'number' && isFinite(f) && f > 0 ? Math.floor(f) % (FLAG_MASK + 1) : 0;
}

/**
 * Build a list from entries in any order. Entries with a fob outside 0..2^32-1 are skipped; when
 * a fob appears twice the first entry wins (config validation refuses duplicates before this);
 * at most MAX_LIST_COUNT entries are kept (the lowest fobs; config validation reports more).
 */
export function buildList(
  machine: DecisionMachine, entries: ListEntry[], version: number, issuedAt: number, sha256Hex: Sha256Hex,
): AuthList {
  const list = Array.isArray(entries) ? entries : [];
  const order: number[] = [];
  for (let i = 0; i < list.length; i++) if (list[i] && isIntIn(list[i].fob, 0, FOB_MAX)) order.push(i);
  order.sort(function (x, y) {
    const d = list[x].fob - list[y].fob;
    return d !== 0 ? d : x - y;
  });
  const parts: string[] = [];
  for (let i = 0; i < order.length && parts.length < MAX_LIST_COUNT; i++) {
    const e = list[order[i]];
    if (i > 0 && e.fob === list[order[i - 1]].fob) continue;
    parts.push(recordOf(e.fob, cleanFlags(e.flags), e.name));
  }
  const header = {
    machine: machineHeader(machine),
    version: wholeOrZero(version),
    issued_at: wholeOrZero(issuedAt),
    count: parts.length,
  };
  const hl = headerLine(header);
  const body = hl + '\n' + parts.join('');
  const digest = bodyDigest(body, sha256Hex);
  return {
    machine: header.machine,
    version: header.version,
    issued_at: header.issued_at,
    count: header.count,
    digest: digest,
    text: line1Of(digest) + '\n' + body,
    recStart: LINE1_BYTES + hl.length + 1,
  };
}
