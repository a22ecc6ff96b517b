// Save-timeout bookkeeping (pure, clock passed in): lifetime count per machine, a one-time alert
// when a machine reaches `machineAlertAt` timeouts, and a fleet alert when several distinct
// machines time out within a window, then silence for a cooldown.

export interface TimeoutTrackerOptions {
  /** Fleet window in ms (default 60 000). */
  windowMs?: number;
  /** Distinct machines within the window that raise the fleet alert (default 2). */
  fleetThreshold?: number;
  /** Silence after a fleet alert in ms (default 300 000). */
  cooldownMs?: number;
  /** Lifetime timeouts of one machine that raise its alert, once (default 2). */
  machineAlertAt?: number;
}

export interface TimeoutRecord {
  /** The machine's lifetime timeouts, this one included. */
  count: number;
  /** True exactly once per machine: when its count reaches machineAlertAt. */
  machineAlert: boolean;
  /** Distinct machines that timed out within the window, when the fleet alert fires; else null. */
  fleetAlert: string[] | null;
}

export interface TimeoutTracker {
  /** The effective settings (defaults filled in), e.g. for the fleet alert's text. */
  readonly settings: Required<TimeoutTrackerOptions>;
  record(machine: string, now: number): TimeoutRecord;
  /** Lifetime counts per machine (a copy), for metrics and persistence. */
  counts(): Record<string, number>;
  /** Load persisted counts; invalid entries are ignored. A restored count never re-alerts. */
  restore(counts: Record<string, number>): void;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value === undefined ? fallback : value;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`timeout tracker: ${name} must be a positive number, got ${String(value)}`);
  }
  return v;
}

export function createTimeoutTracker(options: TimeoutTrackerOptions = {}): TimeoutTracker {
  const windowMs = positive('windowMs', options.windowMs, 60_000);
  const fleetThreshold = positive('fleetThreshold', options.fleetThreshold, 2);
  const cooldownMs = positive('cooldownMs', options.cooldownMs, 300_000);
  const machineAlertAt = positive('machineAlertAt', options.machineAlertAt, 2);

  const lifetime = new Map<string, number>();
  /** Latest timeout per machine inside the window. */
  const recent = new Map<string, number>();
  let lastFleetAlert: number | null = null;

  function prune(now: number): void {
    for (const [machine, at] of recent) {
      if (now - at > windowMs) recent.delete(machine);
    }
  }

  return {
    settings: { windowMs, fleetThreshold, cooldownMs, machineAlertAt },
    record(machine: string, now: number): TimeoutRecord {
      const count = (lifetime.get(machine) || 0) + 1;
      lifetime.set(machine, count);
      const machineAlert = count === machineAlertAt;

      recent.set(machine, now);
      prune(now);
      let fleetAlert: string[] | null = null;
      const quiet = lastFleetAlert !== null && now - lastFleetAlert < cooldownMs;
      if (!quiet && recent.size >= fleetThreshold) {
        fleetAlert = Array.from(recent.keys()).sort();
        lastFleetAlert = now;
      }
      return { count, machineAlert, fleetAlert };
    },
    counts(): Record<string, number> {
      const out: Record<string, number> = {};
      for (const [machine, n] of lifetime) out[machine] = n;
      return out;
    },
    restore(counts: Record<string, number>): void {
      if (!counts || typeof counts !== 'object') return;
      for (const machine of Object.keys(counts)) {
        const n = counts[machine];
        if (typeof n === 'number' && Number.isInteger(n) && n >= 0) lifetime.set(machine, n);
      }
    },
  };
}
