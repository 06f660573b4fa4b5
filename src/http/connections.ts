import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const BUSY_BODY = 'Service Unavailable: too many connections';
const BUSY_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Access-Control-Allow-Origin: *\r\nContent-Length: ${BUSY_BODY.length}\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

/** How long a refused connection may stay half-open waiting for the client to hang up. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Numbers connections (the `status` command's Connection ID), answers 503 beyond `max` open
 * connections — node's own `maxConnections` would drop them without a word — and knows which
 * connections have a request in progress, so a shutdown can cut all the others at once.
 */
export class ConnectionTracker {
  private next = 0;
  private readonly ids = new WeakMap<Socket, number>();
  /** Every open connection and its number of requests in progress. */
  private readonly requests = new Map<Socket, number>();
  private isDraining = false;

  constructor(
    server: Server,
    private readonly max: number,
  ) {
    server.on('connection', (socket: Socket) => {
      if (this.requests.size >= this.max || this.isDraining) {
        // Node still parses what the client sends; the pipeline must ignore it (see accepts).
        socket.end(BUSY_RESPONSE);
        socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
        return;
      }
      this.ids.set(socket, ++this.next);
      this.requests.set(socket, 0);
      socket.once('close', () => this.requests.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket as Socket;
      if (!this.accepts(socket)) return;
      this.requests.set(socket, (this.requests.get(socket) ?? 0) + 1);
      res.once('close', () => {
        // An aborted request closes its connection first: counting it again would hold its slot forever.
        if (!this.requests.has(socket)) return;
        const left = (this.requests.get(socket) ?? 1) - 1;
        this.requests.set(socket, left);
        // While draining, a connection ends as soon as its last answer is out.
        if (this.isDraining && left === 0) socket.end();
      });
    });
  }

  /** False for a connection that was answered 503: its requests must not be executed. */
  accepts(socket: Socket): boolean {
    return this.ids.has(socket);
  }

  /** The connection's number, counting from 1 since the server started. */
  idOf(socket: Socket): number {
    return this.ids.get(socket) ?? 0;
  }

  /** True once drain() was called: answers should tell their client to close. */
  get draining(): boolean {
    return this.isDraining;
  }

  get openConnections(): number {
    return this.requests.size;
  }

  /**
   * For shutdown: cuts every connection without a request in progress (idle keep-alive ones, and
   * those that never finished sending headers) and ends the others after their answer.
   */
  drain(): void {
    this.isDraining = true;
    for (const [socket, inProgress] of this.requests) if (inProgress === 0) socket.destroy();
  }
}
