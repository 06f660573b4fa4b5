import { PHEXT_NAME } from '../store/phext-names.js';
import { HttpError } from './http-error.js';

/**
 * `p` as a phext name, or an HttpError: 400 for a missing or malformed name, 403 for anything
 * that tries to leave the data directory (`..`, `/`, `\`), as the original did. The store maps
 * the name to its file and refuses escapes itself too; these are the messages clients read.
 */
export function phextName(name: string | undefined): string {
  if (name === undefined || name === '') throw new HttpError(400, "Missing parameter 'p' (phext name)");
  // Clients use few names over and over: the checks cost more than a look-up.
  if (checked.has(name)) return name;
  if (name.includes('..') || name.includes('/') || name.includes('\\')) {
    throw new HttpError(403, `Forbidden phext name '${printable(name)}': it may not contain '..', '/' or '\\'`);
  }
  if (!PHEXT_NAME.test(name)) {
    throw new HttpError(400, `Invalid phext name '${printable(name)}': use 1-128 of A-Z a-z 0-9 . _ - and do not start with '.'`);
  }
  // Only names that passed are remembered; a full memo starts over rather than grow.
  if (checked.size >= CHECKED_MAX) checked.clear();
  checked.add(name);
  return name;
}

const checked = new Set<string>();
const CHECKED_MAX = 4096;

/** The name as it may appear in a one-line message: control characters escaped, length capped. */
function printable(name: string): string {
  const capped = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return JSON.stringify(capped).slice(1, -1);
}
