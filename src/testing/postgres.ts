/**
 * A throwaway PostgreSQL cluster for one test file: its own data directory, listening only on a
 * Unix socket inside it (never a TCP port, never the system's cluster), removed when stopped.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How `pg` reaches the cluster: `host` is the socket's directory. */
interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
}

export interface ThrowawayPostgres {
  readonly connection: PostgresConnection;
  /** `postgres:///<database>?host=<socket dir>&port=<port>`, as `sq host --store` takes it. */
  url(database?: string): string;
  /** Stops the server at once, keeping its data, as a crashed or unreachable database (see up()). */
  down(): Promise<void>;
  /** Starts the server again on its data after down(). */
  up(): Promise<void>;
  /** Stops the server at once (no checkpoint: the cluster is thrown away) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Run by `sh` with the cluster's directory as $1: waits for its standard input to close, then
 * shuts the server down at once (SIGQUIT: the cluster is thrown away) and removes the directory.
 */
const WATCHDOG = `cat >/dev/null
pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
  kill -QUIT "$pid" 2>/dev/null
  # Gone, or a zombie that nobody reaps (a container whose first process is no init).
  while [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do sleep 0.05; done
fi
rm -rf "$1"`;

const USER = 'sq';
const DATABASE = 'sq_test';
const PORT = 5432;

/**
 * Starts a cluster, or says why PostgreSQL cannot be had here (its binaries are missing), so that
 * a test can skip with that reason. Any other failure throws: a broken install must not pass as skipped.
 */
export async function startPostgres(): Promise<ThrowawayPostgres | { readonly missing: string }> {
  const bin = findBinaries();
  if (!bin) return { missing: 'no initdb in /usr/lib/postgresql/*/bin nor on PATH (install Debian’s postgresql)' };
  // initdb refuses to run as root: as root, the cluster belongs to the postgres user.
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      owner = { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) };
    } catch {
      return { missing: 'running as root and there is no postgres user to own a cluster' };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'sq-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = (program: string, args: string[]) => {
    const file = join(bin, program);
    // cwd: the test's directory may be closed to the postgres user.
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir }) : run(file, args, { cwd: dir });
  };
  const data = join(dir, 'data');
  // The cluster ends with this process however it ends (a killed test file too): the watchdog
  // stops it and removes its directory once its standard input closes, by stop() or by our death.
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'sq-pg-watchdog', dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  const ended = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  const stop = async () => {
    // Waited for: unreferenced, the process could exit before the watchdog has done.
    watchdog.ref();
    watchdog.stdin.end();
    await ended;
  };
  const settings = `-c listen_addresses='' -c unix_socket_directories='${dir}' -c port=${PORT} -c fsync=on`;
  const up = async () => {
    await as('pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', settings]);
  };
  try {
    // --no-sync only for the files initdb writes: the server itself runs with fsync on.
    await as('initdb', ['-D', data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await up();
    await as('createdb', ['-h', dir, '-p', String(PORT), '-U', USER, DATABASE]);
  } catch (e) {
    await stop();
    throw new Error(`could not start a throwaway PostgreSQL: ${String(e).split('\n')[0]}`);
  }
  return {
    connection: { host: dir, port: PORT, user: USER, database: DATABASE },
    url: (database = DATABASE) => `postgres://${USER}@/${database}?host=${dir}&port=${PORT}`,
    down: async () => {
      await as('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '60']);
    },
    up,
    stop,
  };
}

/** The directory of the newest installed PostgreSQL's binaries, else of the initdb on PATH. */
function findBinaries(): string | undefined {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  return (process.env.PATH ?? '').split(delimiter).find((d) => d !== '' && existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
}
