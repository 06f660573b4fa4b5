/** Command-line options shared by the `sq tenants` actions. */
import { parseArgs } from 'node:util';
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
