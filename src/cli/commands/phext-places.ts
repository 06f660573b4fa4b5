/**
 * Where `sq export` reads and `sq import` writes a tenant's phexts: a PostgreSQL database
 * (`--store URL --tenant T`) or a data directory (`--data-dir DIR`), always through the store
 * `sq host` would use there, so that what is copied is what the server serves (a data
 * directory's change log included).
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeStoreUrl, isStoreUrl, STORE_URL_RULE, storeConnections } from '../../server/store-url.js';
import type { DocumentStore } from '../../store/document-store.js';
import { DirLockedError } from '../../store/dir-lock.js';
import { FileDocumentStore, lockDirectory } from '../../store/index.js';
import { UsageError } from '../command.js';
import { positiveNumber } from '../options.js';
import { phextNamesIn } from '../../store/phext-names.js';

const MiB = 1024 * 1024;
/** Phexts are copied one at a time: the cache need hold little more than one. */
const CACHE_BYTES = 64 * MiB;
/** The tenant of a single-tenant `sq host` (no --config), whose phexts a data directory holds. */
const SINGLE_TENANT = 'default';

export const PLACE_OPTIONS = {
  store: { type: 'string' },
  tenant: { type: 'string' },
  'data-dir': { type: 'string' },
  'max-phext-mb': { type: 'string' },
} as const;

export const PLACE_USAGE = `  --store URL          a PostgreSQL database, as sq host --store takes it (a password is
                       best left to PGPASSWORD); with --tenant
  --tenant T           the tenant whose phexts these are: its name in the tenants file or
                       table; a single-tenant sq host --store (no --config) keeps its
                       phexts as tenant default
  --data-dir DIR       a data directory, as sq host --data-dir serves it (a tenant's
                       data_dir with --config); refused while a server runs on it
  --max-phext-mb N     refuse phexts larger than this (default 1024, as sq host)`;

/** A database and tenant, or a data directory, as the options name it. */
type Place = { readonly url: string; readonly tenant: string } | { readonly dir: string };

/** The place the options name: exactly one of --store (with --tenant) or --data-dir. */
export function placeOf(values: { store?: string; tenant?: string; 'data-dir'?: string }): Place {
  if (values.store !== undefined && values['data-dir'] !== undefined) throw new UsageError('give --store or --data-dir, not both');
  if (values.store !== undefined) {
    if (!isStoreUrl(values.store)) throw new UsageError(`--store ${STORE_URL_RULE}`);
    if (values.tenant === undefined || values.tenant === '')
      throw new UsageError('--store needs --tenant T (default for a single-tenant sq host)');
    return { url: values.store, tenant: values.tenant };
  }
  if (values['data-dir'] === undefined) throw new UsageError('--store URL --tenant T or --data-dir DIR is required');
  if (values.tenant !== undefined) throw new UsageError('--tenant goes with --store: a data directory holds one tenant');
  return { dir: resolve(values['data-dir']) };
}

/** `--max-phext-mb` in bytes. */
export function maxPhextBytes(values: { 'max-phext-mb'?: string }): number {
  return Math.floor(positiveNumber(values['max-phext-mb'], 'max-phext-mb', 1024) * MiB);
}

/** A place opened: its store, the tenant's key there, and the names of the phexts it holds. */
export interface OpenPlace {
  readonly store: DocumentStore;
  readonly tenant: string;
  /** For messages: the database without credentials and the tenant, or the directory. */
  readonly where: string;
  names(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Opens the store of `place`. A data directory is locked as `sq host` locks it, so that no
 * server serves it meanwhile; one a server runs on is refused (its change log is that server's).
 * `create`: a missing data directory is made (an import), else refused.
 */
export async function openPlace(place: Place, maxBytes: number, create: boolean): Promise<OpenPlace> {
  const notice = (line: string) => process.stderr.write(`${line}\n`);
  if ('url' in place) {
    const where = describeStoreUrl(place.url);
    const { PgDocumentStore } = await import('../../store/pg/pg-store.js');
    let store: Awaited<ReturnType<typeof PgDocumentStore.open>>;
    try {
      store = await PgDocumentStore.open({
        connection: storeConnections(place.url),
        cacheBytes: CACHE_BYTES,
        maxPhextBytes: maxBytes,
        notice,
      });
    } catch (e) {
      throw new Error(`cannot open the store ${where}: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
    }
    return {
      store,
      tenant: place.tenant,
      where: `${where} (tenant ${place.tenant})`,
      names: () => store.names(place.tenant),
      close: () => store.close(),
    };
  }
  const { dir } = place;
  if (create) await mkdir(dir, { recursive: true });
  const kind = await stat(dir).then(
    (s) => (s.isDirectory() ? 'dir' : 'other'),
    () => 'missing',
  );
  if (kind !== 'dir') throw new Error(`${dir} is ${kind === 'missing' ? 'missing' : 'not a directory'}`);
  let lock;
  try {
    lock = await lockDirectory(dir);
  } catch (e) {
    if (!(e instanceof DirLockedError)) throw e;
    throw new Error(
      `${dir} is served by a running sq process${e.pid ? ` (pid ${e.pid})` : ''}: stop it first (a clean stop folds its changes into the .phext files)`,
    );
  }
  const store = new FileDocumentStore({
    directories: (tenant) => (tenant === SINGLE_TENANT ? dir : undefined),
    cacheBytes: CACHE_BYTES,
    maxPhextBytes: maxBytes,
    notice,
  });
  return {
    store,
    tenant: SINGLE_TENANT,
    where: dir,
    names: () => phextNamesIn(dir, true),
    async close() {
      // Folds what was written or replayed into the .phext files before the directory is given up.
      await store.close();
      lock.release();
    },
  };
}
