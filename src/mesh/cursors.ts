import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/index.js';

/**
 * Where this node is in each phext of one peer: the peer's version it applied up to, kept in
 * `<data_dir>/.mesh/<peer>.json` (replaced atomically after each applied answer), so a restart
 * resumes there instead of starting over.
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

  async save(): Promise<void> {
    await writeFileAtomic(this.path, JSON.stringify({ cursors: this.versions }) + '\n');
  }
}
