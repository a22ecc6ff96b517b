// @timeout 600 (the real interpreter runs in real time; on a busy machine it can pass the runner's default)
// Taps in the real interpreter against the real server: granted (both relays), unauthorized,
// unknown, removal, oops and the admin's clear; a reader declared as 26-bit decides at the last
// bit (the relay switches inside that bit's handling, no end-of-frame wait) and undoes a decision
// when a longer frame turns out to be foreign.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, interpreterPresent, startInterpUnit, untilEvent, untilListVersion, type InterpHandle } from './harness.js';
import { encodeWiegand } from '@fobgate/shared';

const present = interpreterPresent('device/test/interp/taps.test.ts');
const it = present ? test : test.skip;

let server: E2EServer;
let saw: InterpHandle;
let lathe: InterpHandle;

test.before(async () => {
  if (!present) return;
  ensureFirmware();
  server = new E2EServer({
    machines: {
      saw: { authorizations_or: ['Saw'], second_relay: { authorizations_or: ['Dust'], alias: 'Dust collector' } },
      lathe: { authorizations_or: ['Lathe'] },
    },
  });
  await server.start();
  saw = await startInterpUnit(server, 'saw');
  lathe = await startInterpUnit(server, 'lathe', { config: { reader_bits: 26 } });
  await untilListVersion(server, 'saw', 1);
  await untilListVersion(server, 'lathe', 1);
  await saw.unit.untilLcd('Please Insert\nRFID Card');
  await lathe.unit.untilLcd('Please Insert\nRFID Card');
});

test.after(async () => {
  if (saw) await saw.unit.close();
  if (lathe) await lathe.unit.close();
  if (server) await server.close();
});

const green = (rgb: [number, number, number] | null) => JSON.stringify(rgb ? rgb.map((c) => (c > 0 ? 1 : 0)) : null);

it('granted: both relays on, "Welcome," and the name, green LED; the session reaches the server', async () => {
  const u = saw.unit;
  await u.insertFob(FOBS.ada);
  await u.untilLcd('Welcome,\nAda');
  assert.ok(u.relay, 'relay');
  assert.ok(u.secondRelay, 'second relay (Dust)');
  assert.ok(await u.until(() => green(u.ledRgb) === '[0,1,0]', 5000), 'LED green');
  const ev = await untilEvent(server, 'saw', 'session_start');
  assert.is(ev.full_name, 'Ada Maker');
});

it('removal: relays off at once, idle LCD, session end with its duration', async () => {
  const u = saw.unit;
  await u.removeFob();
  await u.untilLcd('Please Insert\nRFID Card');
  assert.not.ok(u.relay);
  assert.not.ok(u.secondRelay);
  const ev = await untilEvent(server, 'saw', 'session_end');
  assert.ok(typeof ev.duration_ms === 'number' && (ev.duration_ms as number) > 0, JSON.stringify(ev));
});

it('main relay only: a member without the accessory authorization', async () => {
  const u = saw.unit;
  await u.insertFob(FOBS.bob);
  await u.untilLcd('Welcome,\nBob');
  assert.ok(u.relay);
  assert.not.ok(u.secondRelay);
  await u.removeFob();
  await u.untilLcd('Please Insert\nRFID Card');
});

it('unauthorized and unknown fobs: relay stays off, the reason reaches the server', async () => {
  const u = saw.unit;
  await u.insertFob(FOBS.dee);
  await u.untilLcd('Unauthorized\n');
  assert.not.ok(u.relay);
  await u.removeFob();
  await u.insertFob(FOBS.unknown);
  await u.untilLcd('Unknown RFID\n');
  assert.not.ok(u.relay);
  assert.ok(await u.until(() => green(u.ledRgb) === '[1,0,0]', 5000), 'LED red');
  await u.removeFob();
  await untilEvent(server, 'saw', 'denied', (e) => e.reason === 'unauthorized' && e.fob === FOBS.dee);
  await untilEvent(server, 'saw', 'denied', (e) => e.reason === 'unknown' && e.fob === FOBS.unknown);
});

it('oops mid-session: relays off at once, oops LED, Slack-bound event; the admin clears it', async () => {
  const u = saw.unit;
  await u.insertFob(FOBS.ada);
  await u.untilLcd('Welcome,\nAda');
  await u.pressOops();
  await u.untilLcd('Oops!! Please\ncheck/post Slack');
  assert.not.ok(u.relay);
  assert.not.ok(u.secondRelay);
  assert.ok(u.oopsLed, 'oops LED');
  await u.removeFob();
  await untilEvent(server, 'saw', 'oops');
  const r = await server.admin('DELETE', '/api/admin/machines/saw/oops');
  assert.is(r.status, 200);
  await u.untilLcd('Please Insert\nRFID Card', 30_000);
  assert.not.ok(u.oopsLed);
  assert.equal(u.problems, []);
});

it('reader declared 26-bit: the relay switches while the last bit is handled (no end-of-frame wait)', async () => {
  const u = lathe.unit;
  const tap = await u.insertFob(FOBS.ada);
  const on = u.writesAfter(u.board.relay, tap.seq).find((w) => w.value === 1);
  assert.ok(on, 'the relay write came with the last bit');
  assert.ok(on!.t <= tap.handledAt, 'before the last bit\'s callbacks returned');
  console.log(`  last bit -> relay: ${u.relayDelayMs(tap).toFixed(2)} ms in the interpreter on this host (no 25 ms gap)`);
  await u.untilLcd('Welcome,\nAda');
  await u.removeFob();
  await u.untilLcd('Please Insert\nRFID Card');
});

it('reader declared 26-bit sent a longer frame: the decision on its first 26 bits is undone, the error reported', async () => {
  const u = lathe.unit;
  // Ada's 26-bit frame followed by 8 more bits: a foreign 34-bit frame whose start parses as Ada
  const frame = encodeWiegand(Number(FOBS.ada), 26).concat([1, 0, 1, 1, 0, 0, 1, 0]);
  await u.cardPresent(true);
  await u.sendFrame(frame);
  await u.until(() => u.lcdText === 'Please Insert\nRFID Card' && !u.relay, 5000);
  assert.not.ok(u.relay, 'relay off again');
  await untilEvent(server, 'lathe', 'error', (e) => /declared as 26-bit/.test(String(e.detail)));
  // the card stays ignored until it is taken out
  await u.sendFrame(encodeWiegand(Number(FOBS.ada), 26));
  await new Promise((r) => setTimeout(r, 300));
  assert.not.ok(u.relay, 'ignored while the same card stays in');
  await u.removeFob();
  await u.insertFob(FOBS.ada);
  await u.untilLcd('Welcome,\nAda');
  assert.ok(u.relay);
  await u.removeFob();
  assert.equal(u.problems, []);
});

test.run();
