import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activity } from './activity.js';
import { validateConfig } from './config.js';
import { TenantRegistry } from './registry.js';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 0, 1, 12);

/** alice, bob and carol, whose last requests came at `lastActive` (undefined: none yet). */
function registryWith(lastActive: Record<string, number | undefined>): TenantRegistry {
  const tenants = Object.fromEntries(Object.keys(lastActive).map((name) => [`tok-${name}`, { name, data_dir: name }]));
  const registry = new TenantRegistry(validateConfig({ tenants }, '/sq-activity-test/tenants.json'));
  for (const t of registry.list()) t.stats.lastActive = lastActive[t.name];
  return registry;
}

describe('tenant activity', () => {
  it('counts every configured tenant, and as active those with a request within the window', () => {
    const registry = registryWith({ alice: NOW - MINUTE, bob: NOW - 5 * MINUTE, carol: NOW - 5 * MINUTE - 1, dave: undefined });
    assert.deepEqual(activity(registry, 5 * MINUTE, NOW), { configured: 4, active: 2 }); // the window's edge counts
    assert.deepEqual(activity(registry, MINUTE, NOW), { configured: 4, active: 1 });
    assert.deepEqual(activity(registry, 5 * MINUTE, NOW + 4 * MINUTE), { configured: 4, active: 1 });
  });

  it('defaults to the last five minutes', () => {
    const registry = registryWith({ alice: NOW - 4 * MINUTE, bob: NOW - 6 * MINUTE });
    assert.deepEqual(activity(registry, undefined, NOW), { configured: 2, active: 1 });
  });

  it('reports an empty registry as no tenants', () => {
    assert.deepEqual(activity(registryWith({}), 5 * MINUTE, NOW), { configured: 0, active: 0 });
  });
});
