// Starts a worker thread from a module of this package. Compiled JavaScript is started as it is.
// Under tsx (npm start, the tests) the module is TypeScript: it is bundled once with esbuild (the
// compiler tsx itself runs on) into plain JavaScript under node_modules/.cache/fobgate, keyed by
// the sources' sizes and times (other packages stay imports), because registering tsx inside every worker costs seconds on a
// busy machine while loading a bundle costs milliseconds.
import { Worker } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundles = new Map<string, string>();

/** Everything under `dir` that a bundle may have taken in, as one fingerprint. */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (name.endsWith('.ts')) h.update(`${p}:${st.size}:${st.mtimeMs}\n`);
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

function bundleOf(entry: string): string {
  const known = bundles.get(entry);
  if (known) return known;
  const srcDir = dirname(entry);
  const cacheDir = fileURLToPath(new URL('../node_modules/.cache/fobgate/', import.meta.url));
  const name = entry.slice(srcDir.length + 1).replace(/\.ts$/, '');
  const out = join(cacheDir, `${name}-${fingerprint(srcDir)}.mjs`);
  if (!existsSync(out)) {
    const require = createRequire(import.meta.url);
    const esbuild = require('esbuild') as typeof import('esbuild');
    const built = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      packages: 'external',
      logLevel: 'silent',
    });
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, built.outputFiles[0].text, { mode: 0o600 });
    renameSync(tmp, out);
  }
  bundles.set(entry, out);
  return out;
}

export function spawnWorker(moduleUrl: URL, workerData: unknown): Worker {
  const path = fileURLToPath(moduleUrl);
  if (!path.endsWith('.ts')) return new Worker(moduleUrl, { workerData });
  return new Worker(bundleOf(path), { workerData });
}
