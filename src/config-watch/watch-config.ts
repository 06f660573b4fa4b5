import { watch, type FSWatcher } from 'node:fs';
import { linkDirs } from './link-dirs.js';

/** A running watch; see {@link watchConfigFile}. */
export interface ConfigWatch {
  close(): void;
}

/**
 * Calls `onChange` (debounced) after anything changes in a directory that decides what `path`
 * reads (see linkDirs): the file's own directory, and those of the symlinks leading to it.
 * Directories are watched rather than the file, because editors, atomic writers and ConfigMaps
 * replace the file or a link by rename, which a watch on the file itself misses. Any event counts,
 * so `onChange` must compare the file's content itself. The links are followed again after every
 * change, since a ConfigMap re-points them. `onError` hears of a directory that cannot be watched.
 */
export function watchConfigFile(path: string, onChange: () => void, onError: (err: Error) => void, debounceMs = 100): ConfigWatch {
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const changed = (): void => {
    if (closed) return;
    follow();
    onChange();
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(changed, debounceMs);
    timer.unref();
  };
  const watchDir = (dir: string): void => {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', (err) => {
        watcher.close();
        watchers.delete(dir);
        onError(err);
      });
      watchers.set(dir, watcher);
    } catch (err) {
      // A directory gone mid-swap is followed again on the next change; others are worth a word.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(err as Error);
    }
  };
  const follow = (): void => {
    const wanted = new Set(linkDirs(path));
    for (const [dir, watcher] of watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      watchers.delete(dir);
    }
    for (const dir of wanted) if (!watchers.has(dir)) watchDir(dir);
  };

  follow();
  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
