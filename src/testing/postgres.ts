/**
 * A throwaway PostgreSQL cluster for one test file: its own data directory, listening only on a
 * Unix socket inside it (never a TCP port, never the system's cluster), removed when stopped.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

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

/** Who runs the PostgreSQL programs: their directory, and the postgres user when we are root. */
interface Binaries {
  readonly bin: string;
  readonly owner: { readonly uid: number; readonly gid: number } | undefined;
}

/** The binaries, or why PostgreSQL cannot be had here (a test then skips with that reason). */
function binaries(): Binaries | { readonly missing: string } {
  const bin = findBinaries();
  if (!bin) return { missing: 'no initdb in /usr/lib/postgresql/*/bin nor on PATH (install Debian’s postgresql)' };
  // initdb refuses to run as root: as root, the cluster belongs to the postgres user.
  if (process.getuid?.() !== 0) return { bin, owner: undefined };
  try {
    return { bin, owner: { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) } };
  } catch {
    return { missing: 'running as root and there is no postgres user to own a cluster' };
  }
}

/** A cluster's directory (its data in `data`, its socket and log beside it) and how to run programs on it. */
interface ClusterDir {
  readonly dir: string;
  readonly data: string;
  readonly connection: PostgresConnection;
  /** Runs one of PostgreSQL's programs (as the postgres user when we are root). */
  run(program: string, args: string[]): Promise<unknown>;
  /** Starts the server on the existing data directory. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A fresh directory for a cluster, whose watchdog ends the server in it and removes it however
 * this process ends: once its standard input closes, by stop() or by our death.
 */
function clusterDir({ bin, owner }: Binaries): ClusterDir {
  const dir = mkdtempSync(join(tmpdir(), 'sq-pg-'));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = (program: string, args: string[]) => {
    const file = join(bin, program);
    // cwd: the test's directory may be closed to the postgres user.
    return owner ? run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir }) : run(file, args, { cwd: dir });
  };
  const data = join(dir, 'data');
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'sq-pg-watchdog', dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  const ended = new Promise<void>((resolve) => watchdog.once('exit', () => resolve()));
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  return {
    dir,
    data,
    connection: { host: dir, port: PORT, user: USER, database: DATABASE },
    run: as,
    start: async () => {
      const settings = `-c listen_addresses='' -c unix_socket_directories='${dir}' -c port=${PORT} -c fsync=on`;
      await as('pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', settings]);
    },
    stop: async () => {
      // Waited for: unreferenced, the process could exit before the watchdog has done.
      watchdog.ref();
      watchdog.stdin.end();
      await ended;
    },
  };
}

/** A new cluster with the test database, its server started; stopped and removed if that fails. */
async function newCluster(binaries: Binaries): Promise<ClusterDir> {
  const cluster = clusterDir(binaries);
  try {
    // --no-sync only for the files initdb writes: the server itself runs with fsync on.
    await cluster.run('initdb', ['-D', cluster.data, '-U', USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await cluster.start();
    await cluster.run('createdb', ['-h', cluster.dir, '-p', String(PORT), '-U', USER, DATABASE]);
  } catch (e) {
    await cluster.stop();
    throw new Error(`could not start a throwaway PostgreSQL: ${String(e).split('\n')[0]}`);
  }
  return cluster;
}

/**
 * Starts a cluster, or says why PostgreSQL cannot be had here (its binaries are missing), so that
 * a test can skip with that reason. Any other failure throws: a broken install must not pass as skipped.
 */
export async function startPostgres(): Promise<ThrowawayPostgres | { readonly missing: string }> {
  const found = binaries();
  if ('missing' in found) return found;
  const cluster = await newCluster(found);
  return {
    connection: cluster.connection,
    url: (database = DATABASE) => `postgres://${USER}@/${database}?host=${cluster.dir}&port=${PORT}`,
    down: async () => {
      await cluster.run('pg_ctl', ['stop', '-D', cluster.data, '-m', 'immediate', '-w', '-t', '60']);
    },
    up: () => cluster.start(),
    stop: () => cluster.stop(),
  };
}

/** A server of a replicated pair, which the test crashes, stops, starts and promotes. */
export interface PairServer {
  readonly connection: PostgresConnection;
  /** SIGKILL of its postmaster and every backend (a crash of its host); resolves once they are gone. */
  kill(): Promise<void>;
  /**
   * SIGSTOP of its postmaster and of each of its processes (a host that stopped answering without
   * closing its connections); the function returned sends them SIGCONT, and must be called.
   */
  freeze(): () => void;
  /** A fast shutdown (`pg_ctl stop -m fast`). */
  shutdown(): Promise<void>;
  /** Starts it again on its data directory. */
  start(): Promise<void>;
  /** Ends its recovery: the standby becomes a primary (`pg_ctl promote`, waited for). */
  promote(): Promise<void>;
}

export interface ReplicatedPostgres {
  readonly primary: PairServer;
  /** Streams the primary's WAL; named `standby` (its application_name) on the primary. */
  readonly standby: PairServer;
  /** Stops both servers and removes their directories. */
  stop(): Promise<void>;
}

/**
 * A primary and a streaming-replication standby, each a throwaway cluster of its own (own
 * directory, own Unix socket), the standby made by `pg_basebackup -R` from the primary and
 * streaming when this resolves. A synchronous standby is named in the primary's
 * `synchronous_standby_names` (with `synchronous_commit = on`): a COMMIT is answered once the
 * standby has flushed it. An asynchronous one is not: a COMMIT is answered when local.
 */
export async function startReplicatedPostgres(
  standby: 'synchronous' | 'asynchronous',
): Promise<ReplicatedPostgres | { readonly missing: string }> {
  const found = binaries();
  if ('missing' in found) return found;
  const primary = await newCluster(found);
  const copy = clusterDir(found);
  const stop = async () => {
    await Promise.all([primary.stop(), copy.stop()]);
  };
  try {
    // A fast checkpoint to start from (a spread one takes minutes); --no-sync: the copy is never
    // crashed, only its server is stopped or promoted.
    await copy.run('pg_basebackup', [
      '-h',
      primary.dir,
      '-p',
      String(PORT),
      '-U',
      USER,
      '-D',
      copy.data,
      '-R',
      '-X',
      'stream',
      '--checkpoint=fast',
      '--no-sync',
    ]);
    // Later lines win: the same connection as -R wrote, with the name the primary knows it by.
    appendFileSync(
      join(copy.data, 'postgresql.auto.conf'),
      `primary_conninfo = 'host=${primary.dir} port=${PORT} user=${USER} application_name=standby'\n`,
    );
    await copy.start();
    const admin = new pg.Client(primary.connection);
    await admin.connect();
    try {
      if (standby === 'synchronous') {
        await admin.query("ALTER SYSTEM SET synchronous_standby_names = 'standby'");
        await admin.query('ALTER SYSTEM SET synchronous_commit = on');
        await admin.query('SELECT pg_reload_conf()');
      }
      const state = standby === 'synchronous' ? 'sync' : 'async';
      for (const deadline = Date.now() + 60_000; ; ) {
        const { rows } = await admin.query(
          "SELECT 1 FROM pg_stat_replication WHERE application_name = 'standby' AND state = 'streaming' AND sync_state = $1",
          [state],
        );
        if (rows.length > 0) break;
        if (Date.now() > deadline) throw new Error(`the standby is not streaming (${state}) after 60 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await admin.end();
    }
  } catch (e) {
    await stop();
    throw new Error(`could not start a replicated PostgreSQL: ${String(e).split('\n')[0]}`);
  }
  return { primary: pairServer(primary), standby: pairServer(copy), stop };
}

function pairServer(cluster: ClusterDir): PairServer {
  return {
    connection: cluster.connection,
    kill: async () => {
      // The whole host at once, as when its machine dies: a backend left to notice its postmaster's
      // death could still answer a query for a moment.
      const postmaster = postmasterPid(cluster);
      const pids = [postmaster, ...childrenOf(postmaster)];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // A backend that ended meanwhile.
        }
      }
      while (pids.some(running)) await new Promise((r) => setTimeout(r, 5));
      // As after the host's reboot: here the killed postmaster may stay a zombie nobody reaps,
      // which its lock files would take for a server still running.
      for (const lock of [join(cluster.data, 'postmaster.pid'), join(cluster.dir, `.s.PGSQL.${PORT}.lock`)]) rmSync(lock, { force: true });
    },
    freeze: () => {
      const postmaster = postmasterPid(cluster);
      const pids = [postmaster, ...childrenOf(postmaster)];
      // A backend may exit between the listing and its signal (a connection closing): gone, it
      // needs no stopping.
      for (const pid of pids) signalIfRunning(pid, 'SIGSTOP');
      return () => {
        for (const pid of pids) signalIfRunning(pid, 'SIGCONT');
      };
    },
    shutdown: async () => {
      await cluster.run('pg_ctl', ['stop', '-D', cluster.data, '-m', 'fast', '-w', '-t', '60']);
    },
    start: () => cluster.start(),
    promote: async () => {
      await cluster.run('pg_ctl', ['promote', '-D', cluster.data, '-w', '-t', '60']);
    },
  };
}

function signalIfRunning(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

const postmasterPid = (cluster: ClusterDir) => Number(readFileSync(join(cluster.data, 'postmaster.pid'), 'utf8').split('\n')[0]);

/** The processes whose parent is `pid` (a postmaster's backends and workers). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // The parent is the second field after the command's closing parenthesis.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Whether `pid` is a live process: not gone, nor a zombie that nobody reaps (a container whose first process is no init). */
function running(pid: number): boolean {
  try {
    return !/^State:.*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
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
