import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhextRef } from '../commands/input.js';
import type { Tenant } from '../tenants/tenant.js';

/**
 * Where the original SQ keeps the phext of requests without `p`: the file `.phext` (an empty
 * name) in its data directory. No `p` name can reach it, so it gets this way in.
 */
const ORIGINAL_FILE = '.phext';

/**
 * The phext of `tenant`'s request without `p` (or with `p=`): the original's `.phext` (the name
 * `''`) while that file exists in its data directory, so what the original stored there stays
 * reachable, else the phext `configured`.
 * The choice follows the file alone (not whether `<configured>.phext` exists), so writing either
 * phext by name never moves requests without `p` to the other one. One stat per such request.
 */
export async function defaultPhext(tenant: Tenant, configured: string): Promise<PhextRef> {
  const original = join(tenant.dataDir, ORIGINAL_FILE);
  const found = await stat(original).then(
    (s) => s.isFile(),
    () => false,
  );
  return { tenant: tenant.name, name: found ? '' : configured };
}
