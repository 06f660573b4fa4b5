import { checksum } from '../phext/checksum.js';
import { serializeInTurns, type Phext } from '../phext/index.js';
import type { Snapshot } from './document-store.js';

/**
 * An immutable committed state. Its bytes are those of the file it was loaded from, or serialized
 * a megabyte per event-loop turn when first asked for and kept (a commit only appends its scrolls
 * to the change log, so most versions are never serialized at all); the checksum likewise. The
 * phext is frozen, so a change that kept a reference to its draft cannot alter it after the commit.
 */
export class CommittedSnapshot implements Snapshot {
  private sum: string | undefined;
  private serialized: Promise<Buffer> | undefined;
  /** Bytes serialized and kept beside the phext's own (the file's bytes, given, are the phext's). */
  private made = 0;
  private onMade: (() => void) | undefined;

  constructor(
    readonly phext: Phext,
    readonly version: number,
    /** Bytes of the serialized phext, known without serializing it (file size + exact growth). */
    readonly size: number,
    bytes?: Buffer,
  ) {
    phext.freeze();
    if (bytes) this.serialized = Promise.resolve(bytes);
  }

  /** Estimated bytes this snapshot keeps in memory (the phext's, and its serialized bytes once made). */
  get memory(): number {
    return this.phext.memory + this.made;
  }

  /** Calls `listener` once serialized bytes are made and kept: the snapshot's memory has grown. */
  whenBytesMade(listener: () => void): void {
    this.onMade = listener;
  }

  bytes(): Promise<Buffer> {
    this.serialized ??= (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of serializeInTurns(this.phext)) chunks.push(chunk);
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      this.made = bytes.length;
      this.onMade?.();
      return bytes;
    })();
    return this.serialized;
  }

  async checksum(): Promise<string> {
    this.sum ??= checksum(await this.bytes());
    return this.sum;
  }
}
