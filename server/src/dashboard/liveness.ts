// Since when each machine has been online, kept in <state>/dashboard.json so that a restart of
// the server does not make every machine "online since just now". Offline machines need no
// record: they have been silent since their last check-in (state.json keeps it). Fed by the
// fleet change feed; written at most every few seconds, only after a machine came online or went
// offline (and on close), so it never competes with the state saves that have a budget.
import type { Core } from '../core-services.js';
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

/** Time between writes of dashboard.json, ms. */
const WRITE_EVERY_MS = 5000;

export class LivenessTracker {
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;

  private constructor(
    private readonly core: Core,
    private readonly doc: JsonDoc<LivenessFile>,
  ) {}

  static async open(core: Core, path: string | null): Promise<LivenessTracker> {
    const doc = await JsonDoc.open<LivenessFile>(path, () => ({ format: 1, online_since: {} }), fix, false);
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
        const rec = this.core.store.machine(name);
        map[name] = rec && rec.last_checkin !== null ? rec.last_checkin : this.core.clock();
        changed = true;
      } else if (!live.online && has) {
        delete map[name];
        changed = true;
      }
    }
    if (changed) this.later();
  }

  private later(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dirty = false;
      void this.doc.save().catch(() => undefined);
    }, WRITE_EVERY_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.unsubscribe) this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty) await this.doc.save().catch(() => undefined);
    this.dirty = false;
    await this.doc.close();
  }
}
