// Rewrites a script so Node runs it the way Espruino does with respect to hoisting: each function
// declaration becomes `var f = function f() {...};` where it stands, so calling it before that
// line fails (TypeError) as it does on the interpreter. Used by tests (and usable by the
// simulator) to prove the built firmware does not depend on hoisting.
import * as acorn from 'acorn';
import { walk, type AstNode } from './ast.js';


export function withoutHoisting(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as AstNode;
  const inserts: Array<{ at: number; text: string }> = [];
  walk(ast, (n) => {
    const id = n.id as { name: string } | null | undefined;
    if (n.type === 'FunctionDeclaration' && id) {
      inserts.push({ at: n.start, text: 'var ' + id.name + ' = ' });
      inserts.push({ at: n.end, text: ';' });
    }
  });
  inserts.sort((a, b) => b.at - a.at);
  let out = code;
  for (const i of inserts) out = out.slice(0, i.at) + i.text + out.slice(i.at);
  return out;
}
