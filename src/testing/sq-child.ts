/**
 * The one launcher of long-running `sq` children (host, route, share, basic): spawns
 * `node bin/sq <args>`, keeps its output, waits for its ready line and stops it.
 * Test support lives outside `test/` on purpose: `node --test dist/` runs every .js file there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** bin/sq of this checkout (it loads the compiled dist/); this file runs from dist/src/testing/. */
export const SQ_BIN = fileURLToPath(new URL('../../../bin/sq', import.meta.url));

/** How a child ended: an exit code, or the signal that killed it. */
interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LaunchOptions {
  /** Stdout must match this before the launch resolves; its groups are kept in `match`. */
  ready: RegExp;
  cwd?: string;
  /** Variables set over this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** SIGKILLs the child and rejects when `ready` has not matched by then (default 15 s). */
  startTimeoutMs?: number;
}

/** A running `sq` child and what it has printed. */
export interface SqChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The match of `ready` on stdout (e.g. the listening line with its port). */
  readonly match: RegExpExecArray;
  /** Milliseconds from spawn to the ready line. */
  readonly startupMs: number;
  /** Resolves when the child has exited. */
  readonly exited: Promise<Exit>;
  stdout(): string;
  /** Everything written to stderr so far (a server's request log). */
  stderr(): string;
  /** Resolves with stderr once it matches `pattern` (log lines trail the answers); rejects after `ms`. */
  waitForStderr(pattern: RegExp | ((stderr: string) => boolean), ms?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s (servers drain for 5 s); resolves with the exit code (null when killed). */
  stop(): Promise<number | null>;
  /** SIGKILL unless already gone; resolves when it has exited. */
  kill(): Promise<Exit>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every launched child still running (a file-level `after` safety net). */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/** Spawns `node bin/sq <args>` and resolves once stdout matches `options.ready`; rejects with its stderr if it exits first. */
export function launchSq(args: string[], options: LaunchOptions): Promise<SqChild> {
  const started = performance.now();
  const env = options.env && { ...process.env, ...options.env };
  const child = spawn(process.execPath, [SQ_BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  const stderrWaiters = new Set<() => void>();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const wake of stderrWaiters) wake();
  });
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;

  const stop = async (): Promise<number | null> => {
    if (gone()) return child.exitCode;
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      return (await exited).code;
    } finally {
      clearTimeout(force);
    }
  };
  const kill = (): Promise<Exit> => {
    if (!gone()) child.kill('SIGKILL');
    return exited;
  };
  const waitForStderr = (pattern: RegExp | ((text: string) => boolean), ms = 5_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const holds = typeof pattern === 'function' ? pattern : (text: string) => pattern.test(text);
      const check = (): void => {
        if (!holds(stderr)) return;
        stderrWaiters.delete(check);
        clearTimeout(timer);
        resolve(stderr);
      };
      const timer = setTimeout(() => {
        stderrWaiters.delete(check);
        reject(new Error(`stderr did not match ${pattern} within ${ms} ms:\n${stderr}`));
      }, ms);
      stderrWaiters.add(check);
      check();
    });

  return new Promise((resolve, reject) => {
    const ms = options.startTimeoutMs ?? 15_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sq ${args.join(' ')} was not ready within ${ms} ms:\n${stderr}`));
    }, ms);
    let isReady = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const match = isReady ? null : options.ready.exec(stdout);
      if (!match) return;
      isReady = true;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid!,
        match,
        startupMs: performance.now() - started,
        exited,
        stdout: () => stdout,
        stderr: () => stderr,
        waitForStderr,
        stop,
        kill,
      });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`sq ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${stderr}`));
    });
  });
}
