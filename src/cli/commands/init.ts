import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { SQ_DIR, ensurePrivateDir } from '../../daemon/paths.js';
import { syncDirectory } from '../../store/atomic-write.js';
import { phextFileArg } from './phext-file-arg.js';

const USAGE = `Usage: sq init <file.phext>

Prepares this directory for sq share: creates <file.phext> as an empty phext unless it exists
(an existing file is left untouched) and the private .sq/ directory (mode 0700).`;

/** `sq init`: an empty phext and `.sq/`. */
export const initCommand: Command = {
  name: 'init',
  summary: 'Create an empty phext file and .sq/ for sq share',
  usage: USAGE,
  async run(args) {
    const file = phextFileArg(args);
    ensurePrivateDir(join(process.cwd(), SQ_DIR));
    try {
      await (await open(file, 'wx')).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      process.stdout.write(`${file} already exists; left as it is\n`);
      return 0;
    }
    await syncDirectory(join(file, '..'));
    process.stdout.write(`Created empty phext ${file}; start sharing it with: sq share ${file}\n`);
    return 0;
  },
};
