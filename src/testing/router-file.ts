/** Router configs for tests, written the way an editor saves (temp file + rename). */
import { join } from 'node:path';
import type { RouterTenant } from '../router/config.js';
import { replaceFile } from './replace-file.js';

/** Writes `<dir>/router.json` holding `tenants` (or exactly `tenants` when it is text); returns its path. */
export function writeRouterConfig(dir: string, tenants: readonly RouterTenant[] | string): string {
  const path = join(dir, 'router.json');
  replaceFile(path, typeof tenants === 'string' ? tenants : JSON.stringify({ tenants }));
  return path;
}
