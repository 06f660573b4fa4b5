import { xxh3 } from '@node-rs/xxhash';
import type { Phext } from '../phext/index.js';
import type { Snapshot } from './document-store.js';

/** XXH3-128 of `bytes` as 32 lowercase hex digits (the protocol's checksum). */
export function checksumOf(bytes: Uint8Array): string {
  return xxh3.xxh128(bytes).toString(16).padStart(32, '0');
}

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
    return (this.sum ??= checksumOf(this.bytes));
  }
}
