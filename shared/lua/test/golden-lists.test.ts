// Golden vectors, group "lists" (authlist.test.ts: full lists, lookups, signatures, rollback): every call these TypeScript tests make into the Lua build is
// replayed on reference Lua 5.1 and 5.4 (WebAssembly) and Debian's lua5.1 when present, and must
// give TypeScript's result (see suite.ts, golden.ts, docs/lua.md).
import { test } from 'uvu';
import { goldenSuite } from './suite.js';

goldenSuite('lists');

test.run();
