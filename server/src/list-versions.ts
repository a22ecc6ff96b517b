// The server alone decides authorization list versions. What a unit reports about the list it
// holds (version, digest) is checked against what this server issued, never adopted: one unit's
// key must not move every unit's version (a report of 2^31-1 used to push the next version past
// what the protocol accepts, for every unit, beyond repair by an admin).
//
// A report this server cannot recognise (a version above the latest it issued, or the latest
// version with other content) means one of two things: the server's state was restored from an
// older copy (or a bump was lost in a crash), or the unit lies. The server cannot tell them apart
// from the report, so it answers with its own number: a recovery moves the latest version to
// max(latest + 1, the clock version), the seconds since 2020-01-01 UTC. Versions otherwise count
// up by one from 1, so every version an honest server ever issued is below the clock version,
// while a number the unit picked does not matter: the jump never depends on it. A report at or
// above the clock version cannot come from this server's history and is only flagged. Recoveries
// are rate-limited (one per RECOVERY_MIN_INTERVAL_MS, one per machine per server start), audited,
// alerted on Slack and counted, so a lying unit costs at most a rare extra full list download;
// unrecognised reports are audited and alerted at most once per machine per interval.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MachineConfig } from '@fobgate/shared';
import type { Core } from './core-services.js';
import { serverEvent } from './audit-records.js';
import { listRecoveredText, listUnrecognizedText } from './slack-messages.js';

/** Clock versions count seconds from here (2^31-1 seconds later is the year 2088). */
export const VERSION_EPOCH_MS = Date.UTC(2020, 0, 1);
/** Shortest time between two recoveries. */
export const RECOVERY_MIN_INTERVAL_MS = 10 * 60_000;

/** The clock version at epoch ms `now`. */
export function clockVersion(now: number): number {
  return Math.max(1, Math.floor((now - VERSION_EPOCH_MS) / 1000));
}

/**
 * current: the unit holds the latest list; behind: an older version (it gets a delta or the full
 * list); recovered: the report showed versions this server had lost and the latest version moved
 * past them; unrecognized: a list this server did not issue, flagged and left alone.
 */
export type HeldVerdict = 'current' | 'behind' | 'recovered' | 'unrecognized';

export interface UnrecognizedList {
  version: number;
  digest: string;
  /** Epoch ms of the first report. */
  since: number;
}

export class ListVersionGuard {
  private readonly core: Core;
  private lastRecovery = -Infinity;
  /** Machines whose report already caused a recovery since the server started. */
  private readonly recoveredFor = new Set<string>();
  private readonly unrecognized = new Map<string, UnrecognizedList>();
  /** When each machine's unrecognised report was last audited and alerted. */
  private readonly alertedAt = new Map<string, number>();
  private readonly recoveries: Counter;

  constructor(core: Core, registry: Registry) {
    this.core = core;
    this.recoveries = new Counter({
      name: 'fobgate_list_version_recoveries_total',
      help: 'Times the latest list version moved past versions a unit held that this server had lost',
      registers: [registry],
    });
    const self = this;
    new Gauge({
      name: 'fobgate_unit_list_unrecognized',
      help: 'The unit reports a list this server did not issue (1): it gets no update until re-registered or recovered',
      labelNames: ['machine_name', 'display_name'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const name of self.core.machines.names) {
          const m = self.core.machines.byName[name];
          this.set({ machine_name: name, display_name: m.display_name }, self.unrecognized.has(name) ? 1 : 0);
        }
      },
    });
  }

  /** The unrecognised list the machine's unit last reported, or null. */
  unrecognizedFor(machine: string): UnrecognizedList | null {
    return this.unrecognized.get(machine) ?? null;
  }

  /**
   * Checks a unit's report of the list it holds against the latest version and its content
   * (`latestDigest`, the machine's list at the latest version). Changes the latest version only
   * through a recovery, to a number of the server's own choosing.
   */
  check(m: MachineConfig, version: number, digest: string, latestDigest: () => string, now: number): HeldVerdict {
    const data = this.core.store.data;
    // The latest list first: building it may itself move the version (a new day with expiry on).
    const current = latestDigest();
    const latest = data.list_version;
    if (version < latest) {
      this.unrecognized.delete(m.name);
      return 'behind';
    }
    if (version === latest && digest === current) {
      this.unrecognized.delete(m.name);
      return 'current';
    }
    const plausible = version < clockVersion(now);
    if (plausible && now - this.lastRecovery >= RECOVERY_MIN_INTERVAL_MS && !this.recoveredFor.has(m.name)) {
      const next = Math.max(latest + 1, clockVersion(now));
      data.list_version = next;
      data.list_issued_at = now;
      this.core.store.markDirty();
      // every machine's row shows the latest version (dashboard streams)
      this.core.feed.touchAll();
      this.lastRecovery = now;
      this.recoveredFor.add(m.name);
      this.unrecognized.delete(m.name);
      this.recoveries.inc();
      const ev = serverEvent(
        m.name,
        now,
        'list_version_recovered',
        `unit reported list v${version} that this server no longer knows (latest was v${latest}): ` +
          `latest list version moved to v${next}`,
      );
      this.core.storeEvent(ev);
      this.core.notifier.notify('control', listRecoveredText(m.display_name, version, latest, next), 'urgent');
      return 'recovered';
    }
    const known = this.unrecognized.get(m.name);
    if (!known || known.version !== version || known.digest !== digest) {
      this.unrecognized.set(m.name, { version, digest, since: now });
      // a unit changing its story every sync gets one alert per machine per interval, not one per sync
      const last = this.alertedAt.get(m.name);
      if (last !== undefined && now - last < RECOVERY_MIN_INTERVAL_MS) return 'unrecognized';
      this.alertedAt.set(m.name, now);
      const why = plausible
        ? 'a recovery ran moments ago, so this report does not move the version again'
        : `it is above any version this server can have issued (v${clockVersion(now) - 1})`;
      const ev = serverEvent(m.name, now, 'list_unrecognized', `unit reported list v${version} that this server did not issue (latest v${latest}): ${why}`);
      this.core.storeEvent(ev);
      this.core.notifier.notify('control', listUnrecognizedText(m.display_name, version, latest), 'urgent');
    }
    return 'unrecognized';
  }
}
