import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';

/** The directory beside the shared phext's users that holds the daemon's socket and pid files. */
export const SQ_DIR = '.sq';

/**
 * Longest socket path we bind. sockaddr_un.sun_path is 108 bytes on Linux and 104 on macOS,
 * including the terminating NUL; stay below both.
 */
const MAX_SOCKET_PATH_BYTES = 100;

/** Where the daemon of one directory keeps its files. */
export interface DaemonPaths {
  /** `<cwd>/.sq`, mode 0700. */
  readonly dir: string;
  /** `<cwd>/.sq/sq.sock`, or a per-user temp path when that is too long to bind. */
  readonly socket: string;
  /** `<cwd>/.sq/sq.pid`: the daemon's pid, for humans and scripts. */
  readonly pidFile: string;
  /** `<cwd>/.sq/sq.json`: {@link DaemonInfo}; clients read the socket path from it. */
  readonly infoFile: string;
}

/** What a running daemon records in `.sq/sq.json`. */
export interface DaemonInfo {
  pid: number;
  /** Absolute path of the shared phext. */
  file: string;
  /** Absolute socket path. */
  socket: string;
  version: string;
  started: string;
}

/**
 * The daemon paths of `cwd`. The socket normally lives in `.sq/`; when that path is too long for
 * a Unix socket, it moves to `<tmpdir>/sq-<uid>/<hash of cwd>.sock` (a private 0700 directory,
 * so the short path is no weaker than `.sq/`).
 */
export function daemonPaths(cwd: string): DaemonPaths {
  const dir = join(cwd, SQ_DIR);
  const local = join(dir, 'sq.sock');
  const socket = Buffer.byteLength(local) <= MAX_SOCKET_PATH_BYTES ? local : fallbackSocket(cwd);
  return { dir, socket, pidFile: join(dir, 'sq.pid'), infoFile: join(dir, 'sq.json') };
}

function fallbackSocket(cwd: string): string {
  const hash = createHash('sha256').update(cwd).digest('hex').slice(0, 16);
  return join(tmpdir(), `sq-${process.getuid?.() ?? 'user'}`, `${hash}.sock`);
}

/**
 * Creates a directory only this user may enter (0700), or checks an existing one is exactly that:
 * a real directory (not a symlink) owned by us. Throws otherwise, since another user could then
 * reach or replace our socket.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** The recorded daemon of `paths`, or undefined when there is none or the record is unreadable. */
export function readDaemonInfo(paths: DaemonPaths): DaemonInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(paths.infoFile, 'utf8')) as Partial<DaemonInfo>;
    if (typeof info.pid !== 'number' || typeof info.file !== 'string' || typeof info.socket !== 'string') return undefined;
    return info as DaemonInfo;
  } catch {
    return undefined;
  }
}

/** A daemon file the client will not use: another user could have planted or changed it. */
class UntrustedDaemonError extends Error {
  override readonly name = 'UntrustedDaemonError';
}

/**
 * The socket a client should dial: the one the daemon recorded, else the computed path. Anyone
 * who can write to a shared directory could plant `.sq/sq.json` naming a socket of theirs and
 * receive what we send, so, as the daemon does for itself, `.sq/`, `sq.json`, the socket and the
 * socket's directory must each belong to this user (or root) and be writable by no one else.
 */
export function clientSocketPath(cwd: string): string {
  const paths = daemonPaths(cwd);
  checkTrusted(paths.dir, 'directory');
  checkTrusted(paths.infoFile, 'file');
  const socket = readDaemonInfo(paths)?.socket ?? paths.socket;
  checkTrusted(dirname(socket), 'directory');
  checkTrusted(socket, 'socket');
  return socket;
}

/** Throws an UntrustedDaemonError unless `path` is missing, or a `kind` owned by us or root that only its owner may write. */
function checkTrusted(path: string, kind: 'directory' | 'file' | 'socket'): void {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const uid = process.getuid?.();
  const isKind = kind === 'directory' ? st.isDirectory() : kind === 'socket' ? st.isSocket() : st.isFile();
  const problem = st.isSymbolicLink()
    ? 'is a symlink'
    : !isKind
      ? `is not a ${kind}`
      : uid !== undefined && st.uid !== uid && st.uid !== 0
        ? `belongs to another user (uid ${st.uid})`
        : (st.mode & 0o022) !== 0
          ? `is writable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`
          : undefined;
  if (problem) throw new UntrustedDaemonError(`refusing ${path}: it ${problem}, so it may not be your daemon's`);
}

/** `path` relative to `cwd` when it lies inside it (how messages name files), else absolute. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
