import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { basename, dirname } from 'node:path';
import { FileDocumentStore, lockDirectory, writeFileAtomic, type DirLock } from '../store/index.js';
import { VERSION } from '../version.js';
import { HANDLERS, errorMessage, type SharedPhext } from './handlers.js';
import { daemonPaths, displayPath, ensurePrivateDir, readDaemonInfo, type DaemonInfo, type DaemonPaths } from './paths.js';
import { LineSplitter, MAX_REQUEST_BYTES, ProtocolError, type DaemonResponse } from './protocol.js';
import { parseRequest } from './request.js';
import { Connection } from './connection.js';
import { listen } from '../net/listen.js';

const MiB = 1024 * 1024;

/** Settings of {@link startDaemon}. */
export interface DaemonOptions {
  /** The directory whose `.sq/` holds the socket. */
  cwd: string;
  /** Absolute path of the phext to share (created on the first write if missing). */
  file: string;
  maxPhextBytes?: number;
}

/** A running daemon. */
export interface Daemon {
  readonly paths: DaemonPaths;
  /** Resolves once the daemon has flushed, closed its socket and removed its files. */
  readonly stopped: Promise<void>;
  /** Flushes and stops (what SIGTERM and `sq shutdown` do). */
  stop(): Promise<void>;
}

/** Another live daemon already answers on this directory's socket. */
export class DaemonRunningError extends Error {
  override readonly name = 'DaemonRunningError';
  constructor(readonly info: DaemonInfo | undefined) {
    super(info ? `a daemon is already serving ${info.file} (pid ${info.pid})` : 'a daemon is already running in this directory');
  }
}

/**
 * Serves one phext on this directory's socket until stopped. The socket is claimed by binding it:
 * if the path is taken, a connect probe tells a live daemon (refused with DaemonRunningError) from
 * the leftover of a crashed one (ECONNREFUSED: unlinked and bound again).
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const paths = daemonPaths(options.cwd);
  ensurePrivateDir(paths.dir);
  ensurePrivateDir(dirname(paths.socket));
  // One phext, no tenants: its directory is the only one, its name the file's.
  if (!options.file.endsWith('.phext')) throw new Error(`expected a file ending in .phext, got '${options.file}'`);
  const dir = dirname(options.file);
  const store = new FileDocumentStore({
    directories: () => dir,
    cacheBytes: 2048 * MiB,
    maxPhextBytes: options.maxPhextBytes ?? 1024 * MiB,
  });
  const shared: SharedPhext = { store, path: options.file, key: { tenant: '', name: basename(options.file, '.phext') } };
  await store.read(shared.key); // refuse an unreadable file now, not at the first request

  const connections = new Set<Connection>();
  let connectionIds = 0;
  let stopping: Promise<void> | undefined;
  let finishing: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));

  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const connection = new Connection(socket, ++connectionIds, new LineSplitter(MAX_REQUEST_BYTES), answer);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });
  await claimSocket(server, paths);
  // The shared phext's directory has one owner: no sq host or other daemon writes beside us.
  let lock: DirLock;
  try {
    lock = await lockDirectory(dirname(options.file));
  } catch (e) {
    await new Promise((r) => server.close(r)); // gives the socket up again
    throw e;
  }
  chmodSync(paths.socket, 0o600);
  const socketIno = lstatSync(paths.socket).ino;
  const info: DaemonInfo = {
    pid: process.pid,
    file: shared.path,
    socket: paths.socket,
    version: VERSION,
    started: new Date().toISOString(),
  };
  await writeFileAtomic(paths.infoFile, Buffer.from(JSON.stringify(info, null, 2) + '\n'));
  await writeFileAtomic(paths.pidFile, Buffer.from(`${process.pid}\n`));
  // Whatever the umask (or a leftover file's mode): clients refuse a group-writable record.
  chmodSync(paths.infoFile, 0o600);
  chmodSync(paths.pidFile, 0o600);

  async function answer(line: Buffer, from: Connection): Promise<DaemonResponse> {
    try {
      const request = parseRequest(line);
      if (stopping) throw new ProtocolError('the daemon is shutting down');
      if (request.cmd === 'shutdown') {
        await stop();
        void from.afterIdle(finish);
        return { ok: true, out: `Stopped sharing ${displayPath(options.cwd, shared.path)}` };
      }
      const handler = Object.hasOwn(HANDLERS, request.cmd) ? HANDLERS[request.cmd] : undefined;
      if (!handler) throw new ProtocolError(`unknown command '${request.cmd}'`);
      return { ok: true, out: await handler(shared, request, from.id) };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  /** Stops accepting and flushes every acknowledged write. */
  function stop(): Promise<void> {
    stopping ??= (async () => {
      server.close();
      await store.close();
    })();
    return stopping;
  }

  /** After stop: lets in-flight answers go out, closes connections, removes the daemon's files. */
  function finish(): Promise<void> {
    finishing ??= (async () => {
      await Promise.allSettled([...connections].map((c) => c.drainAndEnd()));
      removeIfOurs(paths, socketIno);
      lock.release();
      resolveStopped();
    })();
    return finishing;
  }

  return {
    paths,
    stopped,
    async stop() {
      await stop();
      await finish();
    },
  };
}

async function claimSocket(server: Server, paths: DaemonPaths): Promise<void> {
  try {
    await listen(server, paths.socket);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
  }
  if (await answers(paths.socket)) throw new DaemonRunningError(readDaemonInfo(paths));
  unlinkIfExists(paths.socket); // left behind by a daemon that was killed
  await listen(server, paths.socket);
}

/** True when something accepts connections on `socket`; false for a dead or missing socket. */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createConnection(socket);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false);
      else reject(err);
    });
  });
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Removes the socket and the pid files, unless a newer daemon has already replaced them. */
function removeIfOurs(paths: DaemonPaths, socketIno: number): void {
  try {
    if (lstatSync(paths.socket).ino === socketIno) unlinkIfExists(paths.socket);
  } catch {
    /* already gone (closing the server unlinks it) */
  }
  if (readDaemonInfo(paths)?.pid === process.pid) {
    unlinkIfExists(paths.infoFile);
    unlinkIfExists(paths.pidFile);
  }
}
