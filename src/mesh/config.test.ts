import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeshConfigError, meshConfig } from './config.js';

/** The example of the original's docs, with a share list added to its peer. */
const ORIGINAL = {
  version: '1.0',
  node: { id: 'halycon-vector', name: 'Cyon', emoji: '🪶', coordinate: '2.7.1/8.2.8/3.1.4' },
  inbound: { enabled: true, port: 2086, auth_key: 'pmb-v1-halycon-vector-2026', data_dir: '/var/sq/data' },
  outbound: {
    enabled: true,
    peers: [{ id: 'peer-b', name: 'B', host: '10.0.0.2', port: 2086, auth_key: 'k', coordinate: '1.1.1/1.1.1/1.1.1', priority: 1 }],
  },
  mesh: { sync_interval_seconds: 300, health_check_interval_seconds: 60, retry_backoff_seconds: 30, max_retries: 3 },
};

test("the original's config is read as it is, share and tenants lists added", () => {
  const config = meshConfig({
    ...ORIGINAL,
    outbound: { ...ORIGINAL.outbound, peers: [{ ...ORIGINAL.outbound.peers[0], share: ['notes'], tenants: ['alice'] }] },
  });
  assert.equal(config.node.id, 'halycon-vector');
  assert.equal(config.inbound.port, 2086);
  assert.deepEqual(config.outbound.peers[0]!.share, ['notes']);
  assert.deepEqual(config.outbound.peers[0]!.tenants, ['alice']);
  assert.equal(meshConfig(ORIGINAL).outbound.peers[0]!.tenants, undefined);
  assert.equal(config.mesh.max_retries, 3);
});

test("its defaults are the original's", () => {
  const config = meshConfig({ version: '1.0', node: { id: 'a' }, inbound: { auth_key: 'k' }, outbound: {} });
  assert.equal(config.inbound.port, 2086);
  assert.equal(config.inbound.data_dir, '/var/sq/data');
  assert.deepEqual(config.mesh, {
    sync_interval_seconds: 300,
    health_check_interval_seconds: 60,
    retry_backoff_seconds: 30,
    max_retries: 3,
  });
});

test('a wrong config is refused in one line naming what is wrong', () => {
  const refused = (input: unknown, message: RegExp) =>
    assert.throws(
      () => meshConfig(input),
      (e: unknown) => e instanceof MeshConfigError && message.test(e.message) && !e.message.includes('\n'),
    );
  refused({ ...ORIGINAL, version: '0.9' }, /^Unsupported mesh config version: 0\.9$/);
  refused({ ...ORIGINAL, inbound: { ...ORIGINAL.inbound, auth_key: '' } }, /^Inbound auth_key is required when inbound is enabled$/);
  refused({ ...ORIGINAL, outbound: { enabled: true, peers: [{ id: 'x', host: 'h' }] } }, /^Peer x has no auth_key$/);
  refused({ ...ORIGINAL, outbound: { enabled: true, peers: [{ id: 'x', auth_key: 'k' }] } }, /^Peer x has no host$/);
  refused({ ...ORIGINAL, outbound: { enabled: true, peers: [{ id: 'halycon-vector', host: 'h', auth_key: 'k' }] } }, /own id/);
  refused(
    { ...ORIGINAL, outbound: { enabled: true, peers: [{ id: 'x', host: 'h', auth_key: 'k', share: ['../etc'] }] } },
    /^outbound\.peers\.0\.share\.0: /,
  );
  refused({ ...ORIGINAL, mesh: { ...ORIGINAL.mesh, max_retries: -1 } }, /^mesh\.max_retries: /);
  refused({ ...ORIGINAL, extra: 1 }, /^config: Unrecognized key/);
  // An inbound-disabled node needs no key; a disabled outbound's peers are not checked.
  meshConfig({ ...ORIGINAL, inbound: { enabled: false }, outbound: { enabled: false, peers: [{ id: 'x' }] } });
});
