// TypeScript's ES5 helpers, rewritten for Espruino. The lowering runs with `noEmitHelpers`, so
// the output only references helpers; the build prepends ours for the ones used. Ours never
// read a built-in's prototype (Array.prototype.slice is undefined on the interpreter), copy
// static members (statics are not inherited there) and need no hoisting.
// Helpers for features Espruino cannot run (async/await, generators, iterators, #private
// fields, decorators, tagged templates) are refused with a clear reason by the gate.

/** Our implementations, by helper name. Each is one `var` statement in ES5. */
export const HELPERS: { [name: string]: string } = {
  __extends:
    'var __extends = function (d, b) {\n' +
    '  if (typeof b !== "function" && b !== null) throw new TypeError("Class extends value " + b + " is not a constructor or null");\n' +
    '  for (var p in b) if (Object.prototype.hasOwnProperty.call(b, p)) d[p] = b[p];\n' +
    '  var F = function () { this.constructor = d; };\n' +
    '  F.prototype = b === null ? null : b.prototype;\n' +
    '  d.prototype = b === null ? Object.create(null) : new F();\n' +
    '};',
  __assign:
    'var __assign = function (t) {\n' +
    '  for (var i = 1; i < arguments.length; i++) {\n' +
    '    var s = arguments[i];\n' +
    '    for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p)) t[p] = s[p];\n' +
    '  }\n' +
    '  return t;\n' +
    '};',
  __spreadArray:
    'var __spreadArray = function (to, from, pack) {\n' +
    '  for (var i = 0; i < from.length; i++) to.push(from[i]);\n' +
    '  return to;\n' +
    '};',
  __rest:
    'var __rest = function (s, e) {\n' +
    '  var t = {};\n' +
    '  for (var p in s) if (Object.prototype.hasOwnProperty.call(s, p) && e.indexOf(p) < 0) t[p] = s[p];\n' +
    '  return t;\n' +
    '};',
};

/** TypeScript helpers we refuse, with the source feature that brings each in. */
export const UNSUPPORTED_HELPERS: { [name: string]: string } = {
  __awaiter: 'async/await (use Promise then/catch or callbacks)',
  __generator: 'async/await or a generator function',
  __await: 'an async generator',
  __asyncGenerator: 'an async generator',
  __asyncDelegator: 'an async generator',
  __asyncValues: 'for await',
  __values: 'iteration of a non-array (downlevelIteration)',
  __read: 'destructuring an iterable (downlevelIteration)',
  __spread: 'spreading an iterable (downlevelIteration)',
  __spreadArrays: 'an old-style spread helper',
  __makeTemplateObject: 'a tagged template',
  __classPrivateFieldGet: 'a #private field (needs WeakMap: use `private`)',
  __classPrivateFieldSet: 'a #private field (needs WeakMap: use `private`)',
  __classPrivateFieldIn: 'a #private field check (needs WeakMap)',
  __decorate: 'a decorator',
  __esDecorate: 'a decorator',
  __runInitializers: 'a decorator',
  __param: 'a parameter decorator',
  __metadata: 'decorator metadata',
  __setFunctionName: 'a decorator or a class with a computed name',
  __propKey: 'a computed property key',
  __addDisposableResource: '`using` declarations',
  __disposeResources: '`using` declarations',
  __rewriteRelativeImportExtension: 'a dynamic import',
  __importStar: 'a module namespace import left for runtime',
  __importDefault: 'a module default import left for runtime',
  __createBinding: 'a re-export left for runtime',
  __exportStar: 'a re-export left for runtime',
  __setModuleDefault: 'a module namespace left for runtime',
};

/** The helper prelude for the helpers a lowered program references (by identifier name). */
export function helperPrelude(usedNames: string[]): { code: string; names: string[] } {
  const names = Object.keys(HELPERS).filter((n) => usedNames.indexOf(n) >= 0);
  return { code: names.map((n) => HELPERS[n]).join('\n') + (names.length ? '\n' : ''), names: names };
}
