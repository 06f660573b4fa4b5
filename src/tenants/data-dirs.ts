/**
 * Checks of the tenants' data directories as the file system sees them. The file's own checks
 * compare paths as written; a symlink can still make two of them one directory, and a tenant
 * must never see another tenant's files.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ConfiguredTenant } from './tenant.js';
import { redact } from './token.js';

/** The real path of `path`, which need not exist yet: that of its nearest existing ancestor plus the rest. */
async function realPathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const parent = dirname(path);
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) return path;
    return join(await realPathOf(parent), basename(path));
  }
}

/**
 * One line per tenant whose data directory, by real path, is another tenant's or lies inside
 * another tenant's (that tenant would see its phexts, and count them against its quota).
 */
export async function sharedDirProblems(tenants: readonly ConfiguredTenant[]): Promise<string[]> {
  const real = await Promise.all(tenants.map(async (t) => ({ t, real: await realPathOf(t.dataDir) })));
  const byReal = new Map<string, ConfiguredTenant>();
  const problems: string[] = [];
  for (const { t, real: dir } of real) {
    const other = byReal.get(dir);
    if (other)
      problems.push(
        `${where(t)}: ${t.dataDir} is the same directory as the data_dir of tenant "${other.name}" (${dir}) (tenant "${t.name}")`,
      );
    else byReal.set(dir, t);
  }
  for (const { t, real: dir } of real) {
    for (let up = dirname(dir); ; up = dirname(up)) {
      const outer = byReal.get(up);
      if (outer && outer !== t) {
        problems.push(
          `${where(t)}: ${t.dataDir} lies inside ${outer.dataDir}, the data_dir of tenant "${outer.name}" (tenant "${t.name}")`,
        );
        break;
      }
      if (up === dirname(up)) break;
    }
  }
  return problems;
}

/**
 * One line per new tenant whose data directory is there already and is not empty (say, the
 * data of a deleted tenant of the same name), or is not a directory. A new tenant starts empty.
 */
export async function usedDirProblems(tenants: readonly ConfiguredTenant[]): Promise<string[]> {
  const problems = await Promise.all(
    tenants.map(async (t): Promise<string | undefined> => {
      const st = await stat(t.dataDir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      if (!st) return undefined;
      if (!st.isDirectory()) return `${where(t)}: ${t.dataDir} exists and is not a directory (tenant "${t.name}")`;
      const entries = await readdir(t.dataDir);
      if (entries.length === 0) return undefined;
      return `${where(t)}: ${t.dataDir} already exists and is not empty (left by a deleted tenant?); move it away or choose another name (tenant "${t.name}")`;
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}

function where(t: ConfiguredTenant): string {
  return `tenants[${JSON.stringify(redact(t.key))}].data_dir`;
}
