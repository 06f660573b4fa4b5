/**
 * Test support (not a test itself; kept out of `test/` because `node --test` runs every file
 * there): runs `sq host` as a child process on 127.0.0.1, port 0, over a fresh data directory,
 * and talks to it over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutgoingHttpHeaders } from 'node:http';
import { request, type Reply } from '../../router/testkit.js';

/** The `sq` launcher, from dist/src/server/testing/. */
export const SQ_BIN = fileURLToPath(new URL('../../../../bin/sq', import.meta.url));

/** Registers cleanup; `node:test`'s TestContext and SuiteContext hooks both fit. */
export interface Cleanup {
  after(fn: () => void | Promise<void>): void;
}

/** An answer with its body decoded as UTF-8 for convenience. */
export interface HostReply extends Reply {
  text: string;
}

/** A running `sq host` child. */
export interface HostProcess {
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  /** Everything the server wrote to stderr so far (the request log). */
  stderr(): string;
  /** Resolves once stderr matches `pattern` (the log is written after the answer, and arrives later). */
  waitForStderr(pattern: RegExp | ((stderr: string) => boolean), timeoutMs?: number): Promise<string>;
  /** `<dataDir>/<name>.phext`. */
  file(name: string): string;
  /** The data directory's entries, sorted. */
  files(): string[];
  /** One request on a fresh connection; a string body is sent as UTF-8. */
  call(method: string, path: string, body?: string | Buffer, headers?: OutgoingHttpHeaders): Promise<HostReply>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** Serve this directory instead of a fresh temp one (e.g. to restart on the same data). */
  dataDir?: string;
  /** More `sq host` arguments (`--key`, `--max-body`, ...). */
  args?: string[];
  /** How long to wait for the "listening" line; generous for busy machines. */
  startTimeoutMs?: number;
}

/** A fresh temp directory, removed after the test. */
export function tempDataDir(t: Cleanup, prefix = 'sq-host-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const LISTENING = /^SQ \S+ listening on http:\/\/127\.0\.0\.1:(\d+) \(/m;

/** Starts `node bin/sq host 0 --bind 127.0.0.1 --data-dir <dir> ...args`; killed after the test. */
export async function startHost(t: Cleanup, options: StartOptions = {}): Promise<HostProcess> {
  const dataDir = options.dataDir ?? tempDataDir(t);
  const child = spawn(
    process.execPath,
    [SQ_BIN, 'host', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, ...(options.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SQ_KEY: '' } },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sq host did not start: ${stderr}`)), options.startTimeoutMs ?? 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = LISTENING.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`sq host exited (${code ?? signal}) before listening: ${stderr}`));
    });
  });
  return {
    port, dataDir, child, exited,
    stderr: () => stderr,
    waitForStderr: (pattern, timeoutMs = 10_000) =>
      waitFor(() => (typeof pattern === 'function' ? pattern(stderr) : pattern.test(stderr)), timeoutMs, () => `stderr never matched ${pattern}: ${stderr}`).then(() => stderr),
    file: (name) => join(dataDir, `${name}.phext`),
    files: () => readdirSync(dataDir).sort(),
    call: async (method, path, body, headers) => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      // A declared length, as curl sends; pass chunks through `request` for a chunked body.
      const sized = bytes === undefined ? headers : { 'Content-Length': bytes.length, ...headers };
      const reply = await request(port, { method, path, headers: sized, body: bytes });
      return { ...reply, text: reply.body.toString('utf8') };
    },
  };
}

/** Polls `done` every 10 ms; rejects with `why()` after `timeoutMs`. */
export async function waitFor(done: () => boolean, timeoutMs: number, why: () => string = () => 'timed out'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 10));
  }
}
