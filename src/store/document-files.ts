import { resolve } from 'node:path';
import type { DocumentKey } from './document-store.js';
import { refusals } from './refusals.js';

/** Each tenant's data directory (absolute), or undefined for a tenant the store does not serve. */
export type DataDirectories = (tenant: string) => string | undefined;

/** More files than this and the memo starts over rather than grow (clients use few names). */
const MEMO_MAX = 4096;

/**
 * Where the file store keeps a document: `<data_dir>/<name>.phext`, so `''` is the original's
 * `.phext`. Transports check names with their own messages; this refuses anything that could
 * leave the directory all the same, whatever a caller passes. Files are memoized by directory
 * and name (resolving costs about a microsecond, a good part of a whole select), so a tenant
 * whose directory changes on reload gets its new files at once.
 */
export class DocumentFiles {
  private readonly memo = new Map<string, string>();

  constructor(private readonly directories: DataDirectories) {}

  fileOf(document: DocumentKey): string {
    const dir = this.directories(document.tenant);
    if (dir === undefined) throw refusals.noDataDirectory(document.tenant);
    const key = `${dir}\0${document.name}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    if (/[/\\\0]/.test(document.name)) throw refusals.badName(document.name);
    const file = resolve(dir, `${document.name}.phext`);
    if (this.memo.size >= MEMO_MAX) this.memo.clear();
    this.memo.set(key, file);
    return file;
  }
}
