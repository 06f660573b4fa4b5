/** `sq host` as the update bench starts it, on data directories it fills from fixtures built once. */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFixture, type PhextFixture } from '../http/fixtures.js';
import { startServer, type ServerChild } from '../http/processes.js';

const SQ = fileURLToPath(new URL('../../../bin/sq', import.meta.url));
/** What `sq host` and the SQLite reference print once they listen; the group is the port. */
export const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

/** Starts `sq host` on `dataDir` (loopback, any free port, no request log), with `extra` options. */
export function startSq(label: string, dataDir: string, extra: readonly string[] = []): Promise<ServerChild> {
  const args = [SQ, 'host', '0', '--bind', '127.0.0.1', '--data-dir', dataDir, '--log-format', 'off', ...extra];
  return startServer(label, args, LISTENING);
}

/**
 * Puts `fixture`'s `.phext` into `dataDir`, a copy of the one built under `cache` on first use
 * (building 100 MB takes seconds, copying it a fraction of one); returns its size in bytes.
 */
export function placeFixture(cache: string, fixture: PhextFixture, dataDir: string): number {
  const built = join(cache, `${fixture.name}.phext`);
  if (!existsSync(built)) {
    mkdirSync(cache, { recursive: true });
    writeFixture(cache, fixture);
  }
  copyFileSync(built, join(dataDir, `${fixture.name}.phext`));
  return statSync(built).size;
}

/** The store's change log of a phext: `.<name>.phext.log` beside it. */
export const changeLogOf = (dataDir: string, fixture: PhextFixture) => join(dataDir, `.${fixture.name}.phext.log`);

/** Kills a server with SIGKILL, as a crash would: nothing it holds in memory or has not folded gets written. */
export async function killServer(server: ServerChild): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}
