import { isUtf8 } from 'node:buffer';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
// The codec's own files rather than its index, which loads the native xxhash (CLI startup time).
import { Coordinate, PART_MAX } from '../phext/coordinate.js';
import { containsDelimiter } from '../phext/delimiters.js';
import type { Phext } from '../phext/phext.js';

/** A file the client sends as one scroll. */
export interface TextFile {
  readonly name: string;
  readonly text: string;
}

/** Why `bytes` cannot be one scroll (binary, not UTF-8, holds delimiters), or undefined when it can. */
function scrollProblem(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return 'binary (contains NUL bytes)';
  if (!isUtf8(bytes)) return 'not valid UTF-8';
  if (containsDelimiter(bytes.toString('latin1'))) return 'contains phext delimiter bytes';
  return undefined;
}

/** Reads a file that must become one scroll; throws an Error naming the file otherwise. */
export function readScrollFile(path: string): string {
  const bytes = readFileSync(path);
  const problem = scrollProblem(bytes);
  if (problem) throw new Error(`${path} cannot be a scroll: ${problem}`);
  return bytes.toString('utf8');
}

/**
 * The text files directly in `dir`, sorted by name (code-unit order, the same on every machine).
 * Subdirectories are not entered; files that cannot be scrolls are listed in `skipped` with why.
 */
export function readTextFiles(dir: string): { files: TextFile[]; skipped: { name: string; reason: string }[] } {
  const files: TextFile[] = [];
  const skipped: { name: string; reason: string }[] = [];
  const names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    // The summary scroll lists names one per line.
    if (/[\x00-\x1f\x7f]/.test(name)) {
      skipped.push({ name: JSON.stringify(name), reason: 'name contains control characters' });
      continue;
    }
    const bytes = readFileSync(path);
    const problem = scrollProblem(bytes);
    if (problem) skipped.push({ name, reason: problem });
    else files.push({ name, text: bytes.toString('utf8') });
  }
  return { files, skipped };
}

/**
 * Where `sq slurp` puts files: the i-th file at `at` with scroll part + i + 1, and the summary
 * (`name -> coord` lines) at `at` itself. Throws when the files would run past scroll 999.
 */
export function slurpLayout(at: Coordinate, files: readonly TextFile[]): { coord: string; text: string }[] {
  const scroll = at.parts[8]!; // a Coordinate always has nine parts
  const first = scroll + 1;
  const last = scroll + files.length;
  if (last > PART_MAX) {
    throw new Error(`${files.length} files do not fit after ${at.toString()}: scroll ${last} is past ${PART_MAX}`);
  }
  const scrolls = files.map((f, i) => ({
    name: f.name,
    coord: Coordinate.of([...at.parts.slice(0, 8), first + i]).toString(),
    text: f.text,
  }));
  const summary = scrolls.map((s) => `${s.name} -> ${s.coord}\n`).join('');
  return [{ coord: at.toString(), text: summary }, ...scrolls.map(({ coord, text }) => ({ coord, text }))];
}

/**
 * Lines naming the coordinates where two phexts differ, in coordinate order: `+ <coord>` only in
 * `other`, `- <coord>` only in `shared`, `~ <coord>` in both with different text.
 */
export function diffLines(shared: Phext, other: Phext): string[] {
  const a = new Map([...shared.scrolls()].map((s) => [s.coordinate.key, s]));
  const b = new Map([...other.scrolls()].map((s) => [s.coordinate.key, s]));
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lines: string[] = [];
  for (const key of keys) {
    const mine = a.get(key);
    const theirs = b.get(key);
    const coord = Coordinate.fromKey(key).toString();
    if (!mine) lines.push(`+ ${coord}`);
    else if (!theirs) lines.push(`- ${coord}`);
    else if (mine.text !== theirs.text) lines.push(`~ ${coord}`);
  }
  return lines;
}
