import { createConnection, type Socket } from 'node:net';
import { clientSocketPath } from './paths.js';
import { LineSplitter, MAX_RESPONSE_BYTES, encodeLine, type DaemonRequest, type DaemonResponse } from './protocol.js';

/** No daemon answers in this directory (no socket, or a dead one). */
export class NoDaemonError extends Error {
  override readonly name = 'NoDaemonError';
  constructor() {
    super('no daemon is running here; start one with: sq share <file.phext>');
  }
}

/** A failed request: `message` is the daemon's one-line error. */
export class DaemonRequestError extends Error {
  override readonly name = 'DaemonRequestError';
}

/** A connection to the daemon of a directory; requests are answered in order. */
export class DaemonClient {
  private readonly splitter = new LineSplitter(MAX_RESPONSE_BYTES);
  private readonly waiting: Array<{ resolve: (r: DaemonResponse) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
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
  }

  /** Connects to the daemon serving `cwd`; rejects with NoDaemonError when there is none. */
  static connect(cwd: string): Promise<DaemonClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(clientSocketPath(cwd));
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(new DaemonClient(socket));
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
