import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOST_DEFAULTS, HostConfigError, basicConfig, hostConfig } from './host-config.js';

describe('HostConfig', () => {
  it('fills in every default once', () => {
    const config = hostConfig({ port: 1337 });
    assert.deepEqual(config, { port: 1337, ...HOST_DEFAULTS });
    assert.equal(config.maxBodyBytes, 64 * 1024 * 1024);
    assert.equal(config.drainMs, 5_000);
    assert.equal(config.trustedPages, false);
  });

  it('keeps what it is given', () => {
    const config = hostConfig({ port: 0, drainMs: 250, maxConnections: 3, logFormat: 'json' });
    assert.deepEqual([config.drainMs, config.maxConnections, config.logFormat], [250, 3, 'json']);
  });

  it('refuses settings out of range, naming them', () => {
    const cases: [Parameters<typeof hostConfig>[0], RegExp][] = [
      [{ port: 70000 }, /^port: /],
      [{ port: 0, maxConnections: 0 }, /^maxConnections: /],
      [{ port: 0, drainMs: 1.5 }, /^drainMs: /],
      [{ port: 0, cacheMb: -1 }, /^cacheMb: /],
      [{ port: 0, logFormat: 'xml' as 'text' }, /^logFormat: /],
      [{ port: 0, config: 'tenants.json', key: 'k' }, /tenants file/],
      [{ port: 0, unknown: 1 } as Parameters<typeof hostConfig>[0], /unknown/i],
      [{ port: 0, watchMaxStreams: 0 }, /^watchMaxStreams: /],
      [{ port: 0, watchBufferBytes: 0.5 }, /^watchBufferBytes: /],
      [{ port: 0, watchHeartbeatMs: -1 }, /^watchHeartbeatMs: /],
      [{ port: 0, watchMaxStreams: 10, watchMaxStreamsPerTenant: 11 }, /^watchMaxStreamsPerTenant: at most watchMaxStreams/],
    ];
    for (const [input, message] of cases)
      assert.throws(
        () => hostConfig(input),
        (e: unknown) => e instanceof HostConfigError && message.test(e.message),
      );
  });

  it('sq basic is a preset: index by default, trusted pages on loopback only', () => {
    const local = basicConfig(1337, '127.0.0.1', true);
    assert.equal(local.defaultPhext, 'index');
    assert.equal(local.trustedPages, true);
    assert.equal(local.maxConnections, HOST_DEFAULTS.maxConnections);
    assert.equal(basicConfig(1337, '0.0.0.0', false).trustedPages, false);
  });
});
