import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { listen } from '../net/listen.js';

/** Another live process owns the directory. */
export class DirLockedError extends Error {
  override readonly name = 'DirLockedError';
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(`${dir} is in use by another sq process${pid ? ` (pid ${pid})` : ''}: one sq host, sq share or sq basic per data directory`);
  }
}

/** Held ownership of a directory; release() gives it up (so does the death of the process). */
export interface DirLock {
  readonly dir: string;
  release(): void;
}

/**
 * The lock's name: a Unix socket in Linux's abstract namespace, named from the directory's real
 * path. The kernel binds a name atomically (two processes starting in the same instant cannot
 * both get it) and frees it when its process dies, even by kill -9, so nothing is left stuck.
 */
function lockName(realDir: string): string {
  return `\0sq-lock/${createHash('sha256').update(realDir).digest('hex')}`;
}

/**
 * Makes this process the one owner of `dir` (a data directory, or the directory of a shared
 * phext), or throws {@link DirLockedError} naming the owner's pid: the owner answers every
 * connection to the lock with its pid. Linux only; elsewhere it grants the lock (no abstract
 * sockets) and the directory is unguarded.
 */
export async function lockDirectory(dir: string): Promise<DirLock> {
  const real = realpathSync(dir);
  if (process.platform !== 'linux') return { dir: real, release: () => undefined };
  const name = lockName(real);
  for (let attempt = 0; ; attempt++) {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${process.pid}\n`);
    });
    try {
      await listen(server, name);
      server.unref(); // the lock never keeps the process alive by itself
      return { dir: real, release: () => void server.close() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
    const pid = await ownerPid(name);
    // The owner died between our bind and our connect: its name is free now, try once more.
    if (pid === null && attempt === 0) continue;
    // This process owns it already (two tenants or stores over one directory): the first holder keeps it.
    if (pid === process.pid) return { dir: real, release: () => undefined };
    throw new DirLockedError(real, pid ?? undefined);
  }
}

/** The pid the owner answers with; undefined if it says nothing usable, null if nobody listens. */
function ownerPid(name: string): Promise<number | undefined | null> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(name);
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code === 'ECONNREFUSED' ? null : undefined);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const pid = Number(text.trim());
      resolve(Number.isSafeInteger(pid) && pid > 0 ? pid : undefined);
    });
  });
}
