import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TenantChangeError } from './changes.js';
import { sharedDirProblems, usedDirProblems } from './data-dirs.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import {
  ConfigError,
  configError,
  createDataDirs,
  emptyConfig,
  parseConfig,
  serializeConfig,
  validateConfig,
  type LoadedConfig,
  type TenantsFile,
} from './config.js';

export interface EditOptions {
  /** Start from `{"tenants": {}}` when the file does not exist (else that is an error). */
  create?: boolean;
  /** Runs after the new config validated and before it is saved; default: create the data directories. */
  prepare?: (config: LoadedConfig) => Promise<void>;
}

/**
 * Applies `change` to the tenants file as it is on disk now (so a hand edit is never overwritten
 * by a stale copy), validates the result, creates the data directories and saves it atomically.
 * A file that is broken before the change is refused with a 409; nothing is written then. So is
 * a new tenant whose directory already holds something (a deleted tenant's data stays on disk and
 * must not pass to a new tenant of the same name), and any data_dir that is another's, or inside
 * another's, once symlinks are resolved.
 */
export async function editConfig<T>(
  path: string,
  change: (file: TenantsFile) => { file: TenantsFile; result: T },
  options: EditOptions = {},
): Promise<{ config: LoadedConfig; result: T; text: string }> {
  const absolute = resolve(path);
  let current: TenantsFile;
  try {
    current = parseConfig(await readFile(absolute, 'utf8'), absolute).file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.create) current = emptyConfig();
    else if (err instanceof ConfigError) throw new TenantChangeError(`the config file is invalid, fix it first: ${err.message}`, 409);
    else throw err;
  }
  const { file, result } = change(current);
  let config: LoadedConfig;
  try {
    config = validateConfig(file, absolute);
  } catch (err) {
    if (err instanceof ConfigError) throw new TenantChangeError(err.message, 409);
    throw err;
  }
  const known = new Set(Object.values(current.tenants).map((e) => e.name));
  const added = config.tenants.filter((t) => !known.has(t.name));
  const problems = [...(await sharedDirProblems(config.tenants)), ...(await usedDirProblems(added))];
  if (problems.length > 0) throw new TenantChangeError(configError(absolute, problems).message, 409);
  try {
    await (options.prepare ?? createDataDirs)(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new TenantChangeError(err.message, 409);
    throw err;
  }
  const text = serializeConfig(file);
  await writeFileAtomic(absolute, text, { mode: 0o600 });
  return { config, result, text };
}
