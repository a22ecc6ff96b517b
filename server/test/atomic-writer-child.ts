// Helper process for atomic-file.test.ts: rewrites the given state file through the atomic
// adapter as fast as it can until it is killed.
import { createAtomicFileAdapter } from '../src/atomic-file.js';

const path = process.argv[2];
const adapter = createAtomicFileAdapter<{ gen: number; pad: string }>(path);
const pad = 'y'.repeat(300_000);
let gen = 1;
let told = false;
for (;;) {
  await adapter.write({ gen: gen++, pad });
  if (!told) {
    process.stdout.write('writing\n');
    told = true;
  }
}
