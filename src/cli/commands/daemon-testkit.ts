/** Helpers for tests that run `node bin/sq` as child processes (not a test file itself). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SQ = fileURLToPath(new URL('../../../../bin/sq', import.meta.url));

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/sq <args>` in `cwd` and resolves with its exit code and output. */
export function sq(cwd: string, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SQ, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A fresh empty directory (real path, so it matches what the daemon records). */
export function freshDir(prefix: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** A background `sq` process and what it has printed. */
export interface Background {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  stdout(): string;
  stderr(): string;
}

const running = new Set<ChildProcess>();

/**
 * Starts `sq <args>` in `cwd` and resolves once stdout matches `ready` (rejects if it exits
 * first). Every process started here is killed by {@link killAll}.
 */
export async function startBackground(cwd: string, args: string[], ready: RegExp): Promise<Background & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [SQ, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => running.delete(child));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) resolve(m);
    });
    void exited.then(([code]) => reject(new Error(`sq ${args.join(' ')} exited early (${code}): ${err}`)));
  });
  return { child, exited, match, stdout: () => out, stderr: () => err };
}

/** Starts `sq share <file>` in `cwd` and waits for its `Sharing ...` line. */
export function startShare(cwd: string, file = 'notes.phext') {
  return startBackground(cwd, ['share', file], /^Sharing .+ on .+\n/);
}

/** SIGKILLs every background process still running (for `after` hooks). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}
