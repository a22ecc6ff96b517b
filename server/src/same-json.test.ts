// sameJson agrees with comparing JSON.stringify outputs (key order aside) on the shapes it meets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialState } from '@fobgate/shared';
import { sameJson } from './same-json.js';

test('equal and unequal values', () => {
  const a = { x: 1, y: [1, { z: 'a' }], u: null, v: undefined };
  assert.ok(sameJson(a, { y: [1, { z: 'a' }], x: 1, u: null }));
  assert.not.ok(sameJson(a, { x: 1, y: [1, { z: 'b' }], u: null }));
  assert.not.ok(sameJson(a, { x: 1, y: [1, { z: 'a' }] }));
  assert.not.ok(sameJson([1, 2], [1, 2, 3]));
  assert.not.ok(sameJson([], {}));
  assert.not.ok(sameJson(null, {}));
  assert.not.ok(sameJson(0, '0'));
  const s = initialState();
  assert.ok(sameJson(s, JSON.parse(JSON.stringify(s))));
  assert.not.ok(sameJson(s, { ...s, relay: !s.relay }));
});

test.run();
