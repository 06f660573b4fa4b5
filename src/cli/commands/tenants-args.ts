/** Command-line options shared by the `sq tenants` actions. */
import { parseArgs } from 'node:util';
import { isStoreUrl, STORE_URL_RULE } from '../../server/store-url.js';
import { UsageError } from '../command.js';
import { positiveNumber } from '../options.js';

const OPTIONS = {
  config: { type: 'string' },
  store: { type: 'string' },
  'quota-mb': { type: 'string' },
  prefix: { type: 'string' },
  'data-root': { type: 'string' },
  csv: { type: 'string' },
  'reload-url': { type: 'string' },
} as const;

export type TenantsArgs = ReturnType<typeof parseTenantsArgs>;

/** The options of every `sq tenants` action; a wrong option is a UsageError. */
export function parseTenantsArgs(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--quota-mb` in megabytes, else a UsageError. */
export function quotaOption(values: TenantsArgs['values']): number | undefined {
  return positiveNumber(values['quota-mb'], 'quota-mb');
}

/** Where the tenants are: a tenants file, or the table of a database. */
export type TenantsPlace = { readonly config: string } | { readonly store: string };

/**
 * `--config FILE` or `--store URL`, exactly one, and only the options that make sense there;
 * else a UsageError. With a database there is no directory, and no server to ask for a reload
 * (each follows the table by itself).
 */
export function placeOption(values: TenantsArgs['values']): TenantsPlace {
  const { config, store } = values;
  if (config !== undefined && store !== undefined) {
    throw new UsageError('--config and --store cannot be combined (the tenants are in a file or in a database)');
  }
  if (store === undefined) {
    if (config === undefined) throw new UsageError('--config FILE or --store URL is required');
    return { config };
  }
  if (!isStoreUrl(store)) throw new UsageError(`--store ${STORE_URL_RULE}`);
  if (values['data-root'] !== undefined) throw new UsageError('--data-root is for --config only (in a database, phexts are rows)');
  if (values['reload-url'] !== undefined) {
    throw new UsageError('--reload-url is for --config only (servers on the database follow its changes by themselves)');
  }
  return { store };
}
