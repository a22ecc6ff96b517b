// The dashboard's page scripts (server/web/src, bundled by esbuild at start-up, which only strips
// types) are type-checked here with the DOM library, as strictly as the rest of the server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const WEB = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'web');

test('server/web/src type-checks (tsc, strict, DOM)', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', WEB], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
});

test.run();
