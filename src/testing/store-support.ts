/** Shorthands for the document store's tests. */
import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Coordinate } from '../phext/index.js';
import type { DataDirectories } from '../store/document-files.js';
import type { DocumentKey } from '../store/document-store.js';

/** Names of leftover temp files of atomic writes in `dir`. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

/** Shorthand for a coordinate from its text. */
export const at = (text: string): Coordinate => Coordinate.parse(text);

/** For tests that name files: each directory is a tenant of its own. */
export const byDirectory: DataDirectories = (tenant) => tenant;

/** The key of `file` (`<dir>/<name>.phext`) in a store built with {@link byDirectory}. */
export function fileKey(file: string): DocumentKey {
  return { tenant: dirname(file), name: basename(file, '.phext') };
}
