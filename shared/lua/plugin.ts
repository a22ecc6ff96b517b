// typescript-to-lua plugin for the Lua build of the shared core (see docs/lua.md). It keeps the
// TypeScript as it is and closes the gaps between JavaScript and Lua 5.1 semantics at compile time:
//
// - module paths: the core imports "./x.js" (Node ESM style); tstl looks for "./x", so the ".js"
//   is mapped back to the ".ts" source.
// - bitwise operators (none in Lua 5.1): `a & b`, `a | b`, `a ^ b`, `a << n`, `a >> n`, `a >>> n`
//   and `~a` become calls of the runtime's 32-bit helpers (__fg.band ...), which give JavaScript's
//   results (signed 32-bit, unsigned for >>>) with plain arithmetic, exact in Lua 5.1's doubles.
//   Compound forms (`|=` ...) are refused with a diagnostic (none in the core).
// - truthiness: in JavaScript 0, NaN and "" are false; in Lua only nil and false are. Every
//   expression whose type may be a string or a number (or any/unknown) and that is read as a
//   condition (if/while/for/do, ?:, !, and the operands of && and || in such places) is wrapped in
//   __fg.truthy(x); an && or || whose value is used and whose left side may be such a value is
//   rebuilt with a temporary so it yields JavaScript's value.
// - indexing and .length of values whose kind is only known at run time (any/unknown, or a union
//   of a JavaScript array with a typed array or a string, e.g. Wiegand bits as number[] |
//   Uint8Array): tstl would pick one layout (arrays from 1, typed arrays from 0); these become
//   __fg.at(x, i) and __fg.len(x), which look at the value.
import ts from 'typescript';
import * as tstl from 'typescript-to-lua';
import { transformInPrecedingStatementScope } from 'typescript-to-lua/dist/transformation/utils/preceding-statements.js';

/** The runtime table every helper lives in (declared by runtime.lua, in scope of every module). */
export const RUNTIME = '__fg';

const BIT_HELPERS = new Map<ts.SyntaxKind, string>([
  [ts.SyntaxKind.AmpersandToken, 'band'],
  [ts.SyntaxKind.BarToken, 'bor'],
  [ts.SyntaxKind.CaretToken, 'bxor'],
  [ts.SyntaxKind.LessThanLessThanToken, 'lshift'],
  [ts.SyntaxKind.GreaterThanGreaterThanToken, 'arshift'],
  [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, 'rshift'],
]);

const COMPOUND_BIT = [
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
];

/** Type flags whose values may be falsy in JavaScript but are true in Lua (0, NaN, ""). */
const RISKY_FLAGS =
  ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping |
  ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral | ts.TypeFlags.Enum | ts.TypeFlags.EnumLiteral |
  ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral | ts.TypeFlags.Any | ts.TypeFlags.Unknown |
  ts.TypeFlags.TypeParameter | ts.TypeFlags.Index | ts.TypeFlags.IndexedAccess | ts.TypeFlags.Conditional;

function helper(name: string): tstl.Expression {
  return tstl.createTableIndexExpression(tstl.createIdentifier(RUNTIME), tstl.createStringLiteral(name));
}

function callHelper(name: string, args: tstl.Expression[], node?: ts.Node): tstl.Expression {
  return tstl.createCallExpression(helper(name), args, node);
}

function isRiskyType(type: ts.Type): boolean {
  if (type.isUnionOrIntersection()) return type.types.some(isRiskyType);
  if (type.flags & ts.TypeFlags.StringLiteral) return (type as ts.StringLiteralType).value === '';
  if (type.flags & ts.TypeFlags.NumberLiteral) {
    const v = (type as ts.NumberLiteralType).value;
    return v === 0 || v !== v;
  }
  return (type.flags & RISKY_FLAGS) !== 0;
}

function isRisky(node: ts.Expression, context: tstl.TransformationContext): boolean {
  return isRiskyType(context.checker.getTypeAtLocation(node));
}

/** Skip the wrappers that do not change a value: ( ), as, !, <T>, satisfies. */
function outerOf(node: ts.Node): { outer: ts.Node; parent: ts.Node } {
  let outer: ts.Node = node;
  let parent = node.parent;
  while (
    parent &&
    (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent) ||
      ts.isTypeAssertionExpression(parent) || ts.isSatisfiesExpression(parent))
  ) {
    outer = parent;
    parent = parent.parent;
  }
  return { outer: outer, parent: parent };
}

function isLogical(node: ts.Node): node is ts.BinaryExpression {
  return ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken);
}

/** Is `node` read only for its truth (a condition), so JavaScript truthiness must be applied to it? */
function inConditionPosition(node: ts.Node): boolean {
  const { outer, parent } = outerOf(node);
  if (!parent) return false;
  if ((ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) && parent.expression === outer) return true;
  if (ts.isForStatement(parent) && parent.condition === outer) return true;
  if (ts.isConditionalExpression(parent) && parent.condition === outer) return true;
  if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (isLogical(parent)) return inConditionPosition(parent);
  return false;
}

/** Expression kinds that may stand as a condition (the leaves truthiness is applied to). */
const LEAF_KINDS = [
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.PropertyAccessExpression,
  ts.SyntaxKind.ElementAccessExpression,
  ts.SyntaxKind.CallExpression,
  ts.SyntaxKind.NewExpression,
  ts.SyntaxKind.ConditionalExpression,
  ts.SyntaxKind.PostfixUnaryExpression,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateExpression,
  ts.SyntaxKind.TypeOfExpression,
] as const;

/** The kinds of value a type may hold, for indexing: arrays (from 1 in Lua), typed arrays and other objects (from 0), strings. */
const TYPED_ARRAYS = ['Uint8Array', 'Uint32Array', 'Int8Array', 'Int16Array', 'Uint16Array', 'Int32Array', 'Float32Array', 'Float64Array', 'Uint8ClampedArray'];

function kindsOf(type: ts.Type, context: tstl.TransformationContext, kinds: Set<string>): void {
  if (type.isUnion()) {
    for (const t of type.types) kindsOf(t, context, kinds);
    return;
  }
  const f = type.flags;
  if (f & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.Never)) return;
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) kinds.add('any');
  else if (f & ts.TypeFlags.StringLike) kinds.add('string');
  else if (context.checker.isArrayType(type) || context.checker.isTupleType(type)) kinds.add('array');
  else if (type.symbol && TYPED_ARRAYS.indexOf(type.symbol.name) >= 0) kinds.add('typed');
  else kinds.add('other');
}

/** Does indexing this value need a look at run time (any, or a mix of layouts)? */
function needsDispatch(node: ts.Expression, context: tstl.TransformationContext): boolean {
  const kinds = new Set<string>();
  kindsOf(context.checker.getTypeAtLocation(node), context, kinds);
  if (kinds.has('any')) return true;
  return kinds.has('array') && kinds.size > 1 || kinds.has('string') && kinds.size > 1;
}

function isWritten(node: ts.Node): boolean {
  const { outer, parent } = outerOf(node);
  if (!parent) return false;
  if (ts.isBinaryExpression(parent) && parent.left === outer && parent.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    parent.operatorToken.kind <= ts.SyntaxKind.LastAssignment) return true;
  if ((ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) &&
    (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken)) return true;
  return ts.isDeleteExpression(parent);
}

function isNumberLike(node: ts.Expression, context: tstl.TransformationContext): boolean {
  return (context.checker.getTypeAtLocation(node).flags & ts.TypeFlags.NumberLike) !== 0;
}

function elementVisitor(node: ts.ElementAccessExpression, context: tstl.TransformationContext): tstl.Expression {
  if (needsDispatch(node.expression, context) && isNumberLike(node.argumentExpression, context)) {
    if (isWritten(node)) {
      context.diagnostics.push(error(node, 'writing an element of a value that may be a JavaScript array or a typed array is not supported'));
    } else {
      const out = callHelper('at', [context.transformExpression(node.expression), context.transformExpression(node.argumentExpression)], node);
      return inConditionPosition(node) ? callHelper('truthy', [out], node) : out;
    }
  }
  return leafVisitor(node, context);
}

function propertyVisitor(node: ts.PropertyAccessExpression, context: tstl.TransformationContext): tstl.Expression {
  if (node.name.text === 'length' && !isWritten(node) && needsDispatch(node.expression, context)) {
    const out = callHelper('len', [context.transformExpression(node.expression)], node);
    return inConditionPosition(node) ? callHelper('truthy', [out], node) : out;
  }
  return leafVisitor(node, context);
}

function leafVisitor(node: ts.Expression, context: tstl.TransformationContext): tstl.Expression {
  const out = context.superTransformExpression(node);
  if (inConditionPosition(node) && isRisky(node, context)) return callHelper('truthy', [out], node);
  return out;
}

function error(node: ts.Node, message: string): ts.Diagnostic {
  return {
    category: ts.DiagnosticCategory.Error,
    code: 0,
    file: node.getSourceFile(),
    start: node.getStart(),
    length: node.getWidth(),
    messageText: 'fobgate Lua build: ' + message,
    source: 'fobgate-lua',
  };
}

function binaryVisitor(node: ts.BinaryExpression, context: tstl.TransformationContext): tstl.Expression {
  const op = node.operatorToken.kind;
  const bit = BIT_HELPERS.get(op);
  if (bit !== undefined) {
    const left = context.transformExpression(node.left);
    const right = context.transformExpression(node.right);
    return callHelper(bit, [left, right], node);
  }
  if (COMPOUND_BIT.indexOf(op) >= 0) {
    context.diagnostics.push(error(node, 'compound bitwise assignment (' + node.operatorToken.getText() + ') is not supported; write x = x ' +
      node.operatorToken.getText().slice(0, -1) + ' y'));
    return context.superTransformExpression(node);
  }
  if (isLogical(node)) {
    if (inConditionPosition(node)) {
      // Only its truth is read: the operands are conditions themselves (wrapped as leaves).
      return context.superTransformExpression(node);
    }
    if (isRisky(node.left, context)) return logicalValue(node, context);
    const out = context.superTransformExpression(node);
    return out;
  }
  const out = context.superTransformExpression(node);
  if (inConditionPosition(node) && isRisky(node, context)) return callHelper('truthy', [out], node);
  return out;
}

/**
 * `a && b` / `a || b` whose value is used and whose left side may be 0, NaN or "":
 *   local t = a; if truthy(t) then t = b end      (&&; || tests "not truthy")
 */
function logicalValue(node: ts.BinaryExpression, context: tstl.TransformationContext): tstl.Expression {
  const left = context.transformExpression(node.left);
  const temp = context.createTempNameForNode(node.left);
  const right = transformInPrecedingStatementScope(context, () => context.transformExpression(node.right));
  let test: tstl.Expression = callHelper('truthy', [tstl.cloneIdentifier(temp)], node.left);
  if (node.operatorToken.kind === ts.SyntaxKind.BarBarToken) test = tstl.createUnaryExpression(test, tstl.SyntaxKind.NotOperator);
  context.addPrecedingStatements([
    tstl.createVariableDeclarationStatement(temp, left, node.left),
    tstl.createIfStatement(
      test,
      tstl.createBlock(right.precedingStatements.concat([tstl.createAssignmentStatement(tstl.cloneIdentifier(temp), right.result, node.right)])),
      undefined,
      node,
    ),
  ]);
  return tstl.cloneIdentifier(temp);
}

function prefixVisitor(node: ts.PrefixUnaryExpression, context: tstl.TransformationContext): tstl.Expression {
  if (node.operator === ts.SyntaxKind.TildeToken) return callHelper('bnot', [context.transformExpression(node.operand)], node);
  const out = context.superTransformExpression(node);
  // -x, +x as a condition (a number)
  if (node.operator !== ts.SyntaxKind.ExclamationToken && inConditionPosition(node) && isRisky(node, context)) {
    return callHelper('truthy', [out], node);
  }
  return out;
}

/** Typed arrays are the runtime's (runtime.lua): `new Uint8Array(n)` -> `Uint8Array.new(n)`. */
const RUNTIME_CLASSES = ['Uint8Array', 'Uint32Array', 'ArrayBuffer'];

function newVisitor(node: ts.NewExpression, context: tstl.TransformationContext): tstl.Expression {
  if (ts.isIdentifier(node.expression) && RUNTIME_CLASSES.indexOf(node.expression.text) >= 0) {
    const args = (node.arguments || []).map((a) => {
      if (ts.isSpreadElement(a)) context.diagnostics.push(error(a, 'spread arguments to new ' + node.expression.getText() + ' are not supported'));
      return context.transformExpression(a);
    });
    const ctor = tstl.createTableIndexExpression(tstl.createIdentifier(node.expression.text), tstl.createStringLiteral('new'));
    return tstl.createCallExpression(ctor, args, node);
  }
  return leafVisitor(node, context);
}

/** Import "./x.js" -> the source "./x.ts" next to the importing file. */
function moduleResolution(moduleIdentifier: string, requiringFile: string): string | undefined {
  if (!moduleIdentifier.startsWith('.') || !moduleIdentifier.endsWith('.js') || requiringFile.endsWith('.lua')) return undefined;
  return moduleIdentifier.slice(0, -3);
}

const visitors: tstl.Visitors = {
  [ts.SyntaxKind.BinaryExpression]: binaryVisitor,
  [ts.SyntaxKind.PrefixUnaryExpression]: prefixVisitor,
};
for (const kind of LEAF_KINDS) (visitors as Record<number, unknown>)[kind] = leafVisitor;
visitors[ts.SyntaxKind.NewExpression] = newVisitor;
visitors[ts.SyntaxKind.ElementAccessExpression] = elementVisitor;
visitors[ts.SyntaxKind.PropertyAccessExpression] = propertyVisitor;

/**
 * Modules the core reaches only through `import type` (erased from every output) that use Node
 * packages: the wire schemas protocol.ts derives its request types from (TypeBox). tstl still
 * transpiles every file of the program, so they are dropped before its dependency resolution
 * and bundling: nothing requires them at run time.
 */
const TYPE_ONLY_SOURCES = [/[\\/]src[\\/]sync-schema\.ts$/];

function dropTypeOnlySources(_program: ts.Program, _options: tstl.CompilerOptions, _host: tstl.EmitHost, files: tstl.ProcessedFile[]): void {
  for (let i = files.length - 1; i >= 0; i--) {
    if (TYPE_ONLY_SOURCES.some((re) => re.test(files[i].fileName))) files.splice(i, 1);
  }
}

/** The plugin object (passed in memory to tstl by build.ts). */
export const fobgateLuaPlugin: tstl.Plugin = {
  visitors: visitors,
  moduleResolution: moduleResolution,
  afterPrint: dropTypeOnlySources,
};
