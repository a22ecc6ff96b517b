// Golden vectors of the TypeScript tests, replayed on reference Lua 5.3.x compiled to WebAssembly
// (npm lua-wasm-bindings): every call the shared/src tests make into the Lua build gives the same
// result in Lua (see suite.ts, golden.ts).
import { test } from 'uvu';
import { goldenSuite } from './suite.js';
import { wasmHostFor } from './lua-hosts.js';

goldenSuite(wasmHostFor('5.3'));

test.run();
