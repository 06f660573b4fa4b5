/** `sq host` over a data directory, for end-to-end tests: a thin layer over startSq(). */
import { readdirSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { call, type TextReply } from './sq-api.js';
import { startSq, type SqProcess } from './sq-process.js';
import { tempDir, type Cleanup } from './temp-dir.js';

/** A running `sq host` child, killed when the test ends. */
export interface HostProcess extends SqProcess {
  /** Its data directory: unused when it keeps its phexts in a database (`store`). */
  readonly dataDir: string;
  /** The `--store` URL it was started with, if any. */
  readonly store: string | undefined;
  /** `<dataDir>/<name>.phext`. */
  file(name: string): string;
  /** The data directory's entries, sorted. */
  files(): string[];
  /** One request on a fresh connection; a body goes with its Content-Length (use request() for chunks). */
  call(method: string, path: string, body?: string | Buffer, headers?: OutgoingHttpHeaders): Promise<TextReply>;
}

export interface HostOptions {
  /** Serve this directory instead of a fresh temp one (e.g. to restart on the same data). */
  dataDir?: string;
  /** Keep the phexts in this database (`--store <url>`) instead of the data directory. */
  store?: string | undefined;
  /** Its working directory (default: the test's). */
  cwd?: string;
  /** More `sq host` arguments (`--key`, `--max-body`, ...). */
  args?: string[];
  /** How long to wait for the listening line; generous for busy machines (default 20 s). */
  startTimeoutMs?: number;
}

/**
 * Starts `node bin/sq host 0 --bind 127.0.0.1 --data-dir <dir> ...args` (`--store <url>` instead
 * of `--data-dir` when given one) without an SQ_KEY from
 * the environment; SIGKILLed after the test. Its waitForStderr waits 10 s by default.
 */
export async function startHost(t: Cleanup, options: HostOptions = {}): Promise<HostProcess> {
  // The server is killed before its directory goes: removed under a live server, the directory
  // can be refilled meanwhile by an idle checkpoint (ENOTEMPTY), and the failed hook then leaves
  // the server running and the test file waiting for it.
  const removals: Array<() => void | Promise<void>> = [];
  const dataDir = options.dataDir ?? tempDir({ after: (fn) => removals.push(fn) }, 'sq-host-');
  let started: Awaited<ReturnType<typeof startSq>> | undefined;
  t.after(async () => {
    await started?.kill();
    for (const remove of removals) await remove();
  });
  const where = options.store === undefined ? ['--data-dir', dataDir] : ['--store', options.store];
  const args = ['host', '0', '--bind', '127.0.0.1', ...where, ...(options.args ?? [])];
  const host = await startSq(args, { cwd: options.cwd, env: { SQ_KEY: '' }, startTimeoutMs: options.startTimeoutMs ?? 20_000 });
  started = host;
  return {
    ...host,
    dataDir,
    store: options.store,
    waitForStderr: (pattern, ms = 10_000) => host.waitForStderr(pattern, ms),
    file: (name) => join(dataDir, `${name}.phext`),
    files: () => readdirSync(dataDir).sort(),
    call: (method, path, body, headers) => call(host.port, path, { method, body, headers }),
  };
}
