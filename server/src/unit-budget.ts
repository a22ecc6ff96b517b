// What one unit may send: a token bucket per unit for requests, bytes and events (a burst, then a
// steady rate per minute), plus a server-wide cap on events waiting for the disk. A unit over a
// budget gets 429 with retry_after_s (and Retry-After): RATE_LIMITED for requests/bytes (it sends
// nothing before then), EVENTS_RATE_LIMITED for events (it keeps them and syncs without them).
// One valid unit key therefore cannot flood the event log, the server's memory or the other units'
// share of the server. Refusals are counted per machine and reason, audited and alerted (at most
// once per machine per ALERT_INTERVAL_MS). Honest firmware stays far below every budget: it sends
// 10 events per sync and drains its 200-event buffer in about 20 requests.
import type { FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { MachineConfig } from '@fobgate/shared';
import type { Core } from './core-services.js';
import { serverEvent } from './audit-records.js';
import { errors } from './errors.js';
import { unitOverBudgetText } from './slack-messages.js';

export interface UnitLimits {
  /** Requests per minute (steady) and in a burst. */
  requestsPerMin: number;
  requestBurst: number;
  /** Request body bytes per minute and in a burst. */
  bytesPerMin: number;
  byteBurst: number;
  /** New events per minute and in a burst. */
  eventsPerMin: number;
  eventBurst: number;
  /** New events are refused (from every unit) while this many wait to be written. */
  maxPendingEvents: number;
}

export const DEFAULT_UNIT_LIMITS: UnitLimits = {
  requestsPerMin: 60,
  requestBurst: 60,
  bytesPerMin: 64 * 1024,
  byteBurst: 256 * 1024,
  eventsPerMin: 60,
  eventBurst: 400,
  maxPendingEvents: 20_000,
};

export const ALERT_INTERVAL_MS = 10 * 60_000;

type Reason = 'requests' | 'bytes' | 'events' | 'backlog';

/** A token bucket: `burst` tokens, refilled at `perMin` a minute. */
class Bucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly perMin: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    if (now > this.at) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perMin) / 60_000);
    this.at = Math.max(this.at, now);
  }

  /** 0 when `n` tokens are there (not taken yet), else the seconds until they will be. */
  wait(n: number, now: number): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (this.perMin <= 0) return 3600;
    return Math.max(1, Math.ceil(((Math.min(n, this.burst) - this.tokens) * 60) / this.perMin));
  }

  take(n: number): void {
    this.tokens -= n;
  }
}

interface Buckets {
  requests: Bucket;
  bytes: Bucket;
  events: Bucket;
}

export class UnitBudget {
  readonly limits: UnitLimits;
  private readonly core: Core;
  private readonly clock: () => number;
  private readonly byMachine = new Map<string, Buckets>();
  private readonly alertedAt = new Map<string, number>();
  private readonly refused: Counter<'machine_name' | 'reason'>;

  constructor(core: Core, registry: Registry, limits: Partial<UnitLimits> = {}) {
    this.core = core;
    this.clock = core.clock;
    this.limits = { ...DEFAULT_UNIT_LIMITS, ...limits };
    this.refused = new Counter({
      name: 'fobgate_unit_requests_refused_total',
      help: 'Unit requests refused with 429 because the unit was over a budget (requests, bytes, events) or the event store was behind (backlog)',
      labelNames: ['machine_name', 'reason'] as const,
      registers: [registry],
    });
  }

  private buckets(machine: string, now: number): Buckets {
    let b = this.byMachine.get(machine);
    if (!b) {
      const l = this.limits;
      b = {
        requests: new Bucket(l.requestsPerMin, l.requestBurst, now),
        bytes: new Bucket(l.bytesPerMin, l.byteBurst, now),
        events: new Bucket(l.eventsPerMin, l.eventBurst, now),
      };
      this.byMachine.set(machine, b);
    }
    return b;
  }

  /**
   * A route's preValidation, after the signature check: a signed request whose counter is above
   * the last one accepted (a replay costs the unit nothing) is charged as one request of its raw
   * size, or refused with 429 before its body is validated, so a flood costs the server as little
   * as possible. The counter itself is taken by the route.
   */
  precheck(): (request: FastifyRequest) => Promise<void> {
    return async (request: FastifyRequest) => {
      const body = request.body as { machine?: unknown; counter?: unknown } | null;
      if (body === null || typeof body !== 'object' || typeof body.machine !== 'string' || typeof body.counter !== 'number') return;
      const m = this.core.machine(body.machine);
      const unit = m ? this.core.store.unit(m.name) : null;
      if (!m || !unit || !(body.counter > unit.counter)) return;
      this.request(m, request.rawBody ? request.rawBody.length : 0, this.clock());
    };
  }

  /** Charges one request of `bytes` to the unit of `m`, or throws 429 RATE_LIMITED. */
  request(m: MachineConfig, bytes: number, now: number): void {
    const b = this.buckets(m.name, now);
    const waitReq = b.requests.wait(1, now);
    const waitBytes = b.bytes.wait(bytes, now);
    if (waitReq > 0 || waitBytes > 0) {
      const reason: Reason = waitReq >= waitBytes ? 'requests' : 'bytes';
      const wait = Math.max(waitReq, waitBytes);
      const l = this.limits;
      const what = reason === 'requests' ? `${l.requestsPerMin} requests a minute` : `${Math.round(l.bytesPerMin / 1024)} KiB a minute`;
      this.refuse(m, reason, now, wait);
      throw errors.rateLimited(`unit of ${m.name} sends more than its budget of ${what}: send nothing for ${wait} s`, wait);
    }
    b.requests.take(1);
    b.bytes.take(bytes);
  }

  /** Charges `n` new events, or throws 429 EVENTS_RATE_LIMITED (over budget, or the store is behind). */
  events(m: MachineConfig, n: number, now: number): void {
    if (n <= 0) return;
    const pending = this.core.events.pendingCount;
    if (pending >= this.limits.maxPendingEvents) {
      const wait = 30;
      this.refuse(m, 'backlog', now, wait);
      throw errors.eventsRateLimited(
        `the server's event store is behind (${pending} events waiting for the disk): keep these events and sync without them for ${wait} s`,
        wait,
      );
    }
    const b = this.buckets(m.name, now);
    const wait = b.events.wait(n, now);
    if (wait > 0) {
      this.refuse(m, 'events', now, wait);
      throw errors.eventsRateLimited(
        `unit of ${m.name} sends more events than its budget of ${this.limits.eventsPerMin} a minute: keep them and sync without them for ${wait} s`,
        wait,
      );
    }
    b.events.take(n);
  }

  private refuse(m: MachineConfig, reason: Reason, now: number, waitS: number): void {
    this.refused.inc({ machine_name: m.name, reason });
    if (reason === 'backlog') return; // the server's own trouble: the save-timeout alerts cover it
    const last = this.alertedAt.get(m.name);
    if (last !== undefined && now - last < ALERT_INTERVAL_MS) return;
    this.alertedAt.set(m.name, now);
    const detail = `unit over its ${reason} budget: requests refused with 429 for ${waitS} s (alerted at most every ${ALERT_INTERVAL_MS / 60_000} min)`;
    this.core.storeEvent(serverEvent(m.name, now, 'unit_over_budget', detail));
    this.core.notifier.notify('control', unitOverBudgetText(m.display_name, reason), 'urgent');
  }
}
