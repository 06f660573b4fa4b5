import { UsageError } from '../command.js';

/**
 * The argument of `sq share` / `sq init`: a path ending in `.phext`. In a file of its own so that
 * sq init does not load the daemon (and the store) of sq share.
 */
export function phextFileArg(args: string[]): string {
  if (args.length !== 1) throw new UsageError('expected exactly one <file.phext>');
  if (!args[0].endsWith('.phext') || args[0].startsWith('-')) throw new UsageError(`expected a file ending in .phext, got '${args[0]}'`);
  return args[0];
}
