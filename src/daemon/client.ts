import { createConnection, type Socket } from 'node:net';
import { clientSocketPath } from './paths.js';
import { LineSplitter, MAX_RESPONSE_BYTES, encodeLine, type DaemonRequest, type DaemonResponse } from './protocol.js';

/** No daemon answers in this directory (no socket, or a dead one). */
class NoDaemonError extends Error {
  override readonly name = 'NoDaemonError';
  constructor() {
    super('no daemon is running here; start one with: sq share <file.phext>');
  }
}

/** The daemon stayed silent longer than the client waits (a hung daemon). */
class DaemonTimeoutError extends Error {
  override readonly name = 'DaemonTimeoutError';
  constructor(timeoutMs: number) {
    super(`the daemon did not answer within ${timeoutMs / 1000} s; it may be hung (the wait is set by --timeout or SQ_TIMEOUT)`);
  }
}

/** How long a client waits by default for the daemon to connect or say anything. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** A failed request: `message` is the daemon's one-line error. */
class DaemonRequestError extends Error {
  override readonly name = 'DaemonRequestError';
}

/** A connection to the daemon of a directory; requests are answered in order. */
export class DaemonClient {
  private readonly splitter = new LineSplitter(MAX_RESPONSE_BYTES);
  private readonly waiting: Array<{ resolve: (r: DaemonResponse) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const line of this.splitter.push(chunk)) this.waiting.shift()?.resolve(JSON.parse(line.toString('utf8')) as DaemonResponse);
      } catch (err) {
        this.fail(new Error(`unreadable answer from the daemon: ${(err as Error).message}`));
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('the daemon closed the connection')));
    // Silence while an answer is awaited; a long answer that keeps arriving is not a hang.
    socket.on('timeout', () => {
      if (this.waiting.length === 0) return;
      this.fail(new DaemonTimeoutError(timeoutMs));
      socket.destroy();
    });
  }

  /**
   * Connects to the daemon serving `cwd`; rejects with NoDaemonError when there is none, with an
   * UntrustedDaemonError when its files may be another user's, and with a DaemonTimeoutError when
   * it stays silent for `timeoutMs` (connecting, or while an answer is awaited).
   */
  static connect(cwd: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DaemonClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(clientSocketPath(cwd));
      socket.setTimeout(timeoutMs);
      const connectTimeout = () => {
        reject(new DaemonTimeoutError(timeoutMs));
        socket.destroy();
      };
      socket.once('timeout', connectTimeout);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.off('timeout', connectTimeout);
        resolve(new DaemonClient(socket, timeoutMs));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? new NoDaemonError() : err);
      });
    });
  }

  /** Sends one request; resolves with its output text, rejects with DaemonRequestError on `{ok:false}`. */
  async request(request: DaemonRequest): Promise<string> {
    if (this.failure) throw this.failure;
    const response = await new Promise<DaemonResponse>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encodeLine(request));
    });
    if (!response.ok) throw new DaemonRequestError(response.error);
    return response.out;
  }

  close(): void {
    this.socket.end();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}
