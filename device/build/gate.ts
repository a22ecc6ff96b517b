// The compatibility gate for the Espruino interpreter: the firmware must parse as ECMAScript 5
// and must not use what the interpreter lacks. Checks run on acorn's AST (so strings and
// comments never match) and every finding names line:column and the offending code.
import * as acorn from 'acorn';
import { ESPRUINO_MATH } from './espruino-math.js';
import { ESPRUINO_NUMBER_STATICS } from './espruino-number.js';
import { UNSUPPORTED_HELPERS } from './helpers.js';
import { walk, type AstNode } from './ast.js';

export interface GateIssue {
  line: number;
  /** 1-based, like editors show it. */
  column: number;
  /** The offending token(s), e.g. "Map" or "Array.prototype". */
  token: string;
  reason: string;
}

/** Globals the interpreter does not have. */
const BANNED_GLOBALS: { [name: string]: string } = {
  Map: 'Map is not available (use objects or typed arrays)',
  Set: 'Set is not available (use objects)',
  WeakMap: 'WeakMap is not available',
  WeakSet: 'WeakSet is not available',
  WeakRef: 'WeakRef is not available',
  FinalizationRegistry: 'FinalizationRegistry is not available',
  Symbol: 'Symbol is not available',
  Proxy: 'Proxy is not available',
  Reflect: 'Reflect is not available',
  BigInt: 'BigInt is not available',
  Intl: 'Intl is not available',
  // missing in the real 2v29 interpreter (device/test/interp/sim-vs-interp.test.ts)
  RangeError: 'RangeError is not available in Espruino 2v29 (throw an object with your own code field)',
  EvalError: 'EvalError is not available in Espruino 2v29',
  URIError: 'URIError is not available in Espruino 2v29',
  AggregateError: 'AggregateError is not available in Espruino 2v29',
  escape: 'escape is not available in Espruino 2v29',
  unescape: 'unescape is not available in Espruino 2v29',
  encodeURI: 'encodeURI is not available in Espruino 2v29 (encodeURIComponent is)',
  decodeURI: 'decodeURI is not available in Espruino 2v29 (decodeURIComponent is)',
  WebAssembly: 'WebAssembly is not available',
};

/** Static members the interpreter lacks: object -> property -> reason. */
const BANNED_MEMBERS: { [object: string]: { [prop: string]: string } } = {
  Array: { from: 'Array.from is not available (copy with a loop)', of: 'Array.of is not available' },
  Object: {
    freeze: 'Object.freeze is not available',
    fromEntries: 'Object.fromEntries is not available',
    getOwnPropertySymbols: 'Symbols are not available',
  },
  Number: { isInteger: 'Number.isInteger is not available (use x % 1 === 0)' },
  String: { fromCodePoint: 'String.fromCodePoint is not available (String.fromCharCode, 8-bit)', raw: 'String.raw is not available' },
  Math: { trunc: 'Math.trunc is not available', imul: 'Math.imul is not available', clz32: 'Math.clz32 is not available' },
  Promise: {
    race: 'Promise.race is not available',
    allSettled: 'Promise.allSettled is not available',
    any: 'Promise.any is not available',
  },
};

/** Methods missing on every instance, whatever the object. */
const BANNED_METHODS: { [prop: string]: string } = {
  finally: 'Promise.prototype.finally is not available (use then/catch)',
  flat: 'Array.prototype.flat is not available',
  flatMap: 'Array.prototype.flatMap is not available',
  // String methods missing from Espruino's src/jswrap_string.c
  codePointAt: 'String.prototype.codePointAt is not available (strings are 8-bit: charCodeAt)',
  normalize: 'String.prototype.normalize is not available',
  localeCompare: 'String.prototype.localeCompare is not available (compare with < and >)',
  matchAll: 'String.prototype.matchAll is not available',
  trimStart: 'String.prototype.trimStart is not available (only trim)',
  trimEnd: 'String.prototype.trimEnd is not available (only trim)',
  trimLeft: 'String.prototype.trimLeft is not available (only trim)',
  trimRight: 'String.prototype.trimRight is not available (only trim)',
  toLocaleLowerCase: 'String.prototype.toLocaleLowerCase is not available (toLowerCase)',
  toLocaleUpperCase: 'String.prototype.toLocaleUpperCase is not available (toUpperCase)',
  // Array methods missing from Espruino's src/jswrap_array.c (and from every other class there)
  findLast: 'Array.prototype.findLast is not available (loop backwards)',
  findLastIndex: 'Array.prototype.findLastIndex is not available (loop backwards)',
  reduceRight: 'Array.prototype.reduceRight is not available',
  copyWithin: 'Array.prototype.copyWithin is not available',
  toSorted: 'Array.prototype.toSorted is not available',
  toReversed: 'Array.prototype.toReversed is not available',
  toSpliced: 'Array.prototype.toSpliced is not available',
};

/** Built-ins whose prototype may not be read (only Object.prototype works on the interpreter). */
const PROTOTYPE_BANNED = [
  'Array', 'String', 'Function', 'Number', 'Boolean', 'Promise', 'Error', 'RegExp', 'Date',
  'ArrayBuffer', 'DataView', 'Uint8Array', 'Uint8ClampedArray', 'Int8Array', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array', 'TypeError', 'RangeError', 'SyntaxError',
  'ReferenceError',
];

/** The only methods that can be read off Object.prototype on the interpreter. */
const OBJECT_PROTOTYPE_READABLE = ['hasOwnProperty', 'toString'];

type Node = AstNode;

/** The name of a member's property when it is static (a.b or a["b"]), else null. */
function propName(m: Node): string | null {
  const p = m.property as Node;
  if (!m.computed && p.type === 'Identifier') return p.name as string;
  if (m.computed && p.type === 'Literal' && typeof p.value === 'string') return p.value;
  return null;
}

export interface GateOptions {
  /** Modules `require("Name")` may load at runtime (the interpreter's built-ins). */
  builtins: string[];
}

type Report = (n: Node, token: string, reason: string) => void;

/** A reference to a banned global or an unsupported TypeScript helper (property names are not references). */
function identifierIssue(n: Node, parent: Node | null, key: string, report: Report): void {
    const name = n.name as string;
    // property names (a.Map, {Map: 1}) are not references to the global
    const isPropName =
      parent !== null &&
      ((parent.type === 'MemberExpression' && key === 'property' && !parent.computed) ||
        (parent.type === 'Property' && key === 'key' && !parent.computed));
    if (!isPropName) {
      if (Object.prototype.hasOwnProperty.call(BANNED_GLOBALS, name)) report(n, name, BANNED_GLOBALS[name]);
      else if (Object.prototype.hasOwnProperty.call(UNSUPPORTED_HELPERS, name)) {
        report(n, name, 'TypeScript helper ' + name + ' comes from ' + UNSUPPORTED_HELPERS[name] + ', which Espruino cannot run');
      }
    }
}

/** Banned members (Math, Number, X.prototype, Object.prototype.X) and banned methods. */
function memberIssue(n: Node, report: Report): void {
    const obj = n.object as Node;
    const prop = propName(n);
    if (prop !== null) {
      if (obj.type === 'Identifier') {
        const o = obj.name as string;
        const banned = Object.prototype.hasOwnProperty.call(BANNED_MEMBERS, o) ? BANNED_MEMBERS[o] : null;
        if (banned && Object.prototype.hasOwnProperty.call(banned, prop)) report(n, o + '.' + prop, banned[prop]);
        else if (o === 'Math' && ESPRUINO_MATH.indexOf(prop) < 0) {
          report(n, 'Math.' + prop, 'Math.' + prop + ' is not available (Espruino\'s Math has only ' + ESPRUINO_MATH.join(', ') + ')');
        } else if (o === 'Number' && prop !== 'prototype' && ESPRUINO_NUMBER_STATICS.indexOf(prop) < 0) {
          report(n, 'Number.' + prop, 'Number.' + prop + ' is not available (Espruino\'s Number has only ' + ESPRUINO_NUMBER_STATICS.join(', ') + '; use the globals isFinite/isNaN/parseInt)');
        }
        if (prop === 'prototype' && PROTOTYPE_BANNED.indexOf(o) >= 0) {
          report(n, o + '.prototype', 'reading a method through ' + o + '.prototype gives undefined on Espruino (only Object.prototype works); call it on an instance, e.g. [].slice.call(x)');
        }
      }
      // Object.prototype.X where only hasOwnProperty and toString are readable
      if (obj.type === 'MemberExpression' && propName(obj) === 'prototype' && (obj.object as Node).type === 'Identifier' &&
        (obj.object as Node).name === 'Object' && OBJECT_PROTOTYPE_READABLE.indexOf(prop) < 0) {
        report(n, 'Object.prototype.' + prop, 'only Object.prototype.hasOwnProperty and .toString can be read through the prototype on Espruino');
      }
      if (Object.prototype.hasOwnProperty.call(BANNED_METHODS, prop)) report(n.property as Node, '.' + prop, BANNED_METHODS[prop]);
    }
}

/** require() of a module no board has built in. */
function requireIssue(n: Node, builtins: string[], report: Report): void {
    const callee = n.callee as Node;
    if (callee.type === 'Identifier' && callee.name === 'require') {
      const arg = (n.arguments as Node[])[0];
      if (arg && arg.type === 'Literal' && typeof arg.value === 'string') {
        if (builtins.indexOf(arg.value) < 0) {
          report(n, 'require("' + arg.value + '")', 'not a built-in module of any board in device/board/: bundle it instead');
        }
      }
    }
}

/** Assigning to .length (a constant on Espruino 2v29). */
function lengthAssignIssue(n: Node, report: Report): void {
    // `arr.length = 0` (or --, +=) throws "Assignment to a constant" in Espruino 2v29
    const target = (n.type === 'AssignmentExpression' ? n.left : n.argument) as Node;
    if (target.type === 'MemberExpression' && propName(target) === 'length') {
      report(target, '.length' + (n.type === 'AssignmentExpression' ? ' ' + (n.operator as string) : (n.operator as string)), 'assigning to .length throws "Assignment to a constant" on Espruino 2v29: empty an array with splice(0) or make a new one');
    }
}

/** A function declared after other statements of its block (Espruino does not hoist). */
function hoistIssue(n: Node, report: Report): void {
    const list = (n.type === 'SwitchCase' ? n.consequent : n.body) as Node[];
    let seenOther = false;
    for (const s of list) {
      if (s.type === 'FunctionDeclaration') {
        if (seenOther) report(s, 'function ' + (s.id as Node).name, 'function declared after other statements (Espruino does not hoist)');
      } else if (!(s.type === 'ExpressionStatement' && typeof s.directive === 'string')) seenOther = true;
    }
}

/** The issues of one node (its children are visited by the caller). */
function nodeIssues(n: Node, parent: Node | null, key: string, opts: GateOptions, report: Report): void {
  switch (n.type) {
    case 'Identifier':
      identifierIssue(n, parent, key, report);
      break;
    case 'MemberExpression':
      memberIssue(n, report);
      break;
    case 'CallExpression':
      requireIssue(n, opts.builtins, report);
      break;
    case 'AssignmentExpression':
    case 'UpdateExpression':
      lengthAssignIssue(n, report);
      break;
    case 'LabeledStatement':
      report(n, (n.label as Node).name + ':', 'labels are not supported by Espruino');
      break;
    case 'ArrayExpression': {
      const els = n.elements as Array<Node | null>;
      if (els.some((e) => e === null)) report(n, '[ , ]', 'array literal with a hole (a SyntaxError in a skipped switch case on Espruino)');
      break;
    }
    case 'Program':
    case 'BlockStatement':
    case 'SwitchCase':
      hoistIssue(n, report);
      break;
    default:
      break;
  }
}

/** A parse error as the one issue of code that is not ES5. */
function parseIssue(code: string, e: unknown): GateIssue {
  const err = e as { message: string; loc?: { line: number; column: number }; pos?: number };
  const line = err.loc ? err.loc.line : 0;
  const column = err.loc ? err.loc.column + 1 : 0;
  const pos = typeof err.pos === 'number' ? err.pos : 0;
  return {
    line: line,
    column: column,
    token: code.slice(pos, pos + 20).split('\n')[0],
    reason: 'not ECMAScript 5: ' + err.message.replace(/\s*\(\d+:\d+\)$/, ''),
  };
}

/** Checks ES5 syntax and banned APIs; an empty list means the code passes. */
export function gateCheck(code: string, opts: GateOptions): GateIssue[] {
  let ast: Node;
  try {
    ast = acorn.parse(code, { ecmaVersion: 5, sourceType: 'script', locations: true }) as unknown as Node;
  } catch (e) {
    return [parseIssue(code, e)];
  }
  const issues: GateIssue[] = [];
  // The interpreter's strings are 8-bit: source text must be ASCII (escape anything else).
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /[\u0080-\uffff]/.exec(lines[i]);
    if (m) issues.push({ line: i + 1, column: m.index + 1, token: m[0], reason: 'non-ASCII character (write it as \\uXXXX)' });
  }
  const report: Report = (n, token, reason) => {
    const at = n.loc ? n.loc.start : { line: 0, column: 0 };
    issues.push({ line: at.line, column: at.column + 1, token: token, reason: reason });
  };
  walk(ast, (n, parent, key) => nodeIssues(n, parent, key, opts, report));
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  return issues;
}

/** "file:line:col: `token`: reason", one line per issue. */
export function formatGateIssue(file: string, i: GateIssue): string {
  return file + ':' + i.line + ':' + i.column + ': `' + i.token + '`: ' + i.reason;
}
