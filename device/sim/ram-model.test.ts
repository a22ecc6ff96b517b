// The simulator's variable store: what it reports, and that a string too large for the chip is
// refused at the native that takes it (as the interpreter runs out of memory there).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RamModel, SIM_PROGRAM_VARS, varsFor } from './ram-model.js';
import { UnitSim } from './unit-sim.js';

test('free = total less the firmware at idle; a string must fit twice into what is free', () => {
  const r = new RamModel(12000);
  assert.is(r.free(), 12000 - SIM_PROGRAM_VARS);
  assert.is(r.take('JSON.parse', 4000), '');
  assert.is(r.largest, 4000);
  const max = r.maxString();
  assert.ok(2 * varsFor(max) <= r.free() && 2 * varsFor(max + 12) > r.free());
  assert.is(r.take('atob', max), '');
  assert.match(r.take('JSON.parse', 113519), /^OUT OF MEMORY at JSON.parse: a 113519-character string needs \d+ of \d+ free variables/);
  assert.is(r.errors.length, 1);
  assert.ok(r.flagged);
  const small = new RamModel(16383);
  assert.ok(small.maxString() > r.maxString(), 'more variables, longer strings');
});

test('in the sandbox: JSON.parse, atob and Storage.write of a string too large run out of memory and are recorded', () => {
  const u = new UnitSim({ storagePath: null, memoryTotal: 12000 });
  u.flash({ firmware: 'var big = "x".repeat(120000); var small = "y".repeat(1000);', config: '{}' });
  u.boot();
  assert.match(u.typeAtConsole('JSON.parse(JSON.stringify(big)).length'), /OUT OF MEMORY at JSON.parse/);
  assert.match(u.typeAtConsole('atob(big)'), /OUT OF MEMORY at atob/);
  assert.match(u.typeAtConsole('require("Storage").write("f", big)'), /OUT OF MEMORY at Storage.write/);
  assert.is(u.typeAtConsole('JSON.parse(JSON.stringify(small)).length'), '=1000');
  assert.is(u.ram.errors.length, 3);
  assert.match(u.typeAtConsole('E.getErrorFlags()'), /MEMORY/);
  assert.is(u.typeAtConsole('process.memory().total'), '=12000');
  u.close();
});

test.run();
