// End to end, without the server: decisions continue from the cached list while the server is
// stopped and events are buffered; when it is back every buffered event is stored exactly once
// (also when an acknowledgement is lost); a reboot keeps list and buffer and comes up with the
// relays off; past the freshness deadline only override fobs start sessions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { E2EServer, ensureFirmware, FOBS, MEMBERS, member, startUnit, untilListed, untilSynced, type UnitHandle, healthy } from './harness.js';

let server: E2EServer;
let lathe: UnitHandle;

test.before(async () => {
  ensureFirmware();
  server = new E2EServer();
  await server.start();
  lathe = await startUnit(server, 'lathe');
  await untilListed(lathe.unit);
});

test.after(async () => {
  lathe.unit.close();
  await server.close();
});

/** Unit event seqs the server stored for a machine, oldest first. */
async function storedSeqs(machine: string): Promise<number[]> {
  return (await server.events(machine)).filter((e) => e.source === 'unit' && e.unit_seq !== null).map((e) => e.unit_seq as number).sort((a, b) => a - b);
}

test('server stopped -> decisions continue from the cached list, events are buffered', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  await server.stop();
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay, 'session starts without the server');
  assert.is(u.lcdText, 'Welcome,\nAda');
  await u.advance(3000);
  await u.removeFob();
  assert.not.ok(u.relay);
  await u.insertFob(FOBS.bob);
  await u.advance(100);
  assert.is(u.lcdText, 'Unauthorized\n');
  await u.removeFob();
  await u.insertFob(FOBS.unknown);
  await u.advance(100);
  assert.is(u.lcdText, 'Unknown RFID\n');
  await u.removeFob();
  await u.advance(30_000);
  const tried = u.http.log.filter((x) => x.t > 0 && x.outcome === 'refused');
  assert.ok(tried.length >= 2, 'kept trying (refused connections caught, not fatal)');
  healthy(u);
  // What the unit tried to send while refused carries the buffered session and denials.
  const attempt = tried[tried.length - 1].body;
  assert.match(attempt, /"type":"session_start"/);
  assert.match(attempt, /"type":"denied"/);
});

test('server back -> every buffered event is stored exactly once, even when an acknowledgement is lost', async () => {
  const u = lathe.unit;
  await server.start();
  // Lose the first answer: the server stored the events but the unit never hears the ack.
  let dropped = 0;
  u.http.hook = (ex, res) => {
    if (dropped === 0 && ex.path.indexOf('/api/v1/sync') >= 0 && ex.body.indexOf('"events":[{') >= 0) {
      dropped++;
      return { status: 502, headers: {}, body: 'bad gateway' };
    }
    return res;
  };
  const synced = await untilSynced(u, 120_000);
  u.http.hook = null;
  assert.ok(synced, 'the buffer drained');
  assert.is(dropped, 1, 'one answer was lost on the way');
  const seqs = await storedSeqs('lathe');
  const unique = Array.from(new Set(seqs));
  assert.equal(seqs, unique, 'no event stored twice');
  for (let i = 1; i < unique.length; i++) assert.is(unique[i], unique[i - 1] + 1, 'no gap in the unit sequence at ' + unique[i]);
  const evs = await server.events('lathe');
  const offline = evs.filter((e) => e.type === 'session_start' || e.type === 'session_end' || e.type === 'denied');
  assert.ok(offline.some((e) => e.type === 'session_end' && e.full_name === 'Ada Maker'));
  assert.ok(offline.some((e) => e.type === 'denied' && e.fob === FOBS.bob));
  assert.ok(offline.some((e) => e.type === 'denied' && e.fob === FOBS.unknown));
  healthy(u);
});

test('event buffer overflow while offline -> the oldest are dropped, the loss is counted and reported, the rest stored once', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  await server.stop();
  const fob = '0000123123';
  const N = 230;
  for (let i = 0; i < N; i++) {
    await u.insertFob(fob);
    await u.advance(30);
    await u.removeFob();
  }
  assert.is(u.lcdText, 'Please Insert\nRFID Card');
  await server.start();
  assert.ok(await untilSynced(u, 600_000), 'buffer drained');
  const evs = await server.events('lathe');
  const stored = evs.filter((e) => e.type === 'denied' && e.fob === fob);
  const dropped = evs.filter((e) => e.type === 'dropped');
  assert.ok(dropped.length >= 1, 'the loss was reported');
  const lost = dropped.reduce((n, e) => n + Number(/^(\d+) events lost/.exec(String(e.detail))?.[1] ?? 0), 0);
  assert.ok(lost > 0);
  assert.is(stored.length + lost, N, 'every denial either stored or counted as lost (' + stored.length + ' + ' + lost + ')');
  assert.equal(Array.from(new Set(stored.map((e) => e.unit_seq))).length, stored.length, 'stored once');
  healthy(u);
});

test('reboot with Storage kept -> relays off at boot, list and event buffer intact', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  await server.stop();
  await u.insertFob(FOBS.ada);
  await u.advance(500);
  assert.ok(u.relay);
  const writesBefore = u.pins.writes.length;
  u.powerCycle();
  const firstRelayWrite = u.pins.writes.slice(writesBefore).find((w) => w.pin === u.board.relay);
  assert.ok(firstRelayWrite, 'the firmware drives the relay pin at boot');
  assert.is(firstRelayWrite!.value, 0, 'and the first thing it writes is off');
  await u.advance(1000);
  // The fob is still in the slot after the power cut: the relay stays off until a new decision.
  await u.removeFob();
  assert.not.ok(u.relay, 'relays off after the reboot');
  assert.is(u.boots.length, 2);
  // The cached list survived: a decision without the server.
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay, 'list intact: Ada still welcomed offline');
  assert.is(u.lcdText, 'Welcome,\nAda');
  await u.removeFob();
  // The buffered events (from before and after the reboot) arrive once the server is back.
  await server.start();
  assert.ok(await untilSynced(u, 120_000));
  const seqs = await storedSeqs('lathe');
  assert.equal(seqs, Array.from(new Set(seqs)), 'exactly once');
  const evs = await server.events('lathe');
  const starts = evs.filter((e) => e.type === 'session_start' && e.full_name === 'Ada Maker');
  assert.ok(starts.length >= 3, 'sessions before and after the reboot reported: ' + starts.length);
  assert.ok(evs.some((e) => e.type === 'session_end'), 'the session after the reboot ended and was reported');
  assert.ok(evs.filter((e) => e.type === 'reboot').length >= 2, 'the boot was reported');
  healthy(u);
  assert.equal(u.storage.violations, []);
});

test('freshness deadline -> offline past the grace only override fobs start a session, and the LCD says why', async () => {
  const h = await startUnit(server, 'mill');
  const u = h.unit;
  try {
    await untilListed(u);
    await u.insertFob(FOBS.dee);
    await u.advance(100);
    assert.ok(u.relay, 'fresh list: member runs the mill');
    await u.removeFob();
    await untilSynced(u);
    await server.stop();
    // The mill's grace is one hour; a little before it nothing changes.
    await u.advance(55 * 60_000);
    await u.insertFob(FOBS.dee);
    await u.advance(100);
    assert.ok(u.relay, 'still within the grace');
    await u.removeFob();
    await u.advance(6 * 60_000);
    await u.insertFob(FOBS.dee);
    await u.advance(100);
    assert.not.ok(u.relay, 'past the deadline: ordinary member refused');
    assert.is(u.lcdText, 'List too old\nMaintainers only');
    await u.removeFob();
    await u.insertFob(FOBS.cy);
    await u.advance(100);
    assert.ok(u.relay, 'override fob still runs it');
    await u.removeFob();
    healthy(u);
    // Back online: ordinary members again.
    await server.start();
    await u.advance(65_000);
    await u.insertFob(FOBS.dee);
    await u.advance(100);
    assert.ok(u.relay, 'fresh again after a sync');
    await u.removeFob();
  } finally {
    u.close();
  }
});

test('Wi-Fi lost -> decisions continue; when the access point is back the unit rejoins and delivers its events', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  u.wifi.setAccessPoint(false);
  await u.advance(20_000);
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay, 'session without a network');
  await u.advance(2000);
  await u.removeFob();
  const offline = u.http.log.filter((x) => x.outcome === 'offline');
  assert.ok(offline.length >= 1, 'requests failed while the link was down');
  u.wifi.setAccessPoint(true);
  assert.ok(await untilSynced(u, 180_000), 'rejoined and synced');
  assert.ok(u.wifi.record.connects >= 2, 'the firmware reconnected');
  const seqs = await storedSeqs('lathe');
  assert.equal(seqs, Array.from(new Set(seqs)));
  healthy(u);
});

test('network stuck (server never answers) -> warning while the relay is on, reboot only once the relays are off', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  const boots = u.boots.length;
  const n0 = u.http.log.length;
  u.http.hook = () => 'withhold';
  try {
    // Requests time out one after the other (the interpreter has no timeout: the unit's own deadline).
    await u.advance(3 * 60_000);
    const withheld = u.http.log.slice(n0).filter((x) => x.outcome === 'withheld');
    assert.ok(withheld.length >= 3, 'requests kept being tried after each deadline: ' + withheld.length);
    assert.is(u.boots.length, boots, 'not stuck long enough yet');
    // A member starts the machine; the network stays stuck past the limit.
    await u.insertFob(FOBS.ada);
    await u.advance(100);
    assert.ok(u.relay);
    await u.advance(12 * 60_000);
    assert.ok(u.relay, 'the relay stays on: no reboot under a running machine');
    assert.is(u.boots.length, boots, 'no reboot while the relay is on');
    assert.is(u.lcdLines[1].trim(), 'Reboot after use', 'the LCD warns');
    await u.removeFob();
    await u.advance(5000);
    assert.is(u.boots.length, boots + 1, 'rebooted once the relays were off');
    assert.not.ok(u.relay);
  } finally {
    u.http.hook = null;
    if (u.fobInserted) await u.removeFob();
  }
  assert.ok(await untilSynced(u, 120_000), 'works again after the reboot');
  const evs = await server.events('lathe');
  assert.ok(evs.some((e) => e.type === 'error' && e.reason === 'watchdog'), 'the reason reached the server');
  healthy(u);
});

test('power cut while a new list is written to flash -> the previous list stays in force; the new one applies later', async () => {
  const u = lathe.unit;
  await untilSynced(u);
  const r = await server.admin('PUT', '/api/admin/users', [...MEMBERS, member('5', 'Eve', '0000555555', ['Lathe'])]);
  assert.is(r.status, 200);
  const boots = u.boots.length;
  u.cutPowerDuringWrite(/^fgl[a-z]$/, 40);
  // After the cut the server is unreachable for a while (answers withheld), so only flash counts.
  u.http.hook = (_ex, res) => (u.boots.length > boots ? 'withhold' : res);
  const cutHappened = await u.until(() => u.boots.length > boots, 10_000, 100);
  if (!cutHappened) u.http.hook = null;
  assert.ok(cutHappened, 'the power cut happened during the list write');
  assert.is(u.boots[u.boots.length - 1].reason, 'power cycle');
  await u.advance(500);
  await u.insertFob(FOBS.ada);
  await u.advance(100);
  assert.ok(u.relay, 'previous list in force after the cut');
  await u.removeFob();
  await u.insertFob('0000555555');
  await u.advance(100);
  assert.is(u.lcdText, 'Unknown RFID\n', 'the half-written list was not used');
  await u.removeFob();
  u.http.hook = null;
  await u.advance(60_000);
  await u.insertFob('0000555555');
  await u.advance(100);
  assert.ok(u.relay, 'the new list applied once the server answered again');
  assert.is(u.lcdText, 'Welcome,\nEve');
  await u.removeFob();
  healthy(u);
});

test.run();
