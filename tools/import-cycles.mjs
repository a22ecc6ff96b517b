#!/usr/bin/env node
// Finds import cycles among the repository's TypeScript files: every static `import` and
// `export … from` (type-only ones too: a type cycle still ties two modules together) is resolved
// the way the compiler resolves it (workspace packages by name through their package.json
// exports) and the strongly connected components of the graph are listed. `npm test` runs it
// (tools/test.mjs) and fails on any cycle.
//
//   node tools/import-cycles.mjs          prints `import cycles: none (N files, M imports)` or each
//                                         cycle as `a.ts -> b.ts -> a.ts`, exits 1 on any
import ts from 'typescript';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = ['shared', 'server', 'device', 'scripts'];

function tsFiles(dir, acc) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, acc);
    else if (/\.(m|c)?ts$/.test(name) && !name.endsWith('.d.ts')) acc.push(p);
  }
  return acc;
}

/** Module specifiers of a file's static imports and re-exports, with whether each is type-only. */
export function importsOf(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const c = st.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      out.push({ spec: st.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const typeOnly = st.isTypeOnly || (!!st.exportClause && ts.isNamedExports(st.exportClause) && st.exportClause.elements.length > 0 && st.exportClause.elements.every((e) => e.isTypeOnly));
      out.push({ spec: st.moduleSpecifier.text, typeOnly });
    }
  }
  return out;
}

/** Tarjan's strongly connected components with more than one file (or a file importing itself). */
export function cyclesOf(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const { to } of graph.get(v) || []) {
      if (!idx.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v), low.get(to)));
      } else if (on.has(to)) {
        low.set(v, Math.min(low.get(v), idx.get(to)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) || []).some((e) => e.to === v);
      if (comp.length > 1 || selfLoop) out.push(comp);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** One concrete cycle through a component, for the message: a -> b -> … -> a. */
function pathThrough(graph, comp) {
  const inComp = new Set(comp);
  const start = comp.slice().sort()[0];
  // prev: file -> { from, typeOnly } of the edge that reached it first
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const { to, typeOnly } of graph.get(v) || []) {
      if (!inComp.has(to)) continue;
      if (to === start) {
        const path = [{ file: start, typeOnly }];
        for (let w = v; w !== start; w = prev.get(w).from) path.unshift({ file: w, typeOnly: prev.get(w).typeOnly });
        path.unshift({ file: start, typeOnly: false });
        return path;
      }
      if (!prev.has(to)) {
        prev.set(to, { from: v, typeOnly });
        queue.push(to);
      }
    }
  }
  return [{ file: start, typeOnly: false }];
}

/** The repository's import graph: file (real path) -> [{ to, typeOnly }], files inside `dirs` only. */
export function importGraph(rootDir, dirs) {
  const options = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, noEmit: true, resolveJsonModule: true };
  const host = ts.createCompilerHost(options);
  const files = [];
  for (const d of dirs) tsFiles(join(rootDir, d), files);
  const repoFiles = new Set(files.map((f) => realpathSync(f)));
  const graph = new Map();
  let edges = 0;
  for (const file of files) {
    const from = realpathSync(file);
    const list = [];
    for (const { spec, typeOnly } of importsOf(file, readFileSync(file, 'utf8'))) {
      const r = ts.resolveModuleName(spec, file, options, host).resolvedModule;
      if (!r || r.isExternalLibraryImport) continue;
      let to;
      try {
        to = realpathSync(r.resolvedFileName);
      } catch {
        continue;
      }
      if (!repoFiles.has(to)) continue;
      list.push({ to, typeOnly });
      edges++;
    }
    graph.set(from, list);
  }
  return { graph, files: files.length, edges };
}

function main() {
  const { graph, files, edges } = importGraph(root, WORKSPACES);
  const rel = (f) => relative(root, f).split(sep).join('/');
  const cycles = cyclesOf(graph).map((comp) => ({ comp }));
  const describe = (c) => {
    const path = pathThrough(graph, c.comp);
    const text = path.map((p, i) => (i === 0 ? rel(p.file) : (p.typeOnly ? ' -(type)-> ' : ' -> ') + rel(p.file))).join('');
    const more = c.comp.length - (path.length - 1);
    return `${c.comp.length} files: ${text}${more > 0 ? ` (+${more} more files in the same cycle)` : ''}`;
  };
  console.log(`import cycles: ${cycles.length === 0 ? 'none' : cycles.length} (${files} files, ${edges} imports)`);
  for (const c of cycles) console.log(`  CYCLE ${describe(c)}`);
  return cycles.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main());
