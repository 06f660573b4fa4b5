import type { Socket } from 'node:net';
import { type ProtocolError, encodeLine, type DaemonResponse, type LineSplitter } from './protocol.js';

/** Answers one request line; never throws (errors are `{ok:false}` responses). */
export type Answer = (line: Buffer, from: Connection) => Promise<DaemonResponse>;

/**
 * One client connection of the daemon: requests are answered one at a time, in order. While a
 * request is being answered the socket is paused, so a client that floods requests (or never
 * reads its responses) holds at most one chunk of unread lines in our memory.
 */
export class Connection {
  private queue: Buffer[] = [];
  private busy = false;
  private closing = false;
  private idleCallbacks: Array<() => void> = [];

  constructor(
    private readonly socket: Socket,
    readonly id: number,
    private readonly splitter: LineSplitter,
    private readonly answer: Answer,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {
      /* the client went away; 'close' follows */
    });
    socket.on('close', () => this.wakeIdle());
    // Half-close (`nc -N`, a script that writes then shuts down): answer everything, then end.
    socket.on('end', () => this.afterIdle(() => socket.end()));
  }

  /** Runs `callback` once every line received so far has been answered (or the socket closed). */
  afterIdle(callback: () => void): void {
    this.idleCallbacks.push(callback);
    if (!this.busy) this.wakeIdle();
  }

  /** Stops reading, lets the answer in progress go out, then closes the connection. */
  drainAndEnd(): Promise<void> {
    this.closing = true;
    this.socket.pause();
    return new Promise((resolve) => {
      this.afterIdle(() => {
        if (this.socket.destroyed) return resolve();
        this.socket.once('close', () => resolve());
        this.socket.end();
        // A client that never reads could hold end() forever.
        setTimeout(() => this.socket.destroy(), 2_000).unref();
      });
    });
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    let lines: Buffer[];
    try {
      lines = this.splitter.push(chunk);
    } catch (err) {
      // The line cannot be resynchronised after an oversize request: answer, then hang up.
      this.closing = true;
      this.socket.end(encodeLine({ ok: false, error: `request too large: ${(err as ProtocolError).message}` }));
      return;
    }
    for (const line of lines) {
      const trimmed = line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
      if (trimmed.length > 0) this.queue.push(trimmed);
    }
    if (this.queue.length > 0 && !this.busy) void this.run();
  }

  private async run(): Promise<void> {
    this.busy = true;
    this.socket.pause();
    while (this.queue.length > 0 && !this.socket.destroyed) {
      const response = await this.answer(this.queue.shift()!, this);
      await this.write(encodeLine(response));
    }
    this.queue = [];
    this.busy = false;
    if (!this.closing) this.socket.resume();
    this.wakeIdle();
  }

  private write(line: string): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve();
    if (this.socket.write(line)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private wakeIdle(): void {
    const callbacks = this.idleCallbacks;
    this.idleCallbacks = [];
    for (const callback of callbacks) callback();
  }
}
