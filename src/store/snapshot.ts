import { checksum } from '../phext/checksum.js';
import { serialize, serializeInTurns, type Phext } from '../phext/index.js';
import type { Snapshot } from './document-store.js';

/**
 * An immutable committed state. Its bytes are those of the file it was loaded from, or serialized
 * on first use and kept (a commit only appends its scrolls to the change log, so most versions are
 * never serialized at all); the checksum likewise. The phext is frozen, so a change that kept a
 * reference to its draft cannot alter it after the commit.
 */
export class CommittedSnapshot implements Snapshot {
  private sum: string | undefined;
  private serialized: Buffer | undefined;
  private serializing: Promise<Buffer> | undefined;

  constructor(
    readonly phext: Phext,
    readonly version: number,
    /** Bytes of the serialized phext, known without serializing it (file size + exact growth). */
    readonly size: number,
    bytes?: Buffer,
  ) {
    phext.freeze();
    this.serialized = bytes;
  }

  get bytes(): Buffer {
    return (this.serialized ??= serialize(this.phext));
  }

  /** True when the bytes are at hand (loaded, or serialized once already). */
  get hasBytes(): boolean {
    return this.serialized !== undefined;
  }

  checksum(): string {
    return (this.sum ??= checksum(this.bytes));
  }

  /** {@link bytes} made a megabyte per event-loop turn (shared by concurrent callers), kept. */
  bytesInTurns(): Promise<Buffer> {
    if (this.serialized) return Promise.resolve(this.serialized);
    this.serializing ??= (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of serializeInTurns(this.phext)) chunks.push(chunk);
      return (this.serialized ??= chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    })();
    return this.serializing;
  }

  /** {@link checksum} without holding the event loop to serialize. */
  async checksumInTurns(): Promise<string> {
    if (this.sum === undefined) this.sum = checksum(await this.bytesInTurns());
    return this.sum;
  }
}
