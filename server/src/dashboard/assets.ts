// The dashboard's static files: the HTML pages and stylesheet from server/web/, and the page
// scripts bundled from server/web/src/*.ts by esbuild when the server starts (once per process).
// The members import in the browser runs the scripts' own CSV / members-file parser, so the
// page and `npm run users -- import` read a file the same way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const WEB_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'web');

export interface Asset {
  type: string;
  body: Buffer;
}

const TYPES: { [ext: string]: string } = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

/** The browser has no node:path; the members-file reader only wants basename. */
const nodePathShim: Plugin = {
  name: 'node-path-shim',
  setup(b) {
    b.onResolve({ filter: /^node:path$/ }, () => ({ path: join(WEB_DIR, 'src', 'path-shim.ts') }));
  },
};

let bundles: Promise<Map<string, Asset>> | null = null;

async function bundle(): Promise<Map<string, Asset>> {
  const out = await build({
    entryPoints: { dashboard: join(WEB_DIR, 'src', 'dashboard.ts'), board: join(WEB_DIR, 'src', 'board.ts') },
    bundle: true,
    write: false,
    format: 'iife',
    target: ['es2020'],
    minify: true,
    outdir: '/assets',
    logLevel: 'silent',
    plugins: [nodePathShim],
  });
  const map = new Map<string, Asset>();
  for (const f of out.outputFiles) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    map.set(name, { type: TYPES.js, body: Buffer.from(f.contents) });
  }
  return map;
}

/** Every asset by file name: dashboard.js, board.js, dashboard.css, index.html, board.html, ... */
export async function loadAssets(): Promise<Map<string, Asset>> {
  if (!bundles) {
    bundles = bundle().catch((e: unknown) => {
      bundles = null;
      throw e;
    });
  }
  const map = new Map(await bundles);
  for (const name of ['index.html', 'board.html', 'dashboard.css', 'icon.svg']) {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    map.set(name, { type: TYPES[ext], body: readFileSync(join(WEB_DIR, name)) });
  }
  return map;
}
