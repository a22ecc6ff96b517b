// Rewrites a script so Node runs it the way Espruino does with respect to hoisting: each function
// declaration becomes `var f = function f() {...};` where it stands, so calling it before that
// line fails (TypeError) as it does on the interpreter. Used by tests (and usable by the
// simulator) to prove the built firmware does not depend on hoisting.
import * as acorn from 'acorn';

interface Decl {
  type: string;
  start: number;
  end: number;
  id?: { name: string } | null;
  [key: string]: unknown;
}

export function withoutHoisting(code: string): string {
  const ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script' }) as unknown as Decl;
  const inserts: Array<{ at: number; text: string }> = [];
  function visit(n: Decl): void {
    if (n.type === 'FunctionDeclaration' && n.id) {
      inserts.push({ at: n.start, text: 'var ' + n.id.name + ' = ' });
      inserts.push({ at: n.end, text: ';' });
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c === 'object' && typeof (c as Decl).type === 'string') visit(c as Decl);
      } else if (v && typeof v === 'object' && typeof (v as Decl).type === 'string') visit(v as Decl);
    }
  }
  visit(ast);
  inserts.sort((a, b) => b.at - a.at);
  let out = code;
  for (const i of inserts) out = out.slice(0, i.at) + i.text + out.slice(i.at);
  return out;
}
