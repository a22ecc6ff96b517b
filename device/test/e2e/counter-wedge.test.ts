// A unit's request counter cannot be wedged by anything unsigned, and the unit recovers by itself
// from any counter state the server refuses. Before: one unsigned 409 "counter ... is not above
// 2147483647" (a fake server on the unit's server address) made the unit jump to 2147483654 and
// save it; every later sync got 400 (`counter must be <= 2147483647`), also after a reboot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_COUNTER, SIGNATURE_HEADER, SYNC_PATH } from '@fobgate/shared';
import { checksum } from '../../src/durable-record.js';
import { E2EServer, ensureFirmware, FOBS, sign, startUnit, untilListed, type UnitHandle, healthy } from './harness.js';
import type { UnitSim } from '../../sim/unit-sim.js';

let server: E2EServer;
let h: UnitHandle;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
  h = await startUnit(server, 'lathe');
  await untilListed(h.unit);
});

test.after(async () => {
  h.unit.close();
  await server.close();
});

function syncs(u: UnitSim, from: number) {
  return u.http.log.slice(from).filter((x) => x.path.indexOf(SYNC_PATH) >= 0 && x.outcome !== 'pending');
}

function counterOf(body: string): number {
  return (JSON.parse(body) as { counter: number }).counter;
}

/** Runs until `n` syncs after `from` got a verified 200; false when they did not within maxMs. */
async function untilGood(u: UnitSim, from: number, n: number, maxMs = 60_000): Promise<boolean> {
  return u.until(() => syncs(u, from).filter((x) => x.status === 200).length >= n, maxMs, 100);
}

test('one unsigned 409 "not above 2147483647" from a fake server moves nothing: the next syncs succeed, also after a power cycle', async () => {
  const u = h.unit;
  const from = u.http.log.length;
  let faked = 0;
  u.http.hook = (ex, res) => {
    if (faked === 0 && ex.path.indexOf(SYNC_PATH) >= 0) {
      faked++;
      const body = JSON.stringify({ error: 'replayed request: counter ' + counterOf(ex.body) + ' is not above ' + MAX_COUNTER, code: 'REPLAYED_REQUEST', counter: counterOf(ex.body), held: MAX_COUNTER });
      return { status: 409, headers: { 'content-type': 'application/json' }, body };
    }
    return res;
  };
  assert.ok(await untilGood(u, from, 3), 'syncs succeed after the fake refusal: ' + syncs(u, from).map((x) => x.status).join(','));
  u.http.hook = null;
  assert.is(faked, 1);
  for (const x of syncs(u, from)) assert.ok(counterOf(x.body) < 1_000_000, 'counter ' + counterOf(x.body) + ' never jumped');
  assert.ok(syncs(u, from).every((x) => x.status === 200 || x.status === 409), 'no 400 from the real server');
  const before = u.http.log.length;
  u.powerCycle();
  assert.ok(await untilGood(u, before, 2), 'syncs succeed after a power cycle');
  // the unit noted the unsigned refusal as a signature problem
  const evs = await server.events('lathe');
  assert.ok(evs.some((e) => e.type === 'error' && e.reason === 'SYNC_SIGNATURE' && /409/.test(e.detail ?? '')), 'the ignored refusal is reported');
  healthy(u);
});

test('a counter persisted above the highest the server accepts (what the wedge left) recovers by itself after a reboot', async () => {
  const u = h.unit;
  // fgctr0/1: two-slot durable record "gen checksum json"
  const json = '2147483753';
  u.storage.erase('fgctr0');
  u.storage.erase('fgctr1');
  u.storage.write('fgctr1', '1 ' + checksum('1 ' + json) + ' ' + json);
  const from = u.http.log.length;
  u.powerCycle();
  assert.ok(await untilGood(u, from, 2), 'syncs succeed: ' + syncs(u, from).map((x) => x.status + '@' + counterOf(x.body)).join(','));
  const sent = syncs(u, from).map((x) => counterOf(x.body));
  assert.ok(sent.every((c) => c <= MAX_COUNTER), 'never sends a counter above ' + MAX_COUNTER + ': ' + sent.join(','));
  assert.ok(syncs(u, from).some((x) => x.status === 409 && x.responseHeaders && Object.keys(x.responseHeaders).some((k) => k.toLowerCase() === SIGNATURE_HEADER)), 'it learned the server\'s counter from a signed refusal');
  // and the fob still works, decided locally as always
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay);
  await u.removeFob();
  healthy(u);
});

test('the server holding a higher counter than the unit (a unit restored from an old flash image): signed 409, then above it', async () => {
  const u = h.unit;
  // the server saw counter 700000 from this unit (a signed request straight to it)
  const body = JSON.stringify({
    machine: 'lathe', counter: 700000, fw: 'x', up: 1, boot_count: 1, list_version: 0, list_digest: '', command_ack: 0,
    state: { relay: false, second_relay: false, oopsed: false, locked_out: false, rfid: null, session_fob: null, session_start: 0, look: 'idle', display: '' },
    telemetry: { wifi_signal_db: null, free_vars: null, temp_c10: null }, events: [], dropped_events: 0,
  });
  const r = await fetch(server.url + SYNC_PATH, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(h.key, body) }, body });
  assert.is(r.status, 200, await r.text());
  const from = u.http.log.length;
  assert.ok(await untilGood(u, from, 2), 'syncs succeed: ' + syncs(u, from).map((x) => x.status + '@' + counterOf(x.body)).join(','));
  const good = syncs(u, from).filter((x) => x.status === 200).map((x) => counterOf(x.body));
  assert.ok(good.every((c) => c > 700000), 'continued above the server\'s counter: ' + good.join(','));
  healthy(u);
});

test.run();
