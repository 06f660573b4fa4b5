import { join, relative, isAbsolute } from 'node:path';
import { HttpError } from './http-error.js';

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The file behind `p` inside `dataDir`, or an HttpError: 400 for a missing or malformed name, 403
 * for anything that tries to leave the directory (`..`, `/`, `\`), as the original did.
 */
export function phextPath(dataDir: string, name: string | undefined): string {
  if (name === undefined || name === '') throw new HttpError(400, "Missing parameter 'p' (phext name)");
  const key = `${dataDir}\0${name}`;
  const known = checked.get(key);
  if (known !== undefined) return known;
  const file = checkedPath(dataDir, name);
  // Only names that passed are remembered; a full memo starts over rather than grow.
  if (checked.size >= CHECKED_MAX) checked.clear();
  checked.set(key, file);
  return file;
}

/**
 * Validated files by data directory and name: the checks cost about a microsecond, a good part
 * of a whole select, and clients use few names over and over.
 */
const checked = new Map<string, string>();
const CHECKED_MAX = 4096;

function checkedPath(dataDir: string, name: string): string {
  if (name.includes('..') || name.includes('/') || name.includes('\\')) {
    throw new HttpError(403, `Forbidden phext name '${printable(name)}': it may not contain '..', '/' or '\\'`);
  }
  if (!NAME.test(name)) {
    throw new HttpError(400, `Invalid phext name '${printable(name)}': use 1-128 of A-Z a-z 0-9 . _ - and do not start with '.'`);
  }
  const file = join(dataDir, `${name}.phext`);
  // Belt and braces: the pattern already rules out escapes, but the rule must hold whatever changes.
  const rel = relative(dataDir, file);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new HttpError(403, 'Forbidden phext name');
  return file;
}

/** The name as it may appear in a one-line message: control characters escaped, length capped. */
function printable(name: string): string {
  const capped = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return JSON.stringify(capped).slice(1, -1);
}
