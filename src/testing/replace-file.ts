/** Writing files the way editors and careful tools do. */
import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Replaces `path` with `text` atomically: a temp file beside it, renamed over the old one. */
export function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}
