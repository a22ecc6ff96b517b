// Authorization lists per machine at the global list version, built from the users and the
// machine's config with the shared authlist code. A few recent versions are kept so a unit
// holding one of them can get a delta. What a unit gets is chosen by what it can take
// (docs/list-transfer.md): the smaller of delta and full list, inline in the sync answer only
// when it fits the unit's declared budget (list_inline_max), else announced for a streamed
// download (routes/list.ts). Every answer carries the signature of the resulting list, which the
// unit checks over what it stored, whatever the route the bytes took.
import {
  buildList,
  diffLists,
  entriesFor,
  signList,
  type AuthList,
  type ListUpdate,
  type MachineConfig,
} from '@fobgate/shared';
import type { Core } from './core-services.js';
import { hmacHex, sha256Hex } from './auth.js';

/** Versions of each machine's list kept for deltas. */
export const KEEP_VERSIONS = 8;
/**
 * What a delta op costs a unit in list records: it merges a delta op by op (a search, a copy and
 * a write in flash each) but checks a full list record by record, several times cheaper per
 * entry. A delta is sent when it is smaller than the list and its ops cost no more than the
 * list's records; past that, the full list reaches the unit sooner.
 */
export const DELTA_WORK_FACTOR = 4;
/** Deltas kept per machine (the download of an announced delta asks for it again). */
const KEEP_DELTAS = 8;
/**
 * The server's own cap on list bytes inside a sync answer, whatever a unit declares: a sync
 * answer stays small (the unit holds it whole in RAM and hashes it).
 */
export const LIST_INLINE_MAX_BYTES = 4096;

interface Built {
  version: number;
  list: AuthList;
}

interface Kept {
  lists: Built[];
  /** Delta texts (and their op counts) by "from>to". */
  deltas: { key: string; text: string; ops: number }[];
}

/** One version's bytes as the unit gets them. */
export interface Transfer {
  kind: 'full' | 'delta';
  from: number;
  version: number;
  digest: string;
  text: string;
}

export class ListCache {
  private core: Core;
  private byMachine: { [name: string]: Kept } = {};
  private inlineCap: number;

  /** inlineCap: the most list bytes sent inside a sync answer (the unit's budget may be lower). */
  constructor(core: Core, inlineCap: number = LIST_INLINE_MAX_BYTES) {
    this.core = core;
    this.inlineCap = inlineCap;
  }

  private kept(name: string): Kept {
    return this.byMachine[name] ?? (this.byMachine[name] = { lists: [], deltas: [] });
  }

  /** The machine's list at the latest version (built once per version). */
  current(m: MachineConfig): AuthList {
    this.checkDay();
    const data = this.core.store.data;
    const kept = this.kept(m.name);
    const last = kept.lists[kept.lists.length - 1];
    if (last && last.version === data.list_version) return last.list;
    const entries = entriesFor(this.core.users, m, this.core.today());
    const list = buildList(m, entries, data.list_version, data.list_issued_at, sha256Hex);
    kept.lists.push({ version: data.list_version, list });
    while (kept.lists.length > KEEP_VERSIONS) kept.lists.shift();
    return list;
  }

  private held(m: MachineConfig, version: number, digest: string | null): AuthList | null {
    for (const b of this.kept(m.name).lists) {
      if (b.version === version && (digest === null || b.list.digest === digest)) return b.list;
    }
    return null;
  }

  private delta(m: MachineConfig, base: AuthList, cur: AuthList): { text: string; ops: number } {
    const kept = this.kept(m.name);
    const key = base.version + '>' + cur.version;
    for (const d of kept.deltas) if (d.key === key) return d;
    const text = diffLists(base, cur);
    const meta = JSON.parse(text.substring(text.indexOf(' ') + 1, text.indexOf('\n'))) as { ops: number };
    const d = { key, text, ops: meta.ops };
    kept.deltas.push(d);
    while (kept.deltas.length > KEEP_DELTAS) kept.deltas.shift();
    return d;
  }

  /**
   * What a unit holding (heldVersion, heldDigest) needs, or null when it holds the latest: a
   * delta from a version still kept here when it is smaller than the list and cheaper for the
   * unit (DELTA_WORK_FACTOR), else the full list; inline (base64 `data`) when it fits min(inlineMax, the server's cap), else announced
   * for download. Signed with the unit's key.
   */
  updateFor(m: MachineConfig, heldVersion: number, heldDigest: string, key: string, inlineMax = 0): ListUpdate | null {
    const cur = this.current(m);
    if (heldVersion === cur.version && heldDigest === cur.digest) return null;
    const t = this.transferFor(m, cur, heldVersion < cur.version ? this.held(m, heldVersion, heldDigest) : null);
    const u: ListUpdate = { kind: t.kind, version: t.version, digest: t.digest, sig: signList(t.digest, key, hmacHex), bytes: t.text.length };
    if (t.kind === 'delta') u.from = t.from;
    const budget = Math.min(this.inlineCap, typeof inlineMax === 'number' && inlineMax > 0 ? Math.floor(inlineMax) : 0);
    if (t.text.length <= budget) u.data = Buffer.from(t.text, 'latin1').toString('base64');
    return u;
  }

  private transferFor(m: MachineConfig, cur: AuthList, base: AuthList | null): Transfer {
    if (base) {
      const d = this.delta(m, base, cur);
      if (d.text.length < cur.text.length && d.ops * DELTA_WORK_FACTOR <= cur.count) {
        return { kind: 'delta', from: base.version, version: cur.version, digest: cur.digest, text: d.text };
      }
    }
    return { kind: 'full', from: 0, version: cur.version, digest: cur.digest, text: cur.text };
  }

  /**
   * The bytes of an announced update for the download route: the list file at `version` (the
   * latest or one still kept) when `from` is 0, else the delta from `from` to it. Null when that
   * version or base is not held any more.
   */
  download(m: MachineConfig, version: number, from: number): Transfer | null {
    this.current(m);
    const target = this.held(m, version, null);
    if (!target) return null;
    if (from === 0) return { kind: 'full', from: 0, version, digest: target.digest, text: target.text };
    const base = from < version ? this.held(m, from, null) : null;
    if (!base) return null;
    return { kind: 'delta', from, version, digest: target.digest, text: this.delta(m, base, target).text };
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
