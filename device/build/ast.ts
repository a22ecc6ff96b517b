// The few things the build's source passes need of acorn's syntax tree, in one place: the node
// shape they read, the test for "is this a node", and a walk over every node in the tree
// (transforms.ts, ram-functions.ts, gate.ts, no-hoisting.ts).

/** An acorn node, as far as the build reads it. */
export interface AstNode {
  type: string;
  start: number;
  end: number;
  loc?: { start: { line: number; column: number } };
  [key: string]: unknown;
}

/** A syntax-tree node (not a token list, a position or a literal's value). */
export function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as AstNode).type === 'string' && typeof (v as AstNode).start === 'number';
}

/**
 * Calls `visit` on `node` and then on every node below it, depth first in key order, with the
 * parent and the key the node hangs from ('' for the root). `loc` is never walked.
 */
export function walk(node: AstNode, visit: (n: AstNode, parent: AstNode | null, key: string) => void, parent: AstNode | null = null, key = ''): void {
  visit(node, parent, key);
  for (const k of Object.keys(node)) {
    if (k === 'loc') continue;
    const v = node[k];
    if (isNode(v)) walk(v, visit, node, k);
    else if (Array.isArray(v)) for (const c of v) if (isNode(c)) walk(c, visit, node, k);
  }
}
