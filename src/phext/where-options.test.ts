import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { whereAlgorithm, whereLimit } from './where-options.js';

describe('where options', () => {
  it('default to xor and 100 when absent or empty, and refuse anything else', () => {
    assert.equal(whereAlgorithm(undefined), 'xor');
    assert.equal(whereAlgorithm(''), 'xor');
    assert.equal(whereAlgorithm('checksum'), 'checksum');
    assert.equal(whereAlgorithm('md5'), undefined);
    assert.equal(whereAlgorithm('XOR'), undefined);
    assert.equal(whereLimit(undefined), 100);
    assert.equal(whereLimit(''), 100);
    assert.equal(whereLimit('0'), 0);
    assert.equal(whereLimit('999999999'), 999999999);
    for (const bad of ['-1', '1.5', '1e3', '1000000000', ' 5']) assert.equal(whereLimit(bad), undefined, bad);
  });
});
