// Golden vectors, group "delta" (authlist-delta.test.ts: deltas, wrong bases, tampered results,
// the size limit), on reference Lua 5.1 (WebAssembly): the heaviest group, one interpreter per
// file. Every call the TypeScript test makes into the Lua build must give TypeScript's result.
// @timeout 600: it records a TypeScript test file and replays every call on real interpreters,
// CPU-bound work that takes minutes when the machine is busy (tools/test.mjs).
import { test } from 'uvu';
import { goldenSuite } from './suite.js';

goldenSuite('delta', ['5.1']);

test.run();
