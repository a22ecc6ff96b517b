// Golden vectors, group "core" (every shared/src test file no other group names: fob codes, Wiegand, HMAC, SHA-256 ...): every call these TypeScript tests make into the Lua build is
// replayed on reference Lua 5.1 and 5.4 (WebAssembly) and Debian's lua5.1 when present, and must
// give TypeScript's result (see suite.ts, golden.ts, docs/lua.md).
// @timeout 600: it records a TypeScript test file and replays every call on real interpreters,
// CPU-bound work that takes minutes when the machine is busy (tools/test.mjs).
import { test } from 'uvu';
import { goldenSuite } from './suite.js';

goldenSuite('core');

test.run();
