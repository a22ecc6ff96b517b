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

import { DeltaMerge, DigestJob, FullListCheck, type AuthList, type BodySink, type Sha256Hex } from '../src/authlist.js';

// A Lua host has no `new`: these make the list's streaming checkers (docs/lua.md). Each is the
// TypeScript class, so its methods are called with a colon: m:feed(chunk), m:finish().

/** `new DeltaMerge(base, sink)`: merges a delta onto the held list as its bytes arrive. */
export function newDeltaMerge(base: AuthList, sink: BodySink): DeltaMerge {
  return new DeltaMerge(base, sink);
}

/** `new FullListCheck(digest, bytes)`: checks a downloaded list as it arrives. */
export function newFullListCheck(digest: string, bytes: number): FullListCheck {
  return new FullListCheck(digest, bytes);
}

/** `new DigestJob(text, start, sha256Hex)`: a list's digest in steps of 2 KB pieces. */
export function newDigestJob(text: string, start: number, sha256Hex: Sha256Hex): DigestJob {
  return new DigestJob(text, start, sha256Hex);
}
