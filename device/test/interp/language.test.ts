// @timeout 600 (the real interpreter runs in real time; on a busy machine it can pass the runner's default)
// What the build gate refuses really fails in the interpreter, and what it lets through works:
// snippets evaluated in a bare Espruino 2v29 (no firmware), checked against the gate's verdict.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gateCheck } from '../../build/gate.js';
import { InterpUnit, interpreterPresent } from './harness.js';

const present = interpreterPresent('device/test/interp/language.test.ts');
const it = present ? test : test.skip;
let u: InterpUnit;

test.before(async () => {
  if (!present) return;
  u = new InterpUnit();
  await u.start();
});

test.after(async () => {
  if (u) await u.close();
});

/** Runs `body` (statements ending in `return x;`) in the interpreter: its value or the error text. */
async function run(body: string): Promise<{ ok: boolean; value: unknown }> {
  const r = await u.askBare<{ ok: boolean; value: unknown }>('(function(){try{return {ok:true,value:(function(){' + body + '})()}}catch(e){return {ok:false,value:String(e)}}})()');
  return r;
}

function gateIssues(body: string): string[] {
  return gateCheck('(function () { ' + body + ' })();', { builtins: [] }).map((i) => i.token + ': ' + i.reason);
}

const REFUSED = [
  'var a = [1, 2, 3]; a.length = 0; return a.length;',
  'var a = [1, 2, 3]; a.length -= 1; return a.length;',
  'var a = [1, 2, 3]; a.length--; return a.length;',
  'var a = new Uint8Array(4); a.length = 0; return a.length;',
];

for (const code of REFUSED) {
  it('refused by the gate and throwing in 2v29: ' + code, async () => {
    const found = gateIssues(code);
    assert.is(found.length, 1, JSON.stringify(found));
    assert.match(found[0], /^\.length/);
    const r = await run(code);
    assert.not.ok(r.ok, 'the interpreter throws, got ' + JSON.stringify(r.value));
  });
}

const ACCEPTED: Array<[string, unknown]> = [
  ['var a = [1, 2, 3]; a.splice(0); return a.length;', 0],
  ['var a = [1, 2, 3]; a = []; return a.length;', 0],
  ['var a = [1, 2, 3]; return a.length + "abc".length;', 6],
  ['return [].slice.call([1, 2, 3], 1).length;', 2],
];

for (const [code, want] of ACCEPTED) {
  it('passed by the gate and working in 2v29: ' + code, async () => {
    assert.equal(gateIssues(code), []);
    const r = await run(code);
    assert.ok(r.ok, 'no throw: ' + JSON.stringify(r.value));
    assert.equal(r.value, want);
  });
}

test.run();
