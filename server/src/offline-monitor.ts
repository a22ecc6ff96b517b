// Which machines went silent (pure, clock passed in): a machine is offline once no request from
// it has arrived for `offlineAfterMs`, and back online with its next request.

export interface OfflineMonitorOptions {
  /** Silence after which a machine counts as offline, in ms. */
  offlineAfterMs: number;
}

export interface MachineLiveness {
  /** 'unknown': never checked in since the monitor started and not seeded. */
  state: 'online' | 'offline' | 'unknown';
  /** Time of the last request that actually arrived, or null. */
  lastSeen: number | null;
  /** When it was declared offline, or null while online. */
  offlineSince: number | null;
  /** Length of the last finished outage (last request before it to the request after), or null. */
  lastOutageMs: number | null;
}

export type CheckinResult = 'online' | 'back_online';

export interface OfflineMonitor {
  /** A request from the machine arrived at `now`. 'back_online' when it had been declared offline. */
  checkin(machine: string, now: number): CheckinResult;
  /** Machines that have just gone offline (each reported once per outage), sorted. */
  tick(now: number): string[];
  status(machine: string): MachineLiveness;
  /**
   * Start watching a machine last seen at `lastSeen` (e.g. restored after a restart) without
   * alerting: if it is already silent for too long it is marked offline quietly.
   */
  seed(machine: string, lastSeen: number, now: number): void;
  /** Stop watching a machine (removed from the config). */
  forget(machine: string): void;
}

interface Entry {
  lastSeen: number;
  offline: boolean;
  offlineSince: number | null;
  lastOutageMs: number | null;
}

export function createOfflineMonitor(options: OfflineMonitorOptions): OfflineMonitor {
  const after = options ? options.offlineAfterMs : NaN;
  if (typeof after !== 'number' || !Number.isFinite(after) || after <= 0) {
    throw new RangeError(`offline monitor: offlineAfterMs must be a positive number, got ${String(after)}`);
  }
  const machines = new Map<string, Entry>();

  return {
    checkin(machine: string, now: number): CheckinResult {
      const entry = machines.get(machine);
      if (!entry) {
        machines.set(machine, { lastSeen: now, offline: false, offlineSince: null, lastOutageMs: null });
        return 'online';
      }
      const wasOffline = entry.offline;
      if (wasOffline) entry.lastOutageMs = Math.max(0, now - entry.lastSeen);
      entry.offline = false;
      entry.offlineSince = null;
      if (now > entry.lastSeen) entry.lastSeen = now;
      return wasOffline ? 'back_online' : 'online';
    },
    tick(now: number): string[] {
      const gone: string[] = [];
      for (const [machine, entry] of machines) {
        if (!entry.offline && now - entry.lastSeen >= after) {
          entry.offline = true;
          entry.offlineSince = now;
          gone.push(machine);
        }
      }
      return gone.sort();
    },
    status(machine: string): MachineLiveness {
      const entry = machines.get(machine);
      if (!entry) return { state: 'unknown', lastSeen: null, offlineSince: null, lastOutageMs: null };
      return {
        state: entry.offline ? 'offline' : 'online',
        lastSeen: entry.lastSeen,
        offlineSince: entry.offlineSince,
        lastOutageMs: entry.lastOutageMs,
      };
    },
    seed(machine: string, lastSeen: number, now: number): void {
      const silent = now - lastSeen >= after;
      machines.set(machine, {
        lastSeen,
        offline: silent,
        offlineSince: silent ? now : null,
        lastOutageMs: null,
      });
    },
    forget(machine: string): void {
      machines.delete(machine);
    },
  };
}
