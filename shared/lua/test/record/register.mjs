// Registers the golden-vector recorder's module hooks (see hooks.mjs). Loaded with
// `node --import tsx --import <this file> <test file>` by shared/lua/test/golden.ts.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

// The recorder writes its file when the process exits, also when the test imported nothing of the core.
await import('./recorder.mjs');
