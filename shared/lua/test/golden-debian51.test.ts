// Golden vectors of the TypeScript tests, replayed on Debian's lua5.1 (the C interpreter; CI
// installs it in .ci/run). Without the binary the tests are skipped and say so.
import { test } from 'uvu';
import { goldenSuite } from './suite.js';
import { debianHost, NO_DEBIAN_LUA } from './lua-hosts.js';

goldenSuite(debianHost(), NO_DEBIAN_LUA);

test.run();
