/** Memory of a running process, as the kernel counts it. */
import { readFile } from 'node:fs/promises';

/** The resident memory of a process in KiB (VmRSS of /proc/<pid>/status; Linux only). */
export async function residentKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}
