// The import-cycle check on a small made-up tree: value and type-only cycles are found, with
// which edge is type-only; imports of outside packages and acyclic chains are not cycles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: plain JavaScript module without declarations
import { cyclesOf, importGraph, importsOf } from './import-cycles.mjs';

type Edge = { to: string; typeOnly: boolean };

function tree(files: { [path: string]: string }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fobgate-cycles-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

test('importsOf: static imports and re-exports, type-only marked', () => {
  const found = importsOf(
    'x.ts',
    [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      "export * from './g.js';",
      "export type { H } from './h.js';",
      "import './side-effect.js';",
      "const later = () => import('./dynamic.js');",
    ].join('\n'),
  );
  assert.equal(found, [
    { spec: './a.js', typeOnly: false },
    { spec: './b.js', typeOnly: true },
    { spec: './c.js', typeOnly: true },
    { spec: './e.js', typeOnly: false },
    { spec: './g.js', typeOnly: false },
    { spec: './h.js', typeOnly: true },
    { spec: './side-effect.js', typeOnly: false },
  ]);
});

test('a value cycle and a type-only cycle are found; a chain and outside packages are not', () => {
  const dir = tree({
    'pkg/src/app.ts': "import { route } from './route.js';\nimport { readFileSync } from 'node:fs';\nexport type Services = { n: number };\nroute();",
    'pkg/src/route.ts': "import type { Services } from './app.js';\nexport function route(s?: Services) { return s; }",
    'pkg/src/a.ts': "import { b } from './b.js';\nexport const a = 1 + b;",
    'pkg/src/b.ts': "import { c } from './c.js';\nexport const b = c;",
    'pkg/src/c.ts': "export const c = 1;",
    'pkg/src/self.ts': "export * from './self.js';",
  });
  try {
    const { graph, files, edges } = importGraph(dir, ['pkg']);
    assert.is(files, 6);
    assert.is(edges, 5);
    const comps = (cyclesOf(graph) as string[][]).map((c) => c.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort());
    assert.equal(comps.sort(), [['app.ts', 'route.ts'], ['self.ts']]);
    const routeEdges = [...(graph as Map<string, Edge[]>).entries()].find(([f]) => f.endsWith('route.ts'))![1];
    assert.equal(routeEdges.map((e) => e.typeOnly), [true]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
