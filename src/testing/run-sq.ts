/** Runs a short-lived `sq` command (client or admin CLI) to completion. */
import { execFile } from 'node:child_process';
import { SQ_BIN } from './sq-child.js';

/** What a finished `sq` command left behind. */
export interface SqResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node bin/sq <args>` in `cwd`; resolves (never rejects) with its exit code and output.
 * A command still running after `timeoutMs` (say, a server that should have refused its
 * arguments) is killed and reported with code 124, so a regression fails instead of hanging.
 */
export function runSq(args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<SqResult> {
  return new Promise((resolve) => {
    // `sq get` / `sq pull` may print whole phexts: allow far more than execFile's 1 MiB default.
    const timeout = options.timeoutMs ?? 60_000;
    execFile(
      process.execPath,
      [SQ_BIN, ...args],
      { cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024, timeout },
      (err, stdout, stderr) => {
        const code = !err ? 0 : err.killed ? 124 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
