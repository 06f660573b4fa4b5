/** Tenants files for end-to-end tests, written the way an editor saves (temp file + rename). */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './replace-file.js';

/** A tenant as a test describes it. */
export interface TestTenant {
  readonly name: string;
  readonly token: string;
  readonly data_dir: string;
  readonly quota_mb?: number;
  readonly webhooks?: readonly object[];
}

/** A fresh `pmb-v1-<32 hex>` token. */
export function newToken(): string {
  return `pmb-v1-${randomBytes(16).toString('hex')}`;
}

/** The text of a tenants file holding `tenants` (and top-level `extra` fields such as admin_key). */
function tenantsFileText(tenants: readonly TestTenant[], extra: Record<string, unknown> = {}): string {
  const entries = tenants.map(({ token, ...entry }) => [token, entry]);
  return JSON.stringify({ ...extra, tenants: Object.fromEntries(entries) }, null, 2);
}

/** Replaces the tenants file at `path` with one holding `tenants`. */
export function writeTenantsFile(path: string, tenants: readonly TestTenant[], extra: Record<string, unknown> = {}): void {
  replaceFile(path, tenantsFileText(tenants, extra));
}

/**
 * A config directory `dir`, emptied, holding `tenants.json` with the raw `tenants` map, and a
 * `rewrite` that replaces the file the way editors do (temp file, rename over it).
 */
export function freshTenantsConfig(dir: string, tenants: object): { path: string; rewrite(value: object | string): void } {
  const path = join(dir, 'tenants.json');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, JSON.stringify({ tenants }));
  return { path, rewrite: (value) => replaceFile(path, typeof value === 'string' ? value : JSON.stringify(value)) };
}
