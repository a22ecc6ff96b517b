// Request bodies in plain ASCII: what the unit signs is byte for byte what the server checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { asciiJson } from './ascii-json.js';

test('request bodies are ASCII only', () => {
  assert.is(asciiJson({ a: 'caf\u00e9' }), '{"a":"caf\\u00e9"}');
  assert.is(asciiJson({ a: 'plain' }), '{"a":"plain"}');
});

test.run();
