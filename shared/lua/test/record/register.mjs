// Registers the golden-vector recorder's module hooks (see hooks.mjs). Loaded with
// `node --import tsx --import <this file> <test file>` by shared/lua/test/golden.ts.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
