// The source transforms Espruino needs after TypeScript's ES5 lowering, done on acorn's AST and
// applied as text: (1) every function declaration moves to the top of the statement list that
// holds it (the interpreter does not hoist), after any directive prologue; (2) every hole in an
// array literal becomes `void 0` (a hole inside a skipped `switch` case is a SyntaxError there).
import * as acorn from 'acorn';
import { isNode, type AstNode } from './ast.js';


export interface TransformOptions {
  hoist: boolean;
  holes: boolean;
}

export interface TransformResult {
  code: string;
  /** Function declarations moved up. */
  hoisted: number;
  /** Array holes filled. */
  holes: number;
}

const STATEMENT_LISTS: { [type: string]: string } = {
  Program: 'body',
  BlockStatement: 'body',
  StaticBlock: 'body',
  SwitchCase: 'consequent',
};

/** Child nodes and node arrays of a node, in source order. */
function children(node: AstNode): Array<AstNode | { list: Array<AstNode | null>; key: string }> {
  const out: Array<{ at: number; item: AstNode | { list: Array<AstNode | null>; key: string } }> = [];
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
    const v = node[key];
    if (isNode(v)) out.push({ at: v.start, item: v });
    else if (Array.isArray(v)) {
      const first = v.find(isNode);
      if (first) out.push({ at: first.start, item: { list: v as Array<AstNode | null>, key: key } });
    }
  }
  out.sort((a, b) => a.at - b.at);
  return out.map((o) => o.item);
}

/** Statements in the order Espruino needs: directives, then function declarations, then the rest. */
function hoistOrder(list: AstNode[]): { order: AstNode[]; moved: number } {
  const directives: AstNode[] = [];
  const functions: AstNode[] = [];
  const rest: AstNode[] = [];
  let prologue = true;
  let moved = 0;
  for (const s of list) {
    if (prologue && s.type === 'ExpressionStatement' && typeof s.directive === 'string') {
      directives.push(s);
      continue;
    }
    prologue = false;
    if (s.type === 'FunctionDeclaration') {
      if (rest.length > 0) moved++;
      functions.push(s);
    } else rest.push(s);
  }
  return { order: directives.concat(functions, rest), moved: moved };
}

/** Applies the transforms to ES5 (or later) source; throws acorn's SyntaxError on bad input. */
export function transformSource(src: string, opts: TransformOptions): TransformResult {
  const ast = acorn.parse(src, { ecmaVersion: 'latest', sourceType: 'script', allowHashBang: true }) as unknown as AstNode;
  let hoisted = 0;
  let holes = 0;

  function statementText(s: AstNode, moving: boolean): string {
    const text = render(s);
    // A statement that relied on automatic semicolon insertion may meet a new neighbour.
    if (moving && !/[;}]\s*$/.test(text)) return text + ';';
    return text;
  }

  function render(node: AstNode): string {
    if (opts.holes && node.type === 'ArrayExpression') {
      const elements = node.elements as Array<AstNode | null>;
      if (elements.some((e) => e === null)) {
        holes += elements.filter((e) => e === null).length;
        return '[' + elements.map((e) => (e === null ? 'void 0' : render(e))).join(', ') + ']';
      }
    }
    let out = '';
    let pos = node.start;
    const listKey = STATEMENT_LISTS[node.type];
    for (const child of children(node)) {
      if (isNode(child)) {
        if (child.start < pos) continue; // shared nodes (shorthand properties) are printed once
        out += src.slice(pos, child.start) + render(child);
        pos = child.end;
        continue;
      }
      const items = child.list.filter(isNode);
      if (items.length === 0 || items[0].start < pos) continue;
      out += src.slice(pos, items[0].start);
      let order = items;
      let reordered = false;
      if (opts.hoist && child.key === listKey) {
        const h = hoistOrder(items);
        if (h.moved > 0) {
          order = h.order;
          reordered = true;
          hoisted += h.moved;
        }
      }
      for (let i = 0; i < order.length; i++) {
        if (i > 0) out += src.slice(items[i - 1].end, items[i].start);
        out += reordered ? statementText(order[i], true) : render(order[i]);
      }
      pos = items[items.length - 1].end;
    }
    return out + src.slice(pos, node.end);
  }

  // Program's range may exclude leading/trailing comments and whitespace: keep them.
  const code = src.slice(0, ast.start) + render(ast) + src.slice(ast.end);
  return { code: code, hoisted: hoisted, holes: holes };
}

/** Moves every function declaration to the top of its enclosing body. */
export function hoistFunctions(src: string): TransformResult {
  return transformSource(src, { hoist: true, holes: false });
}

/** Replaces every array-literal hole with `void 0`. */
export function fillArrayHoles(src: string): TransformResult {
  return transformSource(src, { hoist: false, holes: true });
}
