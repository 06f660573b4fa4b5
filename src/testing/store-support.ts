/** Shorthands for the document store's tests. */
import { readdirSync } from 'node:fs';
import { Coordinate } from '../phext/index.js';

/** Names of leftover temp files of atomic writes in `dir`. */
export function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

/** Shorthand for a coordinate from its text. */
export const at = (text: string): Coordinate => Coordinate.parse(text);
