import { UsageError } from '../command.js';

/**
 * The argument of `sq share` / `sq init`: a path ending in `.phext`. In a file of its own so that
 * sq init does not load the daemon (and the store) of sq share.
 */
export function phextFileArg(args: string[]): string {
  const [file] = args;
  if (file === undefined || args.length !== 1) throw new UsageError('expected exactly one <file.phext>');
  if (!file.endsWith('.phext') || file.startsWith('-')) throw new UsageError(`expected a file ending in .phext, got '${file}'`);
  return file;
}
