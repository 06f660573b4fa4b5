import { existsSync, readFileSync } from 'node:fs';
import { parse, serialize } from '../phext/index.js';
import { OpenLog } from '../store/open-log.js';
import { replay } from '../store/replay.js';

/**
 * What an owner of `path` has made durable, as the file will read once its change log is folded
 * in: the `.phext` with the log's unfolded records applied, exactly as loading it after a crash
 * would. Without records, the file's own bytes. Tests read this instead of the bare file, which
 * a checkpoint brings up to date only in the background.
 */
export async function durableBytes(path: string): Promise<Buffer> {
  // The log first: a checkpoint landing in between leaves the old log and the new file, and its
  // records applied again to the new file change nothing (replay is idempotent).
  const log = await OpenLog.read(path);
  const bytes = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  if (!log || log.unfolded.size === 0) return bytes;
  return serialize((await replay(parse(bytes), log.unfolded.values())).phext);
}

/** {@link durableBytes} as UTF-8 text. */
export async function durableText(path: string): Promise<string> {
  return (await durableBytes(path)).toString('utf8');
}
