// The sync contract's schemas: plain JSON Schema that the server's validator (ajv, configured as
// in server/src/app.ts) applies with the bounds the protocol promises, and nothing of TypeBox in
// what the firmware bundles from @fobgate/shared.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv } from 'ajv';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { ListRequestSchema, MAX_COUNT, MAX_EVENTS_PER_SYNC, SyncRequestSchema, type DeviceEvent, type SyncRequest } from './index.js';

const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, allErrors: false, useDefaults: true, strict: false });
const checkSync = ajv.compile(SyncRequestSchema);
const checkList = ajv.compile(ListRequestSchema);

function body(over: Partial<SyncRequest> = {}): SyncRequest {
  return {
    machine: 'lathe',
    counter: 1,
    fw: 'fobgate 1.0',
    up: 1000,
    boot_count: 1,
    list_version: 0,
    list_digest: '',
    command_ack: 0,
    state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: 'Please Insert\nRFID Card' },
    telemetry: { wifi_signal_db: -60, free_vars: null, temp_c10: 412 },
    events: [],
    dropped_events: 0,
    ...over,
  };
}

function refusal(value: unknown): string {
  assert.is(checkSync(value), false, 'should be refused: ' + JSON.stringify(value).slice(0, 120));
  const e = checkSync.errors![0];
  return `${e.instancePath} ${e.message}`;
}

const event: DeviceEvent = { seq: 1, type: 'session_start', at: 0, up: 5, fob: '0091703745' };

test('a request as the firmware sends it is valid; the schema is plain JSON', () => {
  assert.ok(checkSync(body({ events: [event, { seq: 2, type: 'session_end', at: 1, up: 9, fob: '0091703745', dur: 4 }] })), JSON.stringify(checkSync.errors));
  const json = JSON.parse(JSON.stringify(SyncRequestSchema));
  assert.is(json.additionalProperties, false);
  assert.equal(json.properties.telemetry.properties.wifi_signal_db, { type: ['number', 'null'] });
  assert.ok(json.required.includes('dropped_events') && !json.properties.events.items.required.includes('fob'));
});

test('bounds: counters, fobs, event count, unknown keys', () => {
  assert.is(refusal(body({ counter: 0 })), '/counter must be >= 1');
  assert.is(refusal(body({ counter: MAX_COUNT + 1 })), `/counter must be <= ${MAX_COUNT}`);
  assert.is(refusal(body({ up: 1.5 })), '/up must be integer');
  assert.is(refusal(body({ state: { ...body().state, rfid: '123' } })), '/state/rfid must match pattern "^[0-9]{10}$"');
  assert.is(refusal(body({ telemetry: { wifi_signal_db: '-60' as unknown as number, free_vars: null, temp_c10: null } })), '/telemetry/wifi_signal_db must be number,null');
  assert.is(refusal({ ...body(), extra: 1 }), ' must NOT have additional properties');
  const many = Array.from({ length: MAX_EVENTS_PER_SYNC + 1 }, (_, i) => ({ ...event, seq: i + 1 }));
  assert.is(refusal(body({ events: many })), `/events must NOT have more than ${MAX_EVENTS_PER_SYNC} items`);
  assert.is(refusal(body({ events: [{ ...event, type: 'Boot!' as DeviceEvent['type'] }] })), '/events/0/type must match pattern "^[a-z_]{1,32}$"');
});

test('an event type newer firmware may send is accepted (stored, not a reason to wedge the unit)', () => {
  assert.ok(checkSync(body({ events: [{ seq: 1, type: 'brownout' as DeviceEvent['type'], at: 0, up: 1 }] })));
});

test('list download request', () => {
  assert.ok(checkList({ machine: 'lathe', counter: 3, version: 7 }));
  assert.is(checkList({ machine: '', counter: 3, version: 7 }), false);
  assert.is(checkList({ machine: 'lathe', counter: 3 }), false);
});

test('the firmware entry of @fobgate/shared bundles no TypeBox (its types are erased)', async () => {
  const chip = fileURLToPath(new URL('./chip.ts', import.meta.url));
  const r = await build({ entryPoints: [chip], bundle: true, write: false, metafile: true, format: 'esm', conditions: ['espruino'], logLevel: 'silent' });
  const inputs = Object.keys(r.metafile.inputs);
  assert.ok(inputs.some((p) => p.endsWith('protocol.ts')), inputs.join(', '));
  assert.not.ok(inputs.some((p) => /sinclair|sync-schema/.test(p)), inputs.join(', '));
});

test.run();
