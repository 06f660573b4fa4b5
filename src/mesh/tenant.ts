import { mkdirSync } from 'node:fs';
import type { HybridClock } from './hlc.js';
import { RecentChanges } from './recent.js';
import { Stamper } from './stamper.js';
import { StampBook } from './stamps.js';

/**
 * One tenant as the mesh sees it: its data directory (where its phexts, their stamp sidecars and
 * its cursors per peer live), its stamps and its recent changes. A single-tenant node has one,
 * `default`; a multi-tenant node one per tenant listed for some peer and present in the tenants file.
 */
export class MeshTenant {
  private constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly stamper: Stamper,
    readonly recent: RecentChanges,
  ) {}

  /** Reads the tenant's stamps (before anything of it is served or followed). */
  static async open(name: string, dataDir: string, clock: HybridClock): Promise<MeshTenant> {
    mkdirSync(dataDir, { recursive: true });
    const book = new StampBook(dataDir);
    await book.load();
    return new MeshTenant(name, dataDir, new Stamper(book, clock, name), new RecentChanges(name));
  }

  /** Writes the stamps still queued. */
  close(): Promise<void> {
    return this.stamper.book.close();
  }
}
