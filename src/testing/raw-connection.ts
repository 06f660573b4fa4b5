/** A raw TCP connection to a test server: bytes out exactly as written, everything that comes back. */
import net from 'node:net';
import { once } from 'node:events';

/** One HTTP response found in a byte stream (Content-Length framed, or none). */
export interface RawResponse {
  status: number;
  /** The status line and headers, without the blank line. */
  head: string;
  body: string;
}

/** The complete HTTP responses in `stream` (latin1 text), in order; interim ones (100) included. */
export function responsesIn(stream: string): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  for (;;) {
    const end = stream.indexOf('\r\n\r\n', at);
    if (end < 0) return out;
    const head = stream.slice(at, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (stream.length < end + 4 + length) return out;
    const body = Buffer.from(stream.slice(end + 4, end + 4 + length), 'latin1').toString('utf8');
    out.push({ status: Number(head.slice(9, 12)), head, body });
    at = end + 4 + length;
  }
}

export class RawConnection {
  private received = '';
  private readonly wakers = new Set<() => void>();
  /** Resolves when the server has closed its side (or the connection is gone). */
  readonly ended: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received += d.toString('latin1');
      for (const wake of this.wakers) wake();
    });
    socket.on('error', () => {}); // a reset shows as `ended`; the test looks at what arrived
    this.ended = new Promise((resolve) => {
      socket.once('end', resolve);
      socket.once('close', resolve);
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Everything received so far, as latin1 text. */
  text(): string {
    return this.received;
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves once what was received satisfies `done`; rejects after `ms` or when the connection ends first. */
  waitFor(done: (text: string) => boolean, what: string, ms = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const finish = (err?: Error): void => {
        this.wakers.delete(check);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(this.received);
      };
      const check = (): void => {
        if (done(this.received)) finish();
      };
      const timer = setTimeout(() => finish(new Error(`${what}: not within ${ms} ms; received ${JSON.stringify(this.received)}`)), ms);
      void this.ended.then(() =>
        setImmediate(() => {
          if (this.wakers.has(check))
            finish(done(this.received) ? undefined : new Error(`${what}: connection ended; received ${JSON.stringify(this.received)}`));
        }),
      );
      this.wakers.add(check);
      check();
    });
  }

  /** Resolves once the server has closed the connection; rejects after `ms`. */
  async closedByServer(what: string, ms = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: the server kept the connection open for ${ms} ms`)), ms);
    });
    try {
      await Promise.race([this.ended, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
