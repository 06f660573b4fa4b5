/** Runs a short-lived `sq` command (client or admin CLI) to completion. */
import { execFile } from 'node:child_process';
import { SQ_BIN } from './sq-child.js';

/** What a finished `sq` command left behind. */
export interface SqResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/sq <args>` in `cwd`; resolves (never rejects) with its exit code and output. */
export function runSq(args: string[], options: { cwd?: string } = {}): Promise<SqResult> {
  return new Promise((resolve) => {
    // `sq get` / `sq pull` may print whole phexts: allow far more than execFile's 1 MiB default.
    execFile(process.execPath, [SQ_BIN, ...args], { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
