/**
 * `sq export`: a tenant's phexts, from a database or a data directory, as plain `.phext` files —
 * each the bytes `GET /api/v2/get?p=<name>` serves, written atomically.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { UsageError, type Command } from '../command.js';
import { fileOf } from './phext-dir.js';
import { maxPhextBytes, openPlace, PLACE_OPTIONS, PLACE_USAGE, placeOf } from './phext-places.js';

const USAGE = `Usage: sq export --store URL --tenant T --out DIR [--force]
       sq export --data-dir DIR --out DIR [--force]

Writes each phext of tenant T in that PostgreSQL database (or of that data directory) to
DIR/<name>.phext, byte for byte as GET /api/v2/get?p=<name> serves it, each file replaced
atomically; prints a line per phext and the total. Stop writes to the tenant first: each phext
is copied as it is when read. Moving a tenant: sq export, then sq import (see the README).

Options:
  --out DIR            where the files go (made if missing)
  --force              replace files of the same names already in DIR (else refused)
${PLACE_USAGE}`;

export const exportCommand: Command = {
  name: 'export',
  summary: "Write a tenant's phexts (database or data directory) to plain .phext files",
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...PLACE_OPTIONS, out: { type: 'string' }, force: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const place = placeOf(values);
    if (values.out === undefined) throw new UsageError('--out DIR is required');
    const out = resolve(values.out);
    const source = await openPlace(place, maxPhextBytes(values), false);
    try {
      const names = await source.names();
      if (names.length === 0) throw new Error(`no phexts to export: ${source.where} holds none`);
      await mkdir(out, { recursive: true });
      if (!values.force) {
        const taken = (await Promise.all(names.map(async (n) => ((await exists(join(out, fileOf(n)))) ? fileOf(n) : undefined)))).filter(
          (f) => f !== undefined,
        );
        if (taken.length > 0) throw new Error(`${out} already holds ${taken.join(', ')}: nothing exported (--force replaces them)`);
      }
      let total = 0;
      for (const name of names) {
        const snapshot = await source.store.read({ tenant: source.tenant, name });
        // A phext gone since it was listed is served as empty, as GET serves it.
        const bytes = snapshot ? await snapshot.bytes() : Buffer.alloc(0);
        await writeFileAtomic(join(out, fileOf(name)), bytes);
        total += bytes.length;
        process.stdout.write(`${fileOf(name)}  ${bytes.length} bytes\n`);
      }
      process.stdout.write(
        `Exported ${names.length} phext${names.length === 1 ? '' : 's'}, ${total} bytes, from ${source.where} to ${out}\n`,
      );
      return 0;
    } finally {
      await source.close();
    }
  },
};

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );
