import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';

/**
 * Where this node is in each phext of one peer: the peer's version it applied up to, kept in
 * `<data_dir>/.mesh/<peer>.json`, so a restart resumes there instead of starting over. The file
 * is replaced atomically after applied answers, off the path of the next request: a cursor a
 * crash left behind only makes the restarted node ask for changes it has, which apply nothing
 * (their stamps equal its own).
 */
export class Cursors {
  private readonly path: string;
  readonly versions: Record<string, number>;

  constructor(dataDir: string, peer: string) {
    const dir = join(dataDir, '.mesh');
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${encodeURIComponent(peer)}.json`);
    let versions: Record<string, number> = {};
    try {
      versions = (JSON.parse(readFileSync(this.path, 'utf8')) as { cursors: Record<string, number> }).cursors;
    } catch {}
    this.versions = Object.assign(Object.create(null) as Record<string, number>, versions);
  }

  private writing: Promise<void> | undefined;
  private again = false;

  /** Writes the cursors soon (one write at a time; the latest versions win). */
  save(): void {
    if (this.writing) {
      this.again = true;
      return;
    }
    this.writing = (async () => {
      do {
        this.again = false;
        await writeFileAtomic(this.path, JSON.stringify({ cursors: this.versions }) + '\n').catch((e: unknown) =>
          process.emitWarning(`mesh: cannot save the cursors ${this.path}: ${String((e as Error).message)}`),
        );
      } while (this.again);
      this.writing = undefined;
    })();
  }

  /** Waits for the write in progress. */
  async flushed(): Promise<void> {
    await this.writing;
  }
}
