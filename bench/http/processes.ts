import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A server the bench started in a child process (so it has an event loop of its own). */
export interface ServerChild {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
}

const running = new Set<ChildProcess>();
/** The children's stderr folders not yet removed (a child's goes a turn after it exits). */
const stderrDirs = new Set<string>();
const STDERR_KEPT = 4096;

/**
 * Starts `node <args>` and resolves once its stdout matches `ready` (whose first group is the
 * port). Stderr goes to a file, not a pipe to this process: `sq route` logs every request, and
 * reading those lines here would take CPU from the load generator. Its last few KB are in the
 * error message if the server dies before listening.
 */
export function startServer(name: string, args: string[], ready: RegExp): Promise<ServerChild> {
  const errDir = mkdtempSync(join(tmpdir(), 'sq-bench-stderr-'));
  stderrDirs.add(errDir);
  const errPath = join(errDir, 'stderr');
  const errFd = openSync(errPath, 'w');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', errFd] });
  closeSync(errFd);
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    setImmediate(() => {
      // after the error message read it
      rmSync(errDir, { recursive: true, force: true });
      stderrDirs.delete(errDir);
    });
  });
  let out = '';
  const err = () => readFileSync(errPath, 'utf8').slice(-STDERR_KEPT);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ name, port: Number(m[1]), child });
    });
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${err()}`)));
  });
}

/** Stops every child still running: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, graceMs)));
}

/** Stops one server: SIGTERM, then SIGKILL after `graceMs`. */
export function stopServer(server: ServerChild, graceMs = 3000): Promise<void> {
  return stop(server.child, graceMs);
}

async function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills the children whichever way the bench ends: error, Ctrl-C, or a plain exit. */
export function stopAllOnExit(onSignal: () => void): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      onSignal();
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const dir of stderrDirs) rmSync(dir, { recursive: true, force: true }); // process.exit() skips their setImmediate
  });
}
