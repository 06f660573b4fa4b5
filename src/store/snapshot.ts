import { checksum } from '../phext/checksum.js';
import type { Phext } from '../phext/index.js';
import type { Snapshot } from './document-store.js';

/**
 * An immutable committed state; the checksum is computed on first use and remembered. The phext
 * is frozen, so a change that kept a reference to its draft cannot alter it after the commit.
 */
export class CommittedSnapshot implements Snapshot {
  private sum: string | undefined;

  constructor(
    readonly phext: Phext,
    readonly bytes: Buffer,
  ) {
    phext.freeze();
  }

  checksum(): string {
    return (this.sum ??= checksum(this.bytes));
  }
}
