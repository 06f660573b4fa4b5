import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PhextRef } from '../commands/input.js';
import { phextPath } from './phext-path.js';

/**
 * Where the original SQ keeps the phext of requests without `p`: the file `.phext` (an empty
 * name) in its data directory. No `p` name can reach it, so it gets this way in.
 */
const ORIGINAL_FILE = '.phext';

/**
 * The phext of a request without `p` (or with `p=`) in `dataDir`: the original's `.phext` while
 * that file exists, so what the original stored there stays reachable, else `<configured>.phext`.
 * The choice follows the file alone (not whether `<configured>.phext` exists), so writing either
 * phext by name never moves requests without `p` to the other one. One stat per such request.
 */
export async function defaultPhext(dataDir: string, configured: string): Promise<PhextRef> {
  const original = join(dataDir, ORIGINAL_FILE);
  const found = await stat(original).then(
    (s) => s.isFile(),
    () => false,
  );
  return found ? { name: '', path: original } : { name: configured, path: phextPath(dataDir, configured) };
}
