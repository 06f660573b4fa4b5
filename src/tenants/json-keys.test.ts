import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findDuplicateKey } from './json-keys.js';

describe('findDuplicateKey', () => {
  it('finds a repeated key at any depth and reports where', () => {
    assert.deepEqual(findDuplicateKey('{"a": 1, "a": 2}'), { path: [], key: 'a' });
    assert.deepEqual(findDuplicateKey('{"t": {"x": {}, "y": [1, {"k": 1, "k": 2}]}}'), { path: ['t', 'y', 1], key: 'k' });
    assert.deepEqual(findDuplicateKey('{"t": {"a\\"b": 1, "a\\u0022b": 2}}'), { path: ['t'], key: 'a"b' });
  });

  it('accepts equal keys in different objects, and values equal to keys', () => {
    assert.equal(findDuplicateKey('[{"a": 1}, {"a": 2}]'), undefined);
    assert.equal(findDuplicateKey('{"a": "a", "b": {"a": "}{,"}, "c": ["a", "a"]}'), undefined);
  });
});
