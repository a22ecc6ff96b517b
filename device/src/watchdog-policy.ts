// Watchdogs: the chip's hardware watchdog (enabled and kicked from a timer) and an application
// liveness check that reboots the unit when its own loop or the network stack looks stuck,
// but ONLY while both relays are off; while a relay is on it asks for a warning instead.
import type { Clock, TimerId, Timers, Watchdog } from './hal.js';

/** Hardware watchdog period: longer than the worst blocking call (flash compaction, a TCP connect). */
export const HW_WATCHDOG_S = 30;
export const CHECK_EVERY_MS = 1000;

export interface LivenessLimits {
  /** The unit's loop has not completed a tick for this long. */
  loopStuckMs: number;
  /** The network stack has not answered at all (no response, error or refusal) for this long… */
  netStuckMs: number;
  /** …while at least this many requests in a row ran into their deadline. */
  netTimeouts: number;
  /** The Wi-Fi link has been down this long. */
  linkDownMs: number;
}

export const DEFAULT_LIMITS: LivenessLimits = {
  loopStuckMs: 30000,
  netStuckMs: 10 * 60000,
  netTimeouts: 3,
  linkDownMs: 15 * 60000,
};

/** What the check looks at, sampled each second. */
export interface LivenessProbe {
  lastLoop: number;
  lastNetAnswer: number;
  timeoutsInRow: number;
  /** Clock time since when the link is down, or -1 while it is up. */
  linkDownSince: number;
  relayOn: boolean;
  secondRelayOn: boolean;
}

export type Verdict = { action: 'ok' } | { action: 'reboot'; reason: string } | { action: 'warn'; reason: string };

/** The pure rule: which part is stuck, and whether a reboot is allowed now. */
export function judge(now: number, p: LivenessProbe, limits: LivenessLimits): Verdict {
  let reason = '';
  if (now - p.lastLoop > limits.loopStuckMs) reason = 'loop stuck';
  else if (now - p.lastNetAnswer > limits.netStuckMs && p.timeoutsInRow >= limits.netTimeouts) reason = 'network stuck';
  else if (p.linkDownSince >= 0 && now - p.linkDownSince > limits.linkDownMs) reason = 'wifi down';
  if (!reason) return { action: 'ok' };
  if (p.relayOn || p.secondRelayOn) return { action: 'warn', reason: reason };
  return { action: 'reboot', reason: reason };
}

export interface WatchdogPolicyOptions {
  watchdog: Watchdog;
  timers: Timers;
  clock: Clock;
  limits: LivenessLimits;
  probe: () => LivenessProbe;
  /** Called with the reason while a relay keeps the unit from rebooting; '' when all is well again. */
  onWarn: (reason: string) => void;
  /** Last words (log an event) before the reboot. */
  beforeReboot: (reason: string) => void;
  reboot: () => void;
}

export class WatchdogPolicy {
  private options: WatchdogPolicyOptions;
  private timer: TimerId | null = null;
  private warning = '';
  private rebooting = false;

  constructor(opts: WatchdogPolicyOptions) {
    this.options = opts;
  }

  start(): void {
    this.stop();
    this.options.watchdog.enable(HW_WATCHDOG_S);
    this.options.watchdog.kick();
    this.timer = this.options.timers.setInterval(() => {
      this.check();
    }, CHECK_EVERY_MS);
  }

  stop(): void {
    if (this.timer !== null) this.options.timers.clearInterval(this.timer);
    this.timer = null;
  }

  /** One check: kick the hardware watchdog, then judge the application's liveness. */
  check(): Verdict {
    this.options.watchdog.kick();
    const v = judge(this.options.clock.now(), this.options.probe(), this.options.limits);
    if (v.action === 'warn') {
      if (this.warning !== v.reason) {
        this.warning = v.reason;
        this.options.onWarn(v.reason);
      }
    } else if (this.warning) {
      this.warning = '';
      this.options.onWarn('');
    }
    if (v.action === 'reboot' && !this.rebooting) {
      this.rebooting = true;
      this.stop();
      this.options.beforeReboot(v.reason);
      this.options.reboot();
    }
    return v;
  }
}
