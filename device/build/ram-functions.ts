// Espruino's `"ram"` directive on the tap path's functions. Code saved in Storage runs from flash:
// the interpreter keeps a function as a reference into the flash text and lexes it again at each
// call (on the Linux build through a 16-byte buffer, one file read per refill; on the ESP32
// through the flash cache). A function whose body starts with the string "ram" is instead copied
// into RAM, pretokenised, when it is defined (Espruino 2v29, src/jsparse.c,
// jspeFunctionDefinitionInternal: `forcePretokenise`), and runs from there: measured 3-4x faster
// on the host (docs/on-chip.md, "Speed"). It costs RAM for the function's text for as long as
// the firmware runs, so only the functions between the last Wiegand bit and the relay write get
// it (RAM_FUNCTIONS), in the built firmware only: the shared sources stay plain for the server
// and the Lua build.
//
// The transform works on the bundle after TypeScript's ES5 lowering: `function name(` at any
// depth, or `Class.prototype.method = function (` (named "Class.method"). Every listed name must
// be found exactly once, or the build fails (a renamed function must not lose it silently).
import * as acorn from 'acorn';
import { isNode, walk, type AstNode } from './ast.js';

/** The functions the tap runs before its relay write, as named in the ES5 bundle. */
export const RAM_FUNCTIONS: string[] = [
  // device/src/drivers/wiegand.ts: the last bit's callback
  'WiegandReader.bit',
  'WiegandReader.finish',
  'WiegandReader.isPresent',
  // device/src/unit-taps.ts and unit-lifecycle.ts: card read, lookup, decision, relay
  'trace',
  'cardRead',
  'insertCard',
  'decideNow',
  'Unit.machine',
  'Unit.listStale',
  'ListStore.current',
  'Relay.set',
  // shared/src/authlist-list.ts, fob.ts: the lookup in the list's records in flash
  'numberToFob',
  'padFob',
  'isIntIn',
  'fobKey',
  'keyFob',
  'recordAt',
  'fobAt',
  'flagsAt',
  'nameAt',
  'lowerBound',
  'findFob',
  'hasFlag',
  'subjectFromEntry',
  // shared/src/decision*.ts, machine-*.ts, lcd-text.ts: the decision of a card inserted
  'decide',
  'apply',
  'isFob',
  'insert',
  'finish',
  'cleanState',
  'initialState',
  'isLook',
  'restLookOf',
  'cleanSubject',
  'str',
  'lcdSafeName',
  'blocked',
  'alwaysOn',
  'rest',
  'startSession',
  'deny',
  'setRfid',
  'hasSecondRelay',
  'secondModeOf',
  'secondOn',
  'outputsOfClean',
  'displayOf',
  'rgbOf',
];

/** "Class.method" for `Class.prototype.method = function …`, else null. */
function prototypeName(n: AstNode): string | null {
  if (n.type !== 'AssignmentExpression' || !isNode(n.left) || !isNode(n.right) || n.right.type !== 'FunctionExpression') return null;
  const left = n.left;
  if (left.type !== 'MemberExpression' || left.computed || !isNode(left.object) || !isNode(left.property)) return null;
  const proto = left.object;
  if (proto.type !== 'MemberExpression' || proto.computed || !isNode(proto.object) || !isNode(proto.property)) return null;
  if ((proto.property as { name?: string }).name !== 'prototype' || proto.object.type !== 'Identifier') return null;
  return (proto.object as { name?: string }).name + '.' + (left.property as { name?: string }).name;
}

export interface RamResult {
  code: string;
  /** Names marked. */
  marked: string[];
  /** Listed names not found exactly once. */
  problems: string[];
}

/**
 * Puts `"ram";` first in the body of each listed function. `required`: every name must be found
 * exactly once (the firmware); otherwise names not found are skipped (a smaller program built
 * from some of the same sources, e.g. the tap bench's per-step program).
 */
export function markRamFunctions(src: string, names: string[], required = true): RamResult {
  const ast = acorn.parse(src, { ecmaVersion: 5, sourceType: 'script' }) as unknown as AstNode;
  const wanted: { [name: string]: number[] } = {};
  for (const n of names) wanted[n] = [];
  walk(ast, (n) => {
    let name: string | null;
    let fn: AstNode | null = null;
    if (n.type === 'FunctionDeclaration' && isNode(n.id)) {
      name = (n.id as { name?: string }).name ?? null;
      fn = n;
    } else {
      name = prototypeName(n);
      if (name !== null) fn = n.right as AstNode;
    }
    if (name === null || fn === null || !wanted[name]) return;
    const body = fn.body as AstNode;
    wanted[name].push(body.start + 1); // just after the body's `{`
  });
  const problems: string[] = [];
  const at: number[] = [];
  for (const n of names) {
    if (wanted[n].length === 0 && !required) continue;
    if (wanted[n].length !== 1) problems.push('ram function ' + n + ': found ' + wanted[n].length + ' times in the bundle, expected once');
    else at.push(wanted[n][0]);
  }
  at.sort((a, b) => b - a);
  let code = src;
  for (const p of at) code = code.slice(0, p) + '"ram";' + code.slice(p);
  return { code: code, marked: names.filter((n) => wanted[n].length === 1), problems: problems };
}
