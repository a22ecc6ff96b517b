// Since when each machine has been online, kept in <state>/dashboard.json so that a restart of
// the server does not make every machine "online since just now". Offline machines need no
// record: they have been silent since their last check-in (state.json keeps it). Fed by the
// fleet change feed; written only when a machine comes online or goes offline.
import type { Core } from '../core.js';
import type { FleetFeed, FleetTouch } from './fleet-feed.js';
import { JsonDoc } from './json-doc.js';

interface LivenessFile {
  format: 1;
  online_since: { [machine: string]: number };
}

function fix(raw: unknown): LivenessFile {
  const out: LivenessFile = { format: 1, online_since: {} };
  const src = raw && typeof raw === 'object' ? (raw as { online_since?: unknown }).online_since : null;
  if (src && typeof src === 'object') {
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      if (typeof v === 'number' && Number.isFinite(v) && k !== '__proto__') out.online_since[k] = v;
    }
  }
  return out;
}

export class LivenessTracker {
  private unsubscribe: (() => void) | null = null;

  private constructor(
    private readonly core: Core,
    private readonly doc: JsonDoc<LivenessFile>,
  ) {}

  static async open(core: Core, path: string | null): Promise<LivenessTracker> {
    const doc = await JsonDoc.open<LivenessFile>(path, () => ({ format: 1, online_since: {} }), fix);
    const t = new LivenessTracker(core, doc);
    t.update(core.machines.names);
    return t;
  }

  /** Follows the feed from now on. */
  follow(feed: FleetFeed): void {
    this.unsubscribe = feed.subscribe((touched: FleetTouch) => this.update(touched === 'all' ? this.core.machines.names : touched));
  }

  /** Online: since when; offline: the last check-in; never seen: null. */
  since(name: string, online: boolean, lastCheckin: number | null): number | null {
    if (!online) return lastCheckin;
    const s = this.doc.data.online_since[name];
    return s !== undefined ? s : lastCheckin;
  }

  private update(names: string[]): void {
    const map = this.doc.data.online_since;
    let changed = false;
    for (const name of names) {
      if (!this.core.machine(name)) continue;
      const live = this.core.online(name);
      const has = Object.prototype.hasOwnProperty.call(map, name);
      if (live.online && !has) {
        const rec = this.core.store.peekMachine(name);
        map[name] = rec && rec.last_checkin !== null ? rec.last_checkin : this.core.clock();
        changed = true;
      } else if (!live.online && has) {
        delete map[name];
        changed = true;
      }
    }
    if (changed) void this.doc.save().catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.unsubscribe) this.unsubscribe();
    await this.doc.close();
  }
}
