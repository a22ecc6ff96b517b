// @exclusive: asserts a latency or memory bound, so the test runner runs it alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { BoundedLog } from './bounded-log.js';
import { ESPRUINO_ERRORS } from './espruino-cli.js';

test('keeps the newest lines and counts the elided ones across trims', () => {
  const log = new BoundedLog({ maxLines: 3 });
  for (let i = 1; i <= 10; i++) log.write(`line ${i}\n`);
  assert.equal(log.render(), ['[... 7 earlier lines elided]', 'line 8', 'line 9', 'line 10']);
  log.write('line 11\n');
  assert.equal(log.render(), ['[... 8 earlier lines elided]', 'line 9', 'line 10', 'line 11']);
  assert.is(log.lineCount, 11);
});

test('lines split across chunks are joined; CRLF handled; endless line is cut', () => {
  const log = new BoundedLog({ maxLines: 10, maxLineLength: 8 });
  log.write('ab');
  log.write('c\r\nde');
  log.end();
  assert.equal(log.render(), ['abc', 'de']);
  log.write('x'.repeat(30));
  assert.ok(log.render().length <= 10);
  assert.ok(log.render().every((l) => l.length <= 16));
});

test('an error is detected as it arrives even when its line is later trimmed', () => {
  const log = new BoundedLog({ maxLines: 2, patterns: ESPRUINO_ERRORS });
  log.write('Uncaught SyntaxError: Got ?[63] expected EOF\n');
  for (let i = 0; i < 100; i++) log.write(`noise ${i}\n`);
  assert.is(log.errors.length, 1);
  assert.is(log.errors[0].code, 'UNIT_JS_ERROR');
  assert.is(log.errors[0].lineNumber, 1);
  assert.not.ok(log.render().some((l) => l.includes('Uncaught')));
});

test('a million-line flood from a real child process keeps memory flat and reports the early error', async () => {
  const log = new BoundedLog({ maxLines: 200, patterns: ESPRUINO_ERRORS });
  const script =
    "process.stdout.write('Uncaught Error: boot loop at line 1\\n');" +
    "let i=0;function more(){let ok=true;while(ok&&i<1000000){ok=process.stdout.write('rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 line '+(i++)+'\\n');}" +
    "if(i<1000000)process.stdout.once('drain',more);}more();";
  if (global.gc) global.gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d: string) => {
      log.write(d);
      const h = process.memoryUsage().heapUsed;
      if (h > peak) peak = h;
    });
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  log.end();
  assert.is(log.lineCount, 1_000_001);
  assert.is(log.elided, 1_000_001 - 200);
  assert.is(log.render()[0], '[... 999801 earlier lines elided]');
  assert.is(log.render().length, 201);
  assert.is(log.errors.length, 1);
  assert.match(log.errors[0].line, 'boot loop');
  // ~50 MB of output went through; what stays must be small. Allow GC slack, not growth with input.
  const growthMb = (peak - before) / 1e6;
  console.log(`size: flood of 1,000,001 lines (~${Math.round(1_000_001 * 45 / 1e6)} MB), heap growth peak ${growthMb.toFixed(1)} MB, kept ${log.render().length} lines`);
  assert.ok(growthMb < 40, `heap grew ${growthMb} MB`);
});

test.run();
