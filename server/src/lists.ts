// Authorization lists per machine at the global list version, built from the users and the
// machine's config with the shared authlist code, with a few recent versions kept in memory so
// a unit holding one of them gets a signed delta instead of the full list. A full list larger
// than the inline limit is announced as `fetch` and downloaded separately (routes/list.ts), so a
// unit streams it into flash instead of receiving it inside the JSON answer.
import {
  buildList,
  diffLists,
  encodeDelta,
  encodeList,
  entriesFor,
  signText,
  type AuthList,
  type ListUpdate,
  type MachineConfig,
} from '@fobgate/shared';
import type { Core } from './core.js';
import { hmacHex, sha256Hex } from './auth.js';

/** Versions of each machine's list kept for deltas. */
export const KEEP_VERSIONS = 8;
/** Default largest full-list text sent inside a sync answer, bytes (larger: a `fetch`). */
export const LIST_INLINE_MAX_BYTES = 8192;

interface Built {
  version: number;
  list: AuthList;
  /** encodeList(list), made on first need. */
  text?: string;
}

export class ListCache {
  private core: Core;
  private byMachine: { [name: string]: Built[] } = {};
  private inlineMax: number;

  /** inlineMax: largest full-list text (bytes) sent inside a sync answer. */
  constructor(core: Core, inlineMax: number = LIST_INLINE_MAX_BYTES) {
    this.core = core;
    this.inlineMax = inlineMax;
  }

  /** The machine's list at the latest version (built once per version). */
  current(m: MachineConfig): AuthList {
    this.checkDay();
    const data = this.core.store.data;
    const kept = this.byMachine[m.name] ?? (this.byMachine[m.name] = []);
    const last = kept[kept.length - 1];
    if (last && last.version === data.list_version) return last.list;
    const entries = entriesFor(this.core.users, m, this.core.today());
    const list = buildList(m, entries, data.list_version, data.list_issued_at, sha256Hex);
    kept.push({ version: data.list_version, list });
    while (kept.length > KEEP_VERSIONS) kept.shift();
    return list;
  }

  /**
   * What a unit holding (heldVersion, heldDigest) needs: null when it holds the latest, a delta
   * from a version still kept here, else the full list; signed with the unit's key.
   */
  updateFor(m: MachineConfig, heldVersion: number, heldDigest: string, key: string): ListUpdate | null {
    const cur = this.current(m);
    if (heldVersion === cur.version && heldDigest === cur.digest) return null;
    const kept = this.byMachine[m.name] ?? [];
    let base: AuthList | null = null;
    for (const b of kept) {
      if (b.version === heldVersion && b.version < cur.version && b.list.digest === heldDigest) base = b.list;
    }
    if (base) {
      const text = encodeDelta(diffLists(base, cur));
      return { kind: 'delta', from: base.version, version: cur.version, text, sig: signText(text, key, hmacHex) };
    }
    const text = this.textOf(m, cur.version) as string;
    if (text.length > this.inlineMax) return { kind: 'fetch', version: cur.version, bytes: text.length, digest: cur.digest };
    return { kind: 'full', version: cur.version, text, sig: signText(text, key, hmacHex) };
  }

  /**
   * The full text of the machine's list at `version` (the latest or one still kept), or null
   * when that version is not held any more.
   */
  textOf(m: MachineConfig, version: number): string | null {
    this.current(m);
    const kept = this.byMachine[m.name] ?? [];
    for (const b of kept) {
      if (b.version !== version) continue;
      if (b.text === undefined) b.text = encodeList(b.list);
      return b.text;
    }
    return null;
  }

  /** Membership expiry depends on the date: a new day gives every list a new version. */
  private checkDay(): void {
    const data = this.core.store.data;
    const today = this.core.today();
    if (data.list_day === today) return;
    const expiring = this.core.machines.names.some((n) => this.core.machines.byName[n].expiry_grace_days !== null);
    if (data.list_day !== '' && expiring) this.core.bumpListVersion();
    data.list_day = today;
    this.core.store.markDirty();
  }
}
