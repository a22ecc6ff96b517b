// dm_mac's POST /api/machine/update: a legacy ESPHome unit's state report, decided by the
// shared state machine (applyLegacyUpdate); heartbeats that change nothing take the lean path and
// are answered from the machine's last quiet decision.
import type { FastifyInstance } from 'fastify';
import { applyLegacyUpdate, canonicalFob, type MachineConfig, type MachineState, type Outputs } from '@fobgate/shared';
import type { AppServices } from '../services.js';
import { errors } from '../errors.js';
import { LeanJsonRoute } from '../lean-json-route.js';
import { sameJson } from '../same-json.js';
import type { MachineRecord } from '../store.js';
import { errorResponses } from './schemas.js';
import { LEGACY_CONFIG, LEGACY_TAGS } from './legacy-common.js';

interface UpdateBody {
  machine_name: string;
  oops?: boolean;
  rfid_value?: string | null;
  uptime?: number | null;
  wifi_signal_db?: number | null;
  wifi_signal_percent?: number | null;
  internal_temperature_c?: number | null;
  amps?: number | null;
  second_relay_state?: boolean | null;
}

const nullableNumber = { type: ['number', 'null'] } as const;

const updateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['machine_name'],
  properties: {
    machine_name: { type: 'string', minLength: 1, maxLength: 64, description: 'Exact machine name' },
    oops: { type: 'boolean', description: 'Oops button pressed now' },
    rfid_value: { type: ['string', 'null'], maxLength: 32, description: 'Card in the reader; "" or null: none' },
    uptime: { type: ['number', 'null'], minimum: 0, description: 'Seconds since the unit booted' },
    wifi_signal_db: nullableNumber,
    wifi_signal_percent: nullableNumber,
    internal_temperature_c: nullableNumber,
    amps: nullableNumber,
    second_relay_state: { type: ['boolean', 'null'] },
  },
} as const;

/** What a dm_mac unit is told to show (updateResponse). */
interface UpdateAnswer {
  relay: boolean;
  display: string;
  oops_led: boolean;
  status_led_rgb: number[];
  status_led_brightness: number;
  second_relay: boolean;
}

const updateResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['relay', 'display', 'oops_led', 'status_led_rgb', 'status_led_brightness', 'second_relay'],
  properties: {
    relay: { type: 'boolean' },
    display: { type: 'string' },
    oops_led: { type: 'boolean' },
    status_led_rgb: { type: 'array', items: { type: 'number' }, minItems: 3, maxItems: 3 },
    status_led_brightness: { type: 'number' },
    second_relay: { type: 'boolean' },
  },
} as const;

const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The card an ESPHome unit reports, as dm_mac reads it: "" or null is no card; digits are
 * left-padded with 0 to 10 (ESPHome strips leading zeros). A code of more than 10 digits is kept
 * as it is, a card no member holds (users.json codes have at most 10). Anything but digits is
 * no card reader's output: a 400.
 */
function legacyRfid(raw: string | null | undefined): string | null {
  if (typeof raw !== 'string' || raw === '') return null;
  if (!/^[0-9]+$/.test(raw)) throw errors.badRequest(`body/rfid_value: fob code ${JSON.stringify(raw)} must contain only digits 0-9`);
  if (raw.length > 10) return raw;
  const c = canonicalFob(raw);
  if (!c.ok) throw errors.badRequest(`body/rfid_value: ${c.error.message}`);
  return c.value;
}


/** Telemetry sent as null (or left out) keeps the value last reported, as dm_mac does. */
function recordTelemetry(rec: MachineRecord, body: UpdateBody): void {
  const t = rec.telemetry;
  t.wifi_signal_db = num(body.wifi_signal_db) ?? t.wifi_signal_db;
  t.wifi_signal_percent = num(body.wifi_signal_percent) ?? t.wifi_signal_percent;
  t.internal_temperature_c = num(body.internal_temperature_c) ?? t.internal_temperature_c;
  t.amps = num(body.amps) ?? t.amps;
  if (typeof body.second_relay_state === 'boolean') rec.second_relay_reported = body.second_relay_state;
}

/** What the unit is told: the outputs, in dm_mac's answer. */
function answerOf(o: Outputs): UpdateAnswer {
  return {
    relay: o.relay,
    display: o.display,
    oops_led: o.oops_led,
    status_led_rgb: o.status_led_rgb,
    status_led_brightness: o.status_led_brightness,
    second_relay: o.second_relay,
  };
}

/** A legacy update's decision: state kept across updates (button, quiet answers) per app. */
function legacyUpdater(services: AppServices): (body: UpdateBody) => { answer: UpdateAnswer; machine: MachineConfig; save: boolean } {
  const { core, clock } = services;
  /** Each legacy unit's button as its last update reported it (a held button is no new press). */
  const buttonDown = new Map<string, boolean>();
  /**
   * Each machine's last quiet update (no button, the same card, no reboot) that decided nothing:
   * no log, the same state. The same quiet update on that very state (never mutated: a decision
   * always stores a new object) and machine config decides the same again (decide is pure, and
   * `now` only reaches log lines), so a heartbeat answers it without deciding anew.
   */
  const quiet = new Map<string, { state: MachineState; machine: MachineConfig; outputs: Outputs; answer: UpdateAnswer }>();

  /**
   * One dm_mac update: the answer, and whether the change must be durable before it is sent
   * (a heartbeat that changes nothing is kept in memory and written with the next real change).
   */
  return (body: UpdateBody): { answer: UpdateAnswer; machine: MachineConfig; save: boolean } => {
    const m = core.machineOr404(body.machine_name);
    if (!m.legacy_updates) throw errors.legacyDisabled(m.name);
    // Once a fobgate unit is registered, only its signed syncs speak for the machine: an unsigned
    // update could otherwise fake an oops (Slack to everyone), logins and the fleet view.
    if (core.store.unit(m.name)) throw errors.legacyUnitRegistered(m.name);
    const rfid = legacyRfid(body.rfid_value);
    const now = clock();
    const rec = core.store.ensureMachine(m.name);
    core.checkin(m, now);
    let meaningful = false;
    if (rec.kind === 'none') {
      rec.kind = 'legacy';
      meaningful = true;
    }
    recordTelemetry(rec, body);
    const uptime = num(body.uptime);
    const before = rec.state;
    const pressed = body.oops === true;
    // A press is new when the previous update had the button up; unknown (first update since
    // the server started) counts as new unless the machine is oopsed already.
    const wasDown = buttonDown.has(m.name) ? buttonDown.get(m.name) === true : rec.state.oopsed;
    buttonDown.set(m.name, pressed);
    const isQuiet = !meaningful && !pressed && rfid === before.rfid && !(uptime !== null && typeof rec.uptime_s === 'number' && uptime < rec.uptime_s);
    const known = isQuiet ? quiet.get(m.name) : undefined;
    if (known !== undefined && known.state === before && known.machine === m) {
      rec.outputs = known.outputs;
      if (uptime !== null) rec.uptime_s = uptime;
      core.store.markDirty(m.name);
      return { answer: known.answer, machine: m, save: false };
    }
    const d = applyLegacyUpdate(
      m,
      rec.state,
      { oops: pressed, rfid, uptime: uptime ?? 0, prev_uptime: uptime === null ? null : rec.uptime_s, fresh_press: pressed && !wasDown },
      core.lookupFor(m),
      { now },
    );
    const unchanged = d.log.length === 0 && sameJson(d.state, before);
    // an update that changed nothing keeps the state object (the quiet answer is tied to it)
    rec.state = unchanged ? before : d.state;
    rec.outputs = d.outputs;
    if (uptime !== null) rec.uptime_s = uptime;
    // A logout names the member as users.json names them now (a reload during the session may
    // have renamed them), as dm_mac does; a member no longer listed keeps the name they had.
    for (const e of d.log) {
      if (e.type !== 'session_end' || !e.account_id) continue;
      // by index: a scan of the users list per logout grew with the membership
      const member = core.userForAccount(e.account_id);
      if (member) e.full_name = member.full_name;
    }
    // last_update: only an update that changed something (oops press, card in/out, config reset)
    if (d.touched) rec.last_update = now;
    if (!unchanged) meaningful = true;
    if (meaningful) core.recordLog(m, d.log, 'legacy', null);
    else core.store.markDirty(m.name);
    if (isQuiet && unchanged && !d.touched) {
      // frozen: the lean path keeps the text of an answer it will give again
      const answer = Object.freeze({ ...answerOf(d.outputs), status_led_rgb: Object.freeze(d.outputs.status_led_rgb.slice()) as number[] });
      quiet.set(m.name, { state: before, machine: m, outputs: d.outputs, answer });
      return { answer, machine: m, save: meaningful };
    }
    quiet.delete(m.name);
    return { answer: answerOf(d.outputs), machine: m, save: meaningful };
  };
}

export function legacyUpdateRoute(app: FastifyInstance, services: AppServices): void {
  const { core } = services;
  const applyUpdate = legacyUpdater(services);

  /** The update's answer once its change (if any) is durable within the budget. */
  const update = (body: UpdateBody, receivedAt: number | undefined): UpdateAnswer | Promise<UpdateAnswer> => {
    const r = applyUpdate(body);
    if (!r.save) {
      core.feed.touch(r.machine.name);
      return r.answer;
    }
    return core.persist(r.machine, false, receivedAt).then(() => {
      core.feed.touch(r.machine.name);
      return r.answer;
    });
  };

  // Heartbeats are the server's most common request: they take the lean path, ahead of fastify
  // (see lean-json-route.ts and front-door.ts); the handler below answers whatever it hands on.
  const lean = new LeanJsonRoute<UpdateBody>(app.initialConfig.bodyLimit ?? 1024 * 1024, update);
  app.post<{ Body: UpdateBody }>(
    '/api/machine/update',
    {
      config: { ...LEGACY_CONFIG, lean: lean as LeanJsonRoute<unknown> },
      schema: {
        tags: LEGACY_TAGS,
        summary: 'State report from a dm_mac/ESPHome unit; answers what the unit must show',
        body: updateBody,
        response: { 200: updateResponse, ...errorResponses(403, 404, 503) },
      },
      onRequest: lean.hook,
    },
    async (request) => update(request.body, request.receivedAt),
  );
}
