// Tests of the unit harness with small hand-written programs (not the firmware): flash and boot
// from Storage .bootcde, Wiegand frames on the pins, oops button polarity, relays/LED/LCD readers,
// reboot and power cycle keeping Storage, the watchdog biting, and missing built-in modules.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeWiegand } from '@fobgate/shared';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UnitSim } from './unit-sim.js';

const dir = mkdtempSync(join(tmpdir(), 'fobgate-unit-sim-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Collects Wiegand bits on D16/D4 like the firmware does, prints the frame after a 25 ms gap. */
const WIEGAND_PROGRAM = `
var bits = [], gap = null;
function bit(v) { return function () { bits.push(v); if (gap) clearTimeout(gap); gap = setTimeout(function () { gap = null; print('FRAME ' + bits.join('')); bits = []; }, 25); }; }
setWatch(bit(0), D16, { repeat: true, edge: 'falling', debounce: 0 });
setWatch(bit(1), D4, { repeat: true, edge: 'falling', debounce: 0 });
setWatch(function (e) { print('CARD ' + e.state); digitalWrite(33, e.state ? 1 : 0); }, 18, { repeat: true, edge: 'both', debounce: 0 });
pinMode(32, 'input_pullup');
setWatch(function (e) { print('OOPS ' + e.state); }, 32, { repeat: true, edge: 'rising', debounce: 10 });
`;

function unit(name: string): UnitSim {
  return new UnitSim({ storagePath: join(dir, name + '.json') });
}

test('a fob insertion drives card-present and sends a Wiegand frame the shared decoder accepts', async () => {
  const u = unit('wiegand');
  u.flash({ firmware: WIEGAND_PROGRAM });
  u.boot();
  const ins = await u.insertFob('0012345678');
  await u.advance(50);
  assert.ok(u.consoleLines.includes('CARD true'));
  assert.ok(u.relay, 'program switched the relay pin on');
  const frame = u.consoleLines.find((l) => l.startsWith('FRAME '))!;
  const bits = frame.slice(6).split('').map(Number);
  assert.is(bits.length, 26);
  const d = decodeWiegand(bits, 26);
  assert.ok(d.ok && d.value.card === 12345678);
  assert.ok(ins.lastBitSeq > 0);
  await u.removeFob();
  assert.not.ok(u.relay);
  u.close();
});

test('large fob numbers go out as 34-bit frames', async () => {
  const u = unit('w34');
  u.flash({ firmware: WIEGAND_PROGRAM });
  u.boot();
  await u.insertFob(3000000000);
  await u.advance(50);
  const bits = u.consoleLines.find((l) => l.startsWith('FRAME '))!.slice(6).split('').map(Number);
  const d = decodeWiegand(bits, 34);
  assert.ok(d.ok && d.value.card === 3000000000);
  u.close();
});

test('the oops button (normally closed to ground) reads high while pressed, debounced', async () => {
  const u = unit('oops');
  u.flash({ firmware: WIEGAND_PROGRAM });
  u.boot();
  await u.advance(20);
  await u.pressOops();
  await u.advance(50);
  assert.equal(u.consoleLines.filter((l) => l.startsWith('OOPS')), ['OOPS true']);
  u.close();
});

test('LCD over I2C1, neopixel LED and the console; a program error is reported, not fatal', async () => {
  const u = unit('lcd');
  u.flash({
    firmware: `
      I2C1.setup({ sda: D22, scl: D23, bitrate: 400000 });
      function nib(n, rs) { var b = (n << 4) | 8 | rs; I2C1.writeTo(0x27, [b | 4, b]); }
      function cmd(c) { nib(c >> 4, 0); nib(c & 15, 0); }
      nib(3, 0); nib(3, 0); nib(3, 0); nib(2, 0); cmd(0x28); cmd(0x0c); cmd(0x01); cmd(0x80);
      'Hi there'.split('').forEach(function (ch) { var c = ch.charCodeAt(0); nib(c >> 4, 1); nib(c & 15, 1); });
      require('neopixel').write(D27, [10, 200, 30]);
      global.INFO = function () { print('INFO ok'); };
      setTimeout(function () { undefinedFunction(); }, 10);
    `,
  });
  u.boot();
  await u.advance(20);
  assert.is(u.lcdText, 'Hi there\n');
  assert.equal(u.ledRgb, [200, 10, 30]);
  assert.is(u.typeAtConsole('INFO()'), 'INFO ok');
  assert.is(u.uncaught.length, 1);
  assert.match(u.uncaught[0], /undefinedFunction/);
  u.close();
});

test('clearTimeout/clearInterval as Espruino 2v29: an unknown, fired or null id does nothing, undefined throws, no argument stops every timer', async () => {
  const u = new UnitSim({});
  u.flash({
    firmware: `
      var t = setTimeout(function () { print('fired'); }, 5);
      setTimeout(function () {
        try { clearTimeout(t); print('again: ok'); } catch (e) { print('again: ' + e.message); }
        try { clearInterval(12345); print('unknown: ok'); } catch (e) { print('unknown: ' + e.message); }
        try { clearTimeout(null); print('null: ok'); } catch (e) { print('null: ' + e.message); }
        setInterval(function () { print('tick'); }, 10);
        try { clearTimeout(undefined); } catch (e) { print('undefined: ' + e.message); }
        setTimeout(function () { clearTimeout(); }, 15);
      }, 20);
    `,
  });
  u.boot();
  await u.advance(100);
  assert.equal(u.consoleLines.filter((l) => /fired|again|unknown|null|undefined|tick/.test(l)), [
    'fired', 'again: ok', 'unknown: ok', 'null: ok', 'undefined: clearTimeout(undefined) not allowed. Use clearTimeout() instead', 'tick',
  ]);
  assert.equal(u.uncaught, []);
  u.close();
});

test('clearWatch() removes every watch; clearWatch(undefined) and an unknown watch id throw, as Espruino 2v29', () => {
  const u = new UnitSim({});
  u.flash({
    firmware: `
      setWatch(function () {}, D4, { repeat: true, edge: 'falling' });
      setWatch(function () {}, D16, { repeat: true, edge: 'falling' });
      try { clearWatch(undefined); } catch (e) { print(e.message); }
      try { clearWatch(7); } catch (e) { print(e.message); }
      clearWatch();
    `,
  });
  u.boot();
  assert.is(u.pins.watchCount(), 0);
  assert.ok(u.consoleLines.indexOf('clearWatch(undefined) not allowed. Use clearWatch() instead') >= 0);
  assert.ok(u.consoleLines.indexOf('Unknown Watch 7') >= 0);
  u.close();
});

test('an LCD that does not answer makes writeTo throw', () => {
  const u = new UnitSim({ lcdMissing: true });
  u.flash({ firmware: `I2C1.setup({ sda: D22, scl: D23 }); try { I2C1.writeTo(0x27, [1]); print('sent'); } catch (e) { print('LCD error: ' + e.message); }` });
  u.boot();
  assert.match(u.consoleLines.join('\n'), /LCD error: .*no ACK/);
  u.close();
});

test('reboot: relays off and RAM lost, Storage kept; power cycle also blanks the LCD', async () => {
  const path = join(dir, 'reboot.json');
  const prog = `
    var n = (require('Storage').readJSON('boots.json', true) || 0) + 1;
    require('Storage').writeJSON('boots.json', n);
    print('boot ' + n);
    digitalWrite(33, 1);
    global.BOOM = function () { E.reboot(); print('not reached'); };
  `;
  const u = new UnitSim({ storagePath: path });
  u.flash({ firmware: prog });
  u.boot();
  assert.ok(u.relay);
  u.typeAtConsole('BOOM()');
  await u.advance(1);
  assert.ok(u.consoleLines.includes('boot 2'));
  assert.not.ok(u.consoleLines.includes('not reached'));
  assert.is(u.boots[1].reason, 'E.reboot');
  u.powerCycle();
  assert.ok(u.consoleLines.includes('boot 3'));
  u.close();
  const again = new UnitSim({ storagePath: path });
  again.boot();
  assert.ok(again.consoleLines.includes('boot 4'), 'a new simulator on the same flash file continues');
  again.close();
});

test('a manual watchdog that is not kicked reboots the unit; kicking keeps it alive', async () => {
  const u = unit('wdt');
  u.flash({ firmware: `E.enableWatchdog(2, false); var kicks = setInterval(function () { E.kickWatchdog(); }, 500); global.HANG = function () { clearInterval(kicks); };` });
  u.boot();
  await u.advance(10_000);
  assert.is(u.boots.length, 1);
  u.typeAtConsole('HANG()');
  await u.advance(2500);
  assert.is(u.boots.length, 2);
  assert.is(u.boots[1].reason, 'watchdog');
  u.close();
});

test('profiles: host has no Wifi module (require throws), esp32 has it and connects', async () => {
  const host = new UnitSim({ profile: 'host' });
  host.flash({ firmware: `try { require('Wifi'); print('wifi'); } catch (e) { print('no wifi: ' + e.message); }` });
  host.boot();
  assert.match(host.consoleLines[0], /no wifi: Module Wifi not found/);
  host.close();
  const esp = new UnitSim({ profile: 'esp32' });
  esp.flash({ firmware: `require('Wifi').connect('shop', { password: 'pw' }, function (err) { print('connected ' + err); });` });
  esp.boot();
  await esp.advance(1000);
  assert.ok(esp.consoleLines.includes('connected null'));
  assert.ok(esp.wifi.online);
  esp.close();
});

test('getTime counts from boot until setTime; Date follows it; crypto.SHA256 gives an ArrayBuffer', async () => {
  const u = unit('time');
  u.flash({ firmware: `global.T = function () { print(Math.round(getTime()) + ' ' + Math.round(Date.now() / 1000)); }; global.H = function () { var h = require('crypto').SHA256('abc'); print((h instanceof ArrayBuffer) + ' ' + new Uint8Array(h)[0]); };` });
  u.boot();
  await u.advance(3000);
  assert.is(u.typeAtConsole('T()'), '3 3');
  u.typeAtConsole('setTime(1700000000)');
  await u.advance(2000);
  assert.is(u.typeAtConsole('T()'), '1700000002 1700000002');
  assert.is(u.typeAtConsole('H()'), 'true 186');
  assert.is(u.typeAtConsole('print(btoa("\\xff\\x00a") + " " + atob("/wBh").length)'), '/wBh 3');
  assert.match(u.typeAtConsole('print(JSON.stringify(process.memory()))'), /"free":\d+,"usage":\d+,"total":12000/);
  assert.is(u.typeAtConsole('print(E.getTemperature())'), '128');
  u.close();
});

test('load() runs .bootcde again; reset() leaves the chip without a program', async () => {
  const u = unit('load');
  u.flash({ firmware: `print('started'); global.L = function () { load(); }; global.R = function () { reset(); };` });
  u.boot();
  u.typeAtConsole('L()');
  await u.advance(1);
  assert.is(u.consoleLines.filter((l) => l === 'started').length, 2);
  u.typeAtConsole('R()');
  await u.advance(1);
  assert.is(u.consoleLines.filter((l) => l === 'started').length, 2);
  assert.is(u.sandbox, null);
  assert.is(u.boots[u.boots.length - 1].reason, 'reset()');
  u.close();
});

test('Storage inside the sandbox: values come back in its realm; names over 28 characters throw there', () => {
  const u = unit('realm');
  u.flash({
    firmware: `
      var S = require('Storage');
      S.writeJSON('a.json', { n: 1 });
      print((S.readJSON('a.json') instanceof Object) + ' ' + (S.list() instanceof Array) + ' ' + S.list(/a\\.json/).length);
      try { S.write('x'.repeat(29), 'y'); } catch (e) { print((e instanceof Error) + ' ' + e.message); }
      var f = S.open('log', 'a'); f.write('one\\n'); print(S.open('log', 'r').readLine());
    `,
  });
  u.boot();
  assert.is(u.consoleLines[0], 'true true 1');
  assert.match(u.consoleLines[1], /^true Storage: file name too long/);
  assert.is(u.consoleLines[2], 'one\n');
  u.close();
});

test.run();
