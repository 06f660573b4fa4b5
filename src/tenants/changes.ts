/**
 * Changes to a tenants file, shared by the admin API and `sq tenants`. Each returns a new file
 * object (the input is left alone) and throws a TenantChangeError carrying an HTTP status.
 */
import { join } from 'node:path';
import { TENANT_NAME, TENANT_NAME_RULE, type TenantEntry, type TenantsFile } from './config.js';
import { isMegabytes, MEGABYTES_RULE } from '../units/megabytes.js';
import { generateToken, hashedKey, isHashedKey } from './token.js';

/** A change that cannot be made; `status` is what the admin API answers (400, 404 or 409). */
export class TenantChangeError extends Error {
  override readonly name = 'TenantChangeError';
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
}

/** A tenant just created: its token is known only now. */
export interface NewTenant {
  readonly name: string;
  readonly token: string;
  /** The data_dir as written in the file (may be relative to the file's directory). */
  readonly dataDir: string;
}

/** Rejects a name the file format does not allow. */
function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !TENANT_NAME.test(name)) {
    throw new TenantChangeError(`invalid tenant name ${JSON.stringify(name)}: ${TENANT_NAME_RULE}`, 400);
  }
}

/** Rejects a quota that is not a positive number of megabytes. */
function checkQuotaMb(quotaMb: unknown): asserts quotaMb is number | undefined {
  if (quotaMb !== undefined && !isMegabytes(quotaMb)) {
    throw new TenantChangeError(`invalid quota_mb ${JSON.stringify(quotaMb)}: ${MEGABYTES_RULE}`, 400);
  }
}

/** Adds tenant `name` with a fresh token; its data_dir is `<dataRoot>/<name>` (default: the file's data_root). */
export function addTenant(
  file: TenantsFile,
  name: string,
  options: { quotaMb?: number; dataRoot?: string } = {},
): { file: TenantsFile; tenant: NewTenant } {
  const [tenant] = newTenants(file, [name], options);
  if (!tenant) throw new Error('newTenants returned no tenant'); // one name in, one tenant out
  return { file: withEntries(file, [...Object.entries(file.tenants), entryOf(file, tenant, options.quotaMb)]), tenant };
}

/** Adds `count` tenants `<prefix>-001`, … numbered on from the highest existing `<prefix>-N`. */
export function provisionTenants(
  file: TenantsFile,
  count: number,
  prefix: string,
  options: { quotaMb?: number; dataRoot?: string } = {},
): { file: TenantsFile; tenants: NewTenant[] } {
  if (!Number.isInteger(count) || count < 1) throw new TenantChangeError(`count must be a whole number >= 1, not ${count}`, 400);
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  const highest = Math.max(0, ...Object.values(file.tenants).map((e) => Number(pattern.exec(e.name)?.[1] ?? 0)));
  const width = Math.max(3, String(highest + count).length);
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${String(highest + 1 + i).padStart(width, '0')}`);
  const tenants = newTenants(file, names, options);
  return { file: withEntries(file, [...Object.entries(file.tenants), ...tenants.map((t) => entryOf(file, t, options.quotaMb))]), tenants };
}

/** Removes tenant `name` from the file (its data stays on disk). */
export function removeTenant(file: TenantsFile, name: string): TenantsFile {
  const key = keyOf(file, name);
  return withEntries(
    file,
    Object.entries(file.tenants).filter(([k]) => k !== key),
  );
}

/** Gives tenant `name` a fresh token in place of its old one (kept hashed if it was). */
export function rotateTenant(file: TenantsFile, name: string): { file: TenantsFile; token: string } {
  const oldKey = keyOf(file, name);
  const token = generateToken();
  const newKey = file.hash_new_tokens || isHashedKey(oldKey) ? hashedKey(token) : token;
  return {
    file: withEntries(
      file,
      Object.entries(file.tenants).map(([k, e]) => [k === oldKey ? newKey : k, e]),
    ),
    token,
  };
}

function newTenants(file: TenantsFile, names: string[], options: { quotaMb?: number; dataRoot?: string }): NewTenant[] {
  checkQuotaMb(options.quotaMb);
  const taken = new Set(Object.values(file.tenants).map((e) => e.name));
  const root = options.dataRoot ?? file.data_root ?? 'tenants';
  return names.map((name) => {
    checkName(name);
    if (taken.has(name)) throw new TenantChangeError(`tenant ${name} already exists`, 409);
    return { name, token: generateToken(), dataDir: join(root, name) };
  });
}

function entryOf(file: TenantsFile, t: NewTenant, quotaMb: number | undefined): [string, TenantEntry] {
  const key = file.hash_new_tokens ? hashedKey(t.token) : t.token;
  return [key, { name: t.name, data_dir: t.dataDir, ...(quotaMb === undefined ? {} : { quota_mb: quotaMb }) }];
}

function keyOf(file: TenantsFile, name: string): string {
  const found = Object.entries(file.tenants).find(([, e]) => e.name === name);
  if (!found) throw new TenantChangeError(`no tenant named ${name}`, 404);
  return found[0];
}

function withEntries(file: TenantsFile, entries: [string, TenantEntry][]): TenantsFile {
  return { ...file, tenants: Object.fromEntries(entries) };
}
