// The shared core as the Lua build exports it (docs/lua.md): `require("fobgate_core")` (or dofile of
// dist/lua/fobgate_core.lua) returns one table holding everything exported here, under the same
// names as in TypeScript. Compiled by build.ts with typescript-to-lua for Lua 5.1 and later.
export * from '../src/errors.js';
export * from '../src/fob.js';
export * from '../src/wiegand.js';
export * from '../src/hmac.js';
export * from '../src/sha256.js';
export * from '../src/decision.js';
export * from '../src/legacy-update.js';
export * from '../src/authlist.js';
export * from '../src/protocol.js';
