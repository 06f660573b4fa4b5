import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` (debounced) when the file at `path` changes. Watches the DIRECTORY, because
 * editors and atomic writers replace the file by rename, which a watch on the file itself misses.
 */
export function watchConfigFile(
  path: string,
  onChange: () => void,
  onError: (err: Error) => void,
  debounceMs = 100,
): { close(): void } {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      // Some platforms omit the file name; then any change in the directory counts.
      if (filename !== null && filename !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
    });
    watcher.on('error', (err) => {
      watcher?.close();
      onError(err);
    });
  } catch (err) {
    onError(err as Error); // SIGHUP and reload() still work
  }
  return {
    close(): void {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
