/**
 * A directory of plain `.phext` files, as `sq export` writes them and `sq import` reads them: the
 * phext `<name>` is the file `<name>.phext`, names checked as the server checks `p`. The file
 * `.phext` is the original SQ's default phext, the name `''` (served to requests without `p`).
 */
import { readdir } from 'node:fs/promises';
import { phextName } from '../../server/phext-name.js';

export const fileOf = (name: string): string => `${name}.phext`;

/** The `.phext` files of `dir`: the phexts they hold by name, and the files whose names no phext may have. */
export async function phextFiles(dir: string): Promise<{ names: string[]; invalid: string[] }> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new Error(`cannot read the directory ${dir}: ${(e as Error).message}`);
  }
  const names: string[] = [];
  const invalid: string[] = [];
  for (const entry of entries) {
    if (!entry.name.endsWith('.phext') || !(entry.isFile() || entry.isSymbolicLink())) continue;
    const name = entry.name.slice(0, -'.phext'.length);
    if (name === '' || validName(name)) names.push(name);
    else invalid.push(entry.name);
  }
  return { names: names.sort(), invalid: invalid.sort() };
}

/** Why `name` is no phext name, as the server says it; undefined for a valid one. */
export function nameProblem(name: string): string | undefined {
  try {
    phextName(name);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const validName = (name: string) => nameProblem(name) === undefined;
