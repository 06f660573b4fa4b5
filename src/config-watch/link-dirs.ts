import { readlinkSync } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';

/** As the kernel's ELOOP limit: a longer chain is a loop, and resolving stops there. */
const MAX_LINKS = 40;

const components = (absolute: string): string[] => absolute.slice(parse(absolute).root.length).split(sep).filter(Boolean);

/**
 * The directories whose entries decide which file `path` opens: the parent of every symlink met
 * while resolving it, and the directory of the file it finally names. Replacing any of those
 * entries (an editor's rename, a re-pointed link, a Kubernetes ConfigMap's `..data` swap) can
 * change what `path` reads. Missing parts are fine: resolving just stops following links there.
 */
export function linkDirs(path: string): string[] {
  const dirs = new Set<string>();
  const absolute = resolve(path);
  let current = parse(absolute).root;
  let rest = components(absolute);
  let links = 0;
  while (rest.length > 0) {
    const next = join(current, rest.shift()!);
    let target: string;
    try {
      target = readlinkSync(next);
    } catch {
      current = next; // not a link (EINVAL), or not there (ENOENT)
      continue;
    }
    if (++links > MAX_LINKS) break;
    dirs.add(current);
    const resolved = resolve(current, target);
    rest = [...components(resolved), ...rest];
    current = parse(resolved).root;
  }
  dirs.add(dirname(current));
  return [...dirs];
}
