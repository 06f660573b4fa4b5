import { stampNow, type FileStamp } from './file-stamp.js';

type Stamp = FileStamp | undefined | null;

/**
 * The freshness stat of cached reads, shared by the reads of one event-loop turn. The first read
 * of a file in a turn stats it at once. Reads of the same file later in that turn wait for one
 * stat taken in the check phase that follows (setImmediate), shared by all of them. Either way
 * the stat a read gets is taken after the read began — after its request arrived — so an
 * external edit completed before a request arrives is always seen by it, exactly as with a stat
 * per read; but 64 connections reading one file cost two stats per turn instead of 64.
 */
export class TurnStamps {
  /** Files stat'ed at once in this turn. */
  private statted = new Set<string>();
  private waiting = new Map<string, ((stamp: Stamp) => void)[]>();
  private scheduled = false;

  /** The file's stamp (see stampNow: undefined when missing, null when it cannot be stat'ed). */
  of(path: string): Stamp | Promise<Stamp> {
    this.schedule();
    if (!this.statted.has(path)) {
      this.statted.add(path);
      return stampNow(path);
    }
    return new Promise((resolve) => {
      const list = this.waiting.get(path);
      if (list) list.push(resolve);
      else this.waiting.set(path, [resolve]);
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.statted.clear();
    const batch = this.waiting;
    if (batch.size === 0) return;
    this.waiting = new Map();
    for (const [path, readers] of batch) {
      const stamp = stampNow(path);
      for (const resolve of readers) resolve(stamp);
    }
  };
}
