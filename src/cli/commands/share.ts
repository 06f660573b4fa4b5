import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from '../command.js';
import { DaemonRunningError, startDaemon } from '../../daemon/daemon.js';
import { displayPath } from '../../daemon/paths.js';
import { phextFileArg } from './phext-file-arg.js';
import { waitForShutdown } from './shutdown.js';

const USAGE = `Usage: sq share <file.phext>

Serves one phext to the client commands (sq select, insert, update, ...) run in this directory,
over the Unix socket .sq/sq.sock (.sq/ is private to you, mode 0700). Writes are as durable as
with sq host: on disk (atomic replace, fsync) before the client gets its answer. Stays in the
foreground until sq shutdown, SIGTERM or Ctrl-C; then it flushes and removes the socket.
One daemon per directory; a socket left by a killed daemon is replaced.`;

/** `sq share`: the local daemon. */
export const shareCommand: Command = {
  name: 'share',
  summary: 'Serve one phext to the client commands in this directory (daemon)',
  usage: USAGE,
  async run(args) {
    const cwd = process.cwd();
    const file = resolve(cwd, phextFileArg(args));
    if (!existsSync(dirname(file))) throw new Error(`directory ${dirname(file)} does not exist`);
    let daemon;
    try {
      daemon = await startDaemon({ cwd, file });
    } catch (err) {
      const info = err instanceof DaemonRunningError ? err.info : undefined;
      if (info) throw new Error(`a daemon is already serving ${displayPath(cwd, info.file)} (pid ${info.pid})`);
      throw err;
    }
    process.stdout.write(`Sharing ${args[0]} on ${displayPath(cwd, daemon.paths.socket)}\n`);
    const bySignal = waitForShutdown(() => daemon.stop());
    return Promise.race([bySignal, daemon.stopped.then(() => 0)]);
  },
};
