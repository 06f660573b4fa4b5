/**
 * Test helpers that run the real `sq` binary as a child process. They live outside `test/` on
 * purpose: `node --test dist/` runs every .js file under a directory named `test`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** bin/sq of this checkout (it loads the compiled dist/). */
export const SQ_BIN = fileURLToPath(new URL('../../../bin/sq', import.meta.url));

/** `sq host`'s line: `SQ <version> listening on http://127.0.0.1:<port> (...)`. */
export const HOST_LISTENING = /^SQ \S+ listening on http:\/\/127\.0\.0\.1:(\d+) \(.*\)$/m;
/** `sq route`'s line: `SQ router listening on http://127.0.0.1:<port>`. */
export const ROUTER_LISTENING = /^SQ router listening on http:\/\/127\.0\.0\.1:(\d+)$/m;

/** A running `sq` server process. */
export interface SqProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** The listening line itself. */
  readonly banner: string;
  /** Milliseconds from spawn to the listening line. */
  readonly startupMs: number;
  /** Everything the process wrote to stderr so far (its request log). */
  stderr(): string;
  /** Resolves once `check(stderr)` holds (e.g. one more reload line), or rejects after `ms`. */
  waitForStderr(check: (stderr: string) => boolean, ms?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after 10 s (sq drains for 5 s); resolves with the exit code (null when killed). */
  stop(): Promise<number | null>;
}

/**
 * Spawns `node bin/sq <args>` and resolves once it prints its listening line (`listening` with
 * the port as first group). Rejects with its stderr when it exits first or takes over 15 s.
 */
export function startSq(args: string[], options: { cwd?: string; listening?: RegExp } = {}): Promise<SqProcess> {
  const listening = options.listening ?? (args[0] === 'route' ? ROUTER_LISTENING : HOST_LISTENING);
  const started = performance.now();
  const child = spawn(process.execPath, [SQ_BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const stderrWaiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const wake of stderrWaiters) wake();
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      return await exited;
    } finally {
      clearTimeout(force);
    }
  };
  const waitForStderr = (condition: (text: string) => boolean, ms = 5_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition(stderr)) return;
        stderrWaiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        stderrWaiters.delete(check);
        reject(new Error(`stderr did not show what ${condition} waits for within ${ms} ms:\n${stderr}`));
      }, ms);
      stderrWaiters.add(check);
      check();
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sq ${args.join(' ')} did not start within 15 s:\n${stderr}`));
    }, 15_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const match = listening.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        child, pid: child.pid!, port: Number(match[1]), banner: match[0], startupMs: performance.now() - started,
        stderr: () => stderr, waitForStderr, stop,
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sq ${args.join(' ')} exited with ${code} before listening:\n${stderr}`));
    });
  });
}

/** Runs `node bin/sq <args>` to completion. */
export function runSq(args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SQ_BIN, ...args], { cwd: options.cwd }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The resident memory of a process in KiB (VmRSS of /proc/<pid>/status; Linux only). */
export async function residentKib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

/** Replaces `path` the way editors and careful tools do: a temp file renamed over the old one. */
export function replaceFile(path: string, text: string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}
