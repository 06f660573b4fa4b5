/**
 * Where `sq tenants` reads and changes the tenants: a tenants file (`--config FILE`), or the
 * table of a database (`--store URL`, as `sq host --tenants-from-store` reads it). A change goes
 * through the same TenantSource.edit as the admin API's, so every running server applies it: at
 * once when it watches the file or is asked to reload, within a second from the table.
 */
import { readFile } from 'node:fs/promises';
import { describeStoreUrl, storeConnections } from '../../server/store-url.js';
import { TenantChangeError } from '../../tenants/changes.js';
import { parseConfig, type LoadedConfig } from '../../tenants/config.js';
import type { EditOptions } from '../../tenants/edit.js';
import { measureUsage } from '../../tenants/quota.js';
import { TenantsFileSource, type TenantEdit } from '../../tenants/source.js';
import type { ConfiguredTenant } from '../../tenants/tenant.js';
import type { TenantsPlace } from './tenants-args.js';

export interface TenantsTarget {
  /** `file`: each tenant's phexts are files in its data_dir; `store`: rows of the database. */
  readonly kind: 'file' | 'store';
  /** The file's absolute path, or the database as describeStoreUrl shows it (no password). */
  readonly where: string;
  /** Applies `edit` to the tenants as they are now and saves them (a TenantChangeError when refused). */
  edit<T>(edit: TenantEdit<T>, options?: EditOptions): Promise<{ config: LoadedConfig; result: T }>;
  /** The tenants as they are now; nothing is created. */
  read(): Promise<LoadedConfig>;
  /** The bytes of each tenant's phexts, by name. */
  usage(tenants: readonly ConfiguredTenant[]): Promise<ReadonlyMap<string, number>>;
  close(): Promise<unknown>;
}

export function openTarget(place: TenantsPlace): Promise<TenantsTarget> {
  return 'store' in place ? openStore(place.store) : Promise.resolve(fileTarget(place.config));
}

/** The first line of an error's message. */
export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

function fileTarget(path: string): TenantsTarget {
  const source = new TenantsFileSource(path);
  return {
    kind: 'file',
    where: source.where,
    edit: (edit, options = {}) => source.edit(edit, options),
    read: async () => parseConfig(await readFile(source.where, 'utf8'), source.where),
    usage: async (tenants) =>
      new Map(await Promise.all(tenants.map(async (t) => [t.name, await measureUsage(t.dataDir).catch(() => 0)] as const))),
    close: async () => undefined,
  };
}

async function openStore(url: string): Promise<TenantsTarget> {
  const where = describeStoreUrl(url);
  const connections = storeConnections(url);
  const { StoreTenants } = await import('../../tenants/store-tenants.js');
  const { usageByTenant } = await import('../../store/pg/usage.js');
  let table: Awaited<ReturnType<typeof StoreTenants.open>>;
  try {
    table = await StoreTenants.open(connections, where, () => undefined);
  } catch (err) {
    throw new Error(`cannot open the store ${where}: ${firstLine(err)}`);
  }
  /** A refusal as one line without the table's name in front; any other failure names the database. */
  const failed =
    (doing: string) =>
    (err: unknown): never => {
      if (err instanceof TenantChangeError) throw new TenantChangeError(err.message.replace(/^\/sq_tenants: /, ''), err.status);
      throw new Error(`cannot ${doing} ${where}: ${firstLine(err)}`);
    };
  return {
    kind: 'store',
    where,
    edit: (edit, options = {}) => table.edit(edit, options).catch(failed('change the tenants in')),
    read: () => table.load().catch(failed('read the tenants of')),
    usage: (tenants) =>
      usageByTenant(
        connections,
        tenants.map((t) => t.name),
      ).catch(failed('measure the phexts in')),
    close: () => table.close(),
  };
}
