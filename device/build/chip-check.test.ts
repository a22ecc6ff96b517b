// The chip type-check refuses, file by file, each kind of code that type-checks for Node but
// does not run on the interpreter, and accepts code written to the Espruino globals and the
// chip entry of @fobgate/shared. Sample files are written to a temporary folder and compiled
// with device/tsconfig.chip.json's options; the firmware's own sources must pass it too.
// (Promise is not declared for the chip although Espruino has it: the firmware uses callbacks,
// and without it the compiler itself also refuses async functions.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkChip, DEVICE_DIR, formatChipDiagnostic, type ChipDiagnostic } from './chip-check.js';

const SHARED_CHIP = join(DEVICE_DIR, '..', 'shared', 'src', 'chip.js');

/** One class of violation: the code (its last line is the offending one) and what must be said. */
interface Bad {
  name: string;
  code: string;
  expect: RegExp;
}

const BAD: Bad[] = [
  { name: 'node-module', code: "import { readFileSync } from 'node:fs';\nreadFileSync('x');", expect: /Cannot find (module|name) 'node:fs'/ },
  { name: 'buffer', code: "const b = Buffer.from('x');", expect: /TS2591: Cannot find name 'Buffer'/ },
  { name: 'process-argv', code: 'const a = process.argv;', expect: /TS2339: Property 'argv' does not exist/ },
  { name: 'process-exit', code: 'process.exit(1);', expect: /TS2339: Property 'exit' does not exist/ },
  { name: 'require-non-builtin', code: "const fs = require('fs');", expect: /TS2345: Argument of type '"fs"'/ },
  { name: 'async', code: 'async function f(): Promise<number> {\n  return 1;\n}', expect: /async functions do not run on Espruino|TS2705/ },
  { name: 'await', code: 'function g(p: any) {\n  return async () => await p;\n}', expect: /`await` does not run on Espruino/ },
  { name: 'generator', code: 'function* gen() {\n  yield 1;\n}', expect: /generators do not run on Espruino/ },
  { name: 'array-at', code: 'const last = [1, 2, 3].at(-1);', expect: /TS2550: Property 'at' does not exist/ },
  { name: 'map', code: 'const m = new Map<string, number>();', expect: /TS2583: Cannot find name 'Map'/ },
  { name: 'set', code: 'const s = new Set<string>();', expect: /TS2583: Cannot find name 'Set'/ },
  { name: 'symbol', code: "const s = Symbol('x');", expect: /TS2585|TS2304|Cannot find name 'Symbol'/ },
  { name: 'array-from', code: "const a = Array.from('abc');", expect: /TS2550: Property 'from' does not exist/ },
  { name: 'number-isinteger', code: 'const i = Number.isInteger(3);', expect: /TS2550: Property 'isInteger' does not exist/ },
  { name: 'math-trunc', code: 'const t = Math.trunc(3.5);', expect: /TS2550: Property 'trunc' does not exist/ },
  { name: 'object-freeze', code: 'const o = Object.freeze({ a: 1 });', expect: /`Object\.freeze` does not exist on Espruino 2v29/ },
  { name: 'reduce-right', code: 'const r = [1, 2].reduceRight((a, b) => a + b, 0);', expect: /`Array#reduceRight` does not exist/ },
  { name: 'last-index-of', code: 'const r = new Uint8Array(2).lastIndexOf(0);', expect: /`Uint8Array#lastIndexOf` does not exist/ },
  { name: 'locale-compare', code: "const c = 'a'.localeCompare('b');", expect: /`String#localeCompare` does not exist/ },
  { name: 'error-name', code: "const n = new Error('x').name;", expect: /`Error#name` does not exist/ },
  { name: 'date-utc', code: 'const u = Date.UTC(2026, 0, 1);', expect: /`Date\.UTC` does not exist/ },
  { name: 'builtin-prototype', code: 'const slice = Array.prototype.slice;', expect: /built-in's prototype gives undefined/ },
  { name: 'length-zero', code: 'const a: number[] = [1, 2];\na.length = 0;', expect: /`arr\.length = n` throws "Assignment to a constant"/ },
  { name: 'trim-start', code: "const t = ' x'.trimStart();", expect: /TS2550: Property 'trimStart' does not exist/ },
];

const GOOD = `import { decide, initialState, sha256Hex, LIST_PATH } from ${JSON.stringify(SHARED_CHIP)};

class Blinker {
  private id: number | null = null;
  constructor(private readonly pin: number) {}
  start(): void {
    let on = false;
    this.id = setInterval(() => {
      on = !on;
      digitalWrite(this.pin, on);
    }, 500);
  }
  stop(): void {
    if (this.id !== null) clearInterval(this.id);
    this.id = null;
  }
}

const storage = require('Storage');
const cfg = storage.read('fobgate.json');
storage.write('fgctr0', 'x', 0, 16);
const http = require('http');
const req = http.request({ host: '10.0.0.2', port: 3000, path: LIST_PATH, method: 'POST', headers: {} }, (res) => {
  res.on('data', (chunk) => console.log(chunk.length, String(res.statusCode)));
  res.on('close', () => print('done'));
});
req.end('{}');
const digest = sha256Hex((s) => require('crypto').SHA256(s), cfg || '');
const wifi = require('Wifi');
wifi.connect('space', { password: 'pw' }, (err) => console.log(err));
require('neopixel').write(27, new Uint8Array([0, 255, 0]));
E.enableWatchdog(30, false);
E.kickWatchdog();
I2C1.setup({ sda: 22, scl: 23, bitrate: 400000 });
I2C1.writeTo(0x27, [0x08]);
const watch = setWatch((e) => console.log(e.state, e.time), 16, { repeat: true, edge: 'falling', debounce: 0 });
if (watch !== undefined) clearWatch(watch);
const free = process.memory(false).free;
const now = Math.floor(getTime() * 1000);
const fobs = new Uint32Array(4);
fobs.fill(0);
const names = ['a', 'b'];
const has = names.includes('a') && names.find((n) => n === 'b') !== undefined && names.findIndex((n) => n === 'b') === 1;
const line = 'Welcome,'.padEnd(16) + 'x'.repeat(2) + ('a'.startsWith('a') ? '' : '');
const merged = Object.assign({ a: 1 }, { b: 2 });
const kept = names.splice(0);
const t = setTimeout(() => new Blinker(5).start(), 10);
clearTimeout(t);
const copy = [...names, 'c'];
const { a, b } = merged;
const state = initialState();
const version = FG_BUILD_VERSION;
export { decide, digest, free, now, has, line, kept, copy, a, b, state, version };
`;

let dir = '';
let found: ChipDiagnostic[] = [];

function fileOf(name: string): string {
  return join(dir, name + '.ts');
}

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobgate-chip-'));
  for (const b of BAD) writeFileSync(fileOf(b.name), b.code + '\nexport {};\n');
  writeFileSync(fileOf('good'), GOOD);
  found = checkChip({ rootNames: BAD.map((b) => fileOf(b.name)).concat([fileOf('good')]) }).diagnostics;
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('code written to the Espruino globals and the shared chip entry compiles without errors', () => {
  const mine = found.filter((d) => d.file === fileOf('good'));
  assert.equal(mine.map((d) => formatChipDiagnostic(d, dir)), []);
});

for (const b of BAD) {
  test('refused: ' + b.name, () => {
    const mine = found.filter((d) => d.file === fileOf(b.name)).map((d) => formatChipDiagnostic(d, dir));
    assert.ok(mine.length > 0, b.name + ' compiled without errors');
    assert.ok(mine.some((m) => b.expect.test(m)), b.name + ': expected ' + b.expect + ', got:\n' + mine.join('\n'));
    const lastLine = b.code.split('\n').length;
    const lines = found.filter((d) => d.file === fileOf(b.name)).map((d) => d.line);
    assert.ok(lines.every((l) => l >= 1 && l <= lastLine), b.name + ': errors inside the sample');
  });
}

test('the firmware sources (device/src and the shared chip entry) pass the chip type-check', () => {
  const r = checkChip();
  assert.equal(r.diagnostics.map((d) => formatChipDiagnostic(d)), []);
  assert.ok(r.files.some((f) => f.endsWith('device/src/main.ts')), 'main.ts checked');
  assert.ok(r.files.some((f) => f.endsWith('shared/src/decision.ts')), 'the bundled shared core checked');
  assert.not.ok(r.files.some((f) => f.endsWith('shared/src/config.ts')), 'config validation is Node-side, not in the chip set');
  assert.not.ok(r.files.some((f) => f.endsWith('.test.ts')), 'tests are not chip code');
});

test.run();
