import type { BigIntStats, Stats } from 'node:fs';
import { refusals } from './refusals.js';

/**
 * Refuses to replace a file its permission bits do not let us write. Replacing goes through a
 * rename in the directory, which the file's own mode never stops, and root passes every access
 * check; so the bits are read here, for the owner, group or others class that applies to us, as
 * they would be for an ordinary user. A phext someone made 0444 stays as it is.
 */
export function checkWritable(path: string, st: Stats | BigIntStats): void {
  const uid = process.getuid?.();
  if (uid === undefined) return; // no POSIX ids (Windows): nothing to compare against
  const mode = Number(st.mode);
  const owner = Number(st.uid);
  const group = Number(st.gid);
  let bit: number;
  if (owner === uid) bit = 0o200;
  else if (group === process.getgid?.() || (process.getgroups?.() ?? []).includes(group)) bit = 0o020;
  else bit = 0o002;
  if ((mode & bit) === 0) throw refusals.readOnly(path, mode);
}
