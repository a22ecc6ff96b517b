// POST /api/v1/sync: a fobgate unit reports state, telemetry and buffered events (HMAC over the
// raw body with its own key, strictly increasing counter) and gets back, signed, its list update
// (delta or full), pending commands, the acknowledged event seq and the server time.
import type { FastifyInstance } from 'fastify';
import {
  LOCKOUT_PENDING_PREFIX,
  SIGNATURE_HEADER,
  SYNC_BODY_MAX,
  SYNC_INTERVAL_S,
  SYNC_PATH,
  SyncRequestSchema,
  isLook,
  outputsOf,
  type DecisionMachine,
  type LogEvent,
  type Look,
  type MachineConfig,
  type MachineState,
  type Subject,
  type SyncRequest,
  type SyncResponse,
  type UnitStateReport,
} from '@fobgate/shared';
import type { AppServices } from '../services.js';
import type { Core } from '../core-services.js';
import type { MachineRecord, UnitRecord } from '../store.js';
import { storedFromLog } from '../audit-records.js';
import { sameJson } from '../same-json.js';
import { hmacHex } from '../auth.js';
import { requestSignature, takeCounter, unitSignatureCheck } from './unit-auth.js';
import { eventTime, housekeepingEvent, logEventOf } from '../unit-events.js';
import { errorResponses } from './schemas.js';

/** JSON with every non-ASCII character escaped, so Node bytes equal the unit's 8-bit string. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function touchesMachine(e: LogEvent): boolean {
  return (
    e.type === 'session_start' ||
    (e.type === 'session_end' && e.reason === 'removed') ||
    e.type === 'denied' ||
    (e.type === 'oops' && e.source === 'button')
  );
}

function unknownSubject(fob: string): Subject {
  return { fob, account_id: '', name: '', full_name: 'unknown member', main: false, second: false, override: false, expired: false };
}

/**
 * Whether a lockout waits for the running session to end at the unit: the unit reports no flag for
 * it, so it is read from the unit's own events of this sync (a pending lockout, an unlock) and its
 * LCD ("Lockout pending"); it ends with the session or when the lockout takes effect.
 */
function lockoutPending(prev: boolean, r: UnitStateReport, logs: LogEvent[]): boolean {
  let pending = prev;
  for (const e of logs) {
    if (e.type === 'locked_out') pending = e.pending;
    else if (e.type === 'unlocked') pending = false;
  }
  if (r.display.startsWith(LOCKOUT_PENDING_PREFIX)) pending = true;
  return pending && !r.locked_out && r.session_fob !== null;
}

/** The unit's reported state as the server's mirror of it (the unit decided; we only record). */
function mirrorState(core: Core, m: MachineConfig, prev: MachineState, r: UnitStateReport, now: number, logs: LogEvent[]): MachineState {
  const look: Look = isLook(r.look) ? r.look : prev.look;
  const user = r.session_fob !== null ? (core.subject(m, r.session_fob) ?? unknownSubject(r.session_fob)) : null;
  const sameSession = user !== null && prev.user !== null && prev.user.fob === user.fob;
  // an always-on machine's card holder (the known-user metric follows them, as for legacy units)
  const holder = user === null && look === 'always_on' && r.relay && r.rfid !== null ? core.subject(m, r.rfid) : null;
  return {
    oopsed: r.oopsed,
    locked_out: r.locked_out,
    lockout_pending: lockoutPending(prev.lockout_pending, r, logs),
    rfid: r.rfid,
    rfid_since: r.rfid === prev.rfid ? prev.rfid_since : r.rfid !== null ? now : null,
    user,
    holder,
    override: look === 'override',
    session_start: user === null ? null : r.session_start > 0 ? r.session_start : sameSession ? prev.session_start : now,
    relay: r.relay,
    second_relay: r.second_relay,
    second_mode: r.second_relay ? (prev.second_mode === 'off' ? 'granted' : prev.second_mode) : 'off',
    look,
    look_name: user ? user.name : '',
  };
}

/** The unit's kind, firmware and the list it holds, as it reports them; true when one changed. */
function recordUnitFacts(rec: MachineRecord, req: SyncRequest): boolean {
  let changed = false;
  if (rec.kind !== 'fobgate') {
    rec.kind = 'fobgate';
    changed = true;
  }
  if (rec.firmware !== req.fw || rec.boot_count !== req.boot_count) {
    rec.firmware = req.fw;
    rec.boot_count = req.boot_count;
    changed = true;
  }
  if (rec.list_version_held !== req.list_version || rec.list_digest_held !== req.list_digest) {
    rec.list_version_held = req.list_version;
    rec.list_digest_held = req.list_digest;
    changed = true;
  }
  return changed;
}

/** Uptime and telemetry (written with the next real change, never on their own). */
function recordTelemetry(rec: MachineRecord, req: SyncRequest): void {
  rec.uptime_s = req.up / 1000;
  rec.telemetry.wifi_signal_db = req.telemetry.wifi_signal_db;
  rec.telemetry.free_vars = req.telemetry.free_vars;
  rec.telemetry.internal_temperature_c = req.telemetry.temp_c10 === null ? null : req.telemetry.temp_c10 / 10;
}

/**
 * Stores the unit's events not stored yet, in seq order (the decisions' log events in `logs`, for
 * Slack and the mirror); true when any was stored.
 */
function storeUnitEvents(core: Core, m: MachineConfig, unit: UnitRecord, rec: MachineRecord, req: SyncRequest, now: number, logs: LogEvent[]): boolean {
  let stored = false;
  const events = req.events.slice().sort((a, b) => a.seq - b.seq);
  for (const ev of events) {
    if (ev.seq <= unit.last_seq) continue;
    const at = eventTime(ev, req.up, now);
    const member = ev.fob ? core.userForFob(ev.fob) : null;
    const log = logEventOf(ev, at, member);
    // the unit does not say whether the session it ended was an override: the mirror knows
    if (log && log.type === 'session_end' && rec.state.override && rec.state.user !== null && rec.state.user.fob === log.fob) {
      log.override = true;
    }
    if (log) {
      core.storeEvent(storedFromLog(m.name, log, 'unit', ev.seq));
      logs.push(log);
    } else {
      core.storeEvent(housekeepingEvent(m.name, ev, at));
    }
    unit.last_seq = ev.seq;
    stored = true;
  }
  return stored;
}

/** The unit's reported state and outputs become the server's mirror; true when the state changed. */
function mirrorReport(core: Core, m: MachineConfig, rec: MachineRecord, r: UnitStateReport, now: number, logs: LogEvent[]): boolean {
  const before = rec.state;
  rec.state = mirrorState(core, m, rec.state, r, now, logs);
  const base = outputsOf(m as DecisionMachine, rec.state);
  rec.outputs = {
    relay: r.relay,
    second_relay: r.second_relay,
    display: r.display,
    oops_led: r.oopsed,
    status_led_rgb: base.status_led_rgb,
    status_led_brightness: base.status_led_brightness,
  };
  return !sameJson(rec.state, before);
}

export async function syncRoutes(app: FastifyInstance, opts: { services: AppServices }): Promise<void> {
  const { core, lists, listGuard, drops, budget, deps, clock } = opts.services;
  const syncInterval = deps.syncIntervalS ?? SYNC_INTERVAL_S;

  app.post<{ Body: SyncRequest }>(
    SYNC_PATH,
    {
      schema: {
        tags: ['fobgate units'],
        summary: 'Unit sync (HMAC-SHA256 of the raw body in x-fobgate-signature; answer signed the same way)',
        body: SyncRequestSchema,
        response: errorResponses(401, 404, 409, 413, 429, 503),
      },
      // A sync carries at most MAX_EVENTS_PER_SYNC short events: ~3 KB from real firmware.
      bodyLimit: SYNC_BODY_MAX,
      preValidation: [unitSignatureCheck(core), budget.precheck()],
    },
    async (request, reply) => {
      const started = process.hrtime.bigint();
      const req = request.body;
      const m = core.machineOr404(req.machine);
      const unit = takeCounter(core, m, req.counter, request, reply);
      if (!unit) return reply;
      const now = clock();
      core.checkin(m, now);
      // What one unit may send (the request itself was charged before validation): refused
      // (429) before anything is stored.
      let fresh = 0;
      for (const ev of req.events) if (ev.seq > unit.last_seq) fresh++;
      budget.events(m, fresh, now);
      const rec = core.store.ensureMachine(m.name);
      const data = core.store.data;
      let meaningful = recordUnitFacts(rec, req);
      // What the unit holds is checked against what this server issued, never adopted.
      if (listGuard.check(m, req.list_version, req.list_digest, () => lists.current(m).digest, now) === 'recovered') meaningful = true;
      recordTelemetry(rec, req);

      const logs: LogEvent[] = [];
      if (storeUnitEvents(core, m, unit, rec, req, now, logs)) meaningful = true;
      if (drops.report(m, unit, req.dropped_events, now)) meaningful = true;
      core.announce(m, logs);
      const pending = unit.commands.filter((c) => c.id > req.command_ack);
      if (pending.length !== unit.commands.length) {
        unit.commands = pending;
        meaningful = true;
      }

      const rfidBefore = rec.state.rfid;
      if (mirrorReport(core, m, rec, req.state, now, logs)) meaningful = true;

      // last_update moves when something happened at the machine (dm_mac's sense): the card in the
      // reader changed, the oops button was pressed, a session started or a card ended one.
      if (rec.state.rfid !== rfidBefore || logs.some(touchesMachine)) rec.last_update = now;
      // ack_seq promises the events are stored: make sure nothing earlier is still only in memory.
      if (meaningful || core.store.unsaved(m.name) || core.store.unsaved() || core.events.pendingCount > 0) {
        await core.persist(m, false, request.receivedAt);
      }

      const response: SyncResponse = {
        counter: req.counter,
        answers: requestSignature(request),
        time: clock(),
        ack_seq: unit.last_seq,
        latest_list_version: data.list_version,
        list: lists.updateFor(m, req.list_version, req.list_digest, unit.key, req.list_inline_max ?? 0),
        commands: unit.commands.map((c) => ({ id: c.id, type: c.type, cut: c.cut, by: c.by })),
        sync_interval_s: syncInterval,
      };
      core.feed.touch(m.name);
      const text = asciiJson(response);
      core.metrics.syncDuration(Number(process.hrtime.bigint() - started) / 1e9);
      void reply.code(200).header(SIGNATURE_HEADER, hmacHex(unit.key, text)).type('application/json');
      return reply.send(text);
    },
  );
}
