/** Fresh temporary directories for tests. */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Registers cleanup: a `node:test` TestContext, or `{ after }` for a suite or the whole file. */
export interface Cleanup {
  after(fn: () => void | Promise<void>): void;
}

/**
 * A fresh empty directory under the OS temp dir, removed by `t`'s after hook. The path is the
 * real path, so it matches what a server or daemon records after resolving it.
 */
export function tempDir(t: Cleanup, prefix = 'sq-test-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  // Retried: a server a test started in it may still add a file (a checkpoint) until it is killed
  // by a later hook. Never thrown: a failed hook skips the hooks after it, such as that kill, and
  // the test file would then wait for the server forever; a leftover directory is only noted.
  t.after(() => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    } catch (e) {
      process.emitWarning(`could not remove the test directory ${dir}: ${String(e)}`);
    }
  });
  return dir;
}
