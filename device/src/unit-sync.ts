// The unit's side of the sync: the sync client and list updates wired to it, what each request
// says (state, telemetry, events), and what a verified answer brings (the time, acknowledged
// events, a list update, admin commands, a new interval) or a failure reports.
import { SyncClient, SYNC_DEADLINE_MS } from './sync-client.js';
import type { SyncBody } from './sync-client.js';
import type { SyncError } from './sync-errors.js';
import { ListUpdates } from './list-updates.js';
import { FW_VERSION } from './version.js';
import { applyCommand } from './admin-commands.js';
import { decideNow } from './unit-taps.js';
import { stampEvent, withWallTime } from './unit-events.js';
import type { UnitContext } from './unit-context.js';
import type { SyncResponse } from '@fobgate/shared';

/** An outage at least this long (by the unit's count or the server's clock) is reported when it ends. */
export const OUTAGE_REPORT_MS = 5 * 60000;
/** Events sent per request. */
export const EVENTS_PER_SYNC = 10;

/** The interpreter's global atob (also Node's), or a stand-in that says it is missing. */
function atobOf(): (b64: string) => string {
  const g = typeof atob === 'function' ? atob : null;
  return (b64) => {
    if (!g) throw { code: 'NO_BASE64', message: 'no atob on this platform' };
    return g(b64);
  };
}

function intOrNull(n: number | null): number | null {
  return typeof n === 'number' && n === n ? Math.round(n) : null;
}

/** The sync client of the unit: its requests, answers and failures go to the functions below. */
export function unitSyncClient(u: UnitContext, hmac: (key: string, msg: string) => string): SyncClient {
  const hal = u.hal;
  const cfg = u.cfg;
  return new SyncClient({
    http: hal.http || (() => {
      throw { code: 'HTTP_ERROR', message: 'no http module' };
    }),
    timers: hal.timers,
    clock: hal.clock,
    server: cfg.server,
    key: cfg.key,
    hmac: hmac,
    counter: u.counter,
    random: u.options.random,
    intervalMs: cfg.sync_interval_s * 1000,
    deadlineMs: SYNC_DEADLINE_MS,
    build: () => syncBody(u),
    onResponse: (res) => {
      synced(u, res);
    },
    onFailure: (e) => {
      syncFailed(u, e);
    },
    // a failing server is not contacted while a machine runs (a blocking connect would delay
    // fob removal and oops); events wait in the ring and go as soon as the relays are off
    hold: () => u.relay.isOn() || (u.second !== null && u.second.isOn()),
    // one RAM-hungry thing at a time: no sync while a new list is checked from flash
    defer: () => u.lists.checking(),
  });
}

/** List updates from sync answers, received into the unit's list store. */
export function unitListUpdates(u: UnitContext): ListUpdates {
  const opts = u.options;
  return new ListUpdates({
    lists: u.lists,
    sync: u.sync,
    machine: u.cfg.machine,
    atob: opts.atob || atobOf(),
    freeVars: opts.freeVars,
    collect: opts.collect,
    event: (ev) => {
      u.event(ev);
    },
    applied: () => {
      decideNow(u, { type: 'config_changed' }, null);
    },
    log: opts.log,
  });
}

function syncBody(u: UnitContext): SyncBody {
  const s = u.state;
  const o = u.outputs;
  return {
    machine: u.cfg.machine,
    fw: FW_VERSION,
    up: Math.max(0, Math.floor(u.hal.clock.now() - u.bootMs)),
    boot_count: u.saved.boot,
    list_version: u.lists.version(),
    list_digest: u.lists.digest(),
    list_inline_max: u.listUpdates.inlineBudget(),
    command_ack: u.saved.command_ack,
    state: {
      relay: u.relay.isOn(),
      second_relay: u.second !== null && u.second.isOn(),
      oopsed: s.oopsed,
      locked_out: s.locked_out,
      rfid: s.rfid,
      session_fob: s.user ? s.user.fob : null,
      session_start: s.session_start !== null && u.wallOffset ? Math.floor(s.session_start + u.wallOffset) : 0,
      look: s.look,
      display: o ? o.display : '',
    },
    telemetry: {
      wifi_signal_db: u.options.network.signalDb(),
      free_vars: intOrNull(u.options.freeVars()),
      temp_c10: null,
    },
    // A request the server refused as malformed may hold an event it cannot take: the next
    // request goes without events so lists and commands keep flowing; the one after retries.
    // The server may also refuse events for a while (429): they wait in the ring, nothing is lost.
    events: u.withholdEvents || u.sync.eventsHeld() ? [] : withWallTime(u, u.ring.peek(EVENTS_PER_SYNC)),
    dropped_events: u.ring.droppedTotal(),
  };
}

function synced(u: UnitContext, res: SyncResponse): void {
  const now = u.hal.clock.now();
  u.withholdEvents = false;
  // epoch ms after 2001 only: a wrong clock must not put negative times on the wire
  if (res.time > 1000000000000) u.wallOffset = res.time - now;
  u.lastFailure = '';
  if (typeof res.sync_interval_s === 'number' && res.sync_interval_s >= 1) u.syncIntervalMs = res.sync_interval_s * 1000;
  const outage = u.freshness.synced(res.time > 1000000000000 ? res.time : 0, u.graceMs(), u.syncIntervalMs);
  if (outage && (outage.countedMs >= OUTAGE_REPORT_MS || outage.wallMs >= OUTAGE_REPORT_MS)) {
    const mins = (ms: number) => Math.round(ms / 60000) + ' min';
    u.event({ type: 'error', at: 0, up: 0, reason: 'offline', detail: 'offline for ' + mins(outage.countedMs) + ' of running time' + (outage.wallMs >= 0 ? ', ' + mins(outage.wallMs) + ' by the server clock (time without power is not counted)' : '') });
  }
  const before = u.ring.pending();
  u.ring.ack(res.ack_seq, (ev) => stampEvent(u, ev));
  if (res.list) u.listUpdates.handle(res.list);
  const cmds = res.commands || [];
  for (const c of cmds) applyCommand(u, c);
  if (typeof res.sync_interval_s === 'number') u.sync.setInterval(res.sync_interval_s * 1000);
  // More events than one request carries: keep going while the server keeps acknowledging.
  if (u.ring.pending() > 0 && u.ring.pending() < before) u.sync.trigger();
}

/** A bad answer is worth an event (once per streak of the same failure); an outage is not. */
function syncFailed(u: UnitContext, e: SyncError): void {
  u.withholdEvents = e.status === 400 && !u.withholdEvents;
  if (e.code === u.lastFailure) return;
  u.lastFailure = e.code;
  if (e.code === 'SYNC_SIGNATURE' || e.code === 'SYNC_COUNTER' || e.code === 'SYNC_MALFORMED' || e.code === 'SYNC_REPLAYED' || e.code === 'SYNC_RATE_LIMITED') {
    u.event({ type: 'error', at: 0, up: 0, reason: e.code, detail: e.message });
  }
  u.options.log('fobgate: sync failed: ' + e.message);
}
