/**
 * `sq import`: plain `.phext` files into a tenant's phexts in a database or a data directory,
 * each phext in one mutation of the store (one transaction, or one change-log frame), so that a
 * refused or failed phext leaves nothing of itself behind.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, type Phext } from '../../phext/index.js';
import { UsageError, type Command } from '../command.js';
import { fileOf, nameProblem, phextFiles } from './phext-dir.js';
import { maxPhextBytes, openPlace, PLACE_OPTIONS, PLACE_USAGE, placeOf } from './phext-places.js';

const USAGE = `Usage: sq import DIR --store URL --tenant T [--replace]
       sq import DIR --data-dir TARGET [--replace]

Loads every DIR/<name>.phext (as sq export writes them) into the phext <name> of tenant T in
that PostgreSQL database (or of data directory TARGET), each phext whole in one transaction;
prints a line per phext and the total. Every file is read and checked first (its name, UTF-8,
size): one that fails stops the import before anything is written. A phext that already exists
in the target stops it too, naming them, unless --replace. Versions start over in the target.

Options:
  --replace            replace phexts of the same names in the target (others stay)
${PLACE_USAGE}`;

export const importCommand: Command = {
  name: 'import',
  summary: "Load plain .phext files into a tenant's phexts (database or data directory)",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...PLACE_OPTIONS, replace: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length !== 1) throw new UsageError('expected one DIR of .phext files');
    const dir = resolve(positionals[0]!);
    const place = placeOf(values);
    const maxBytes = maxPhextBytes(values);
    const { names, invalid } = await phextFiles(dir);
    if (invalid.length > 0) throw new Error(`${join(dir, invalid[0]!)}: ${nameProblem(invalid[0]!.slice(0, -'.phext'.length))}`);
    if (names.length === 0) throw new Error(`no .phext files in ${dir}`);
    // Checked before anything is written: a bad file is found with nothing imported.
    for (const name of names) await readPhext(join(dir, fileOf(name)), maxBytes);
    const target = await openPlace(place, maxBytes, true);
    try {
      const key = (name: string) => ({ tenant: target.tenant, name });
      if (!values.replace) {
        const there = new Set(await target.names());
        const held = names.filter((n) => there.has(n)).map(fileOf);
        if (held.length > 0)
          throw new Error(`${target.where} already holds ${held.join(', ')}: nothing imported (--replace replaces them)`);
      }
      let total = 0;
      for (const [i, name] of names.entries()) {
        const { phext, bytes } = await readPhext(join(dir, fileOf(name)), maxBytes);
        try {
          await target.store.mutate(key(name), replaceWith(phext));
        } catch (e) {
          throw new Error(`${fileOf(name)} not imported: ${(e as Error).message} (${i} of ${names.length} imported before it)`);
        }
        total += bytes;
        process.stdout.write(`${fileOf(name)}  ${bytes} bytes\n`);
      }
      process.stdout.write(
        `Imported ${names.length} phext${names.length === 1 ? '' : 's'}, ${total} bytes, from ${dir} into ${target.where}\n`,
      );
      return 0;
    } finally {
      await target.close();
    }
  },
};

/** The phext a file holds, or an error naming the file: too large, not UTF-8, or a coordinate past 999. */
async function readPhext(path: string, maxBytes: number): Promise<{ phext: Phext; bytes: number }> {
  const { size } = await stat(path);
  if (size > maxBytes) throw new Error(`${path} is ${size} bytes, over the limit of ${maxBytes} (--max-phext-mb): nothing imported`);
  try {
    return { phext: parse(await readFile(path)), bytes: size };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}: nothing imported`);
  }
}

/** A change that makes the phext hold exactly the scrolls of `next`: one mutation, whatever it held. */
function replaceWith(next: Phext): (draft: Phext) => void {
  return (draft) => {
    for (const scroll of [...draft.scrolls()]) if (!next.has(scroll.coordinate)) draft.delete(scroll.coordinate);
    for (const scroll of next.scrolls()) if (draft.get(scroll.coordinate) !== scroll.text) draft.set(scroll.coordinate, scroll.text);
  };
}
