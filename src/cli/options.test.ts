import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './command.js';
import { byteSize, positiveNumber, parsePort, positiveInteger, positiveRatio, timeouts } from './options.js';

describe('command-line values', () => {
  it('reads byte sizes with binary suffixes', () => {
    assert.equal(byteSize(undefined, 'max-body', 7), 7);
    assert.equal(byteSize('67108864', 'max-body', 0), 64 * 1024 * 1024);
    assert.equal(byteSize('64M', 'max-body', 0), 64 * 1024 * 1024);
    assert.equal(byteSize('64MiB', 'max-body', 0), 64 * 1024 * 1024);
    assert.equal(byteSize('2k', 'max-body', 0), 2048);
    assert.equal(byteSize('1G', 'max-body', 0), 1024 ** 3);
    for (const bad of ['', '0', '-1', '1.5M', '64X', 'M', '1e6']) {
      assert.throws(() => byteSize(bad, 'max-body', 0), UsageError, bad);
    }
  });

  it('refuses non-integers and non-positive counts and timeouts', () => {
    assert.equal(positiveInteger('512', 'max-connections', 0), 512);
    for (const bad of ['0', '-3', '2.5', 'ten', '', '1e3']) {
      assert.throws(() => positiveInteger(bad, 'max-connections', 0), /--max-connections must be a whole number/, bad);
    }
    assert.deepEqual(timeouts({ 'headers-timeout-ms': '500' }, { headersTimeoutMs: 1, requestTimeoutMs: 2, keepAliveTimeoutMs: 3 }), {
      headersTimeoutMs: 500,
      requestTimeoutMs: 2,
      keepAliveTimeoutMs: 3,
    });
  });

  it('allows fractions where a number is a quantity, and checks ports', () => {
    assert.equal(positiveNumber('0.5', 'cache-mb', 512), 0.5);
    assert.equal(positiveNumber(undefined, 'quota-mb'), undefined);
    for (const bad of ['0', ' ', '-1', 'Infinity', 'NaN', '1MB']) {
      assert.throws(() => positiveNumber(bad, 'cache-mb', 512), /--cache-mb must be a number of megabytes > 0/, bad);
    }
    assert.equal(positiveRatio('0.1', 'checkpoint-ratio'), 0.1);
    assert.equal(positiveRatio('2', 'checkpoint-ratio'), 2);
    for (const bad of ['0', '0.0', '', '-0.1', '1e3', 'abc', '.']) {
      assert.throws(
        () => positiveRatio(bad, 'checkpoint-ratio'),
        /^UsageError: --checkpoint-ratio must be a number > 0 \(e\.g\. 0\.1\), got /,
        bad,
      );
    }
    assert.equal(parsePort('0'), 0);
    assert.equal(parsePort('65535'), 65535);
    for (const bad of ['65536', '-1', '80.5', 'http']) assert.throws(() => parsePort(bad), UsageError, bad);
  });
});
