import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const BUSY_BODY = 'Service Unavailable: too many connections';
const BUSY_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Access-Control-Allow-Origin: *\r\nContent-Length: ${BUSY_BODY.length}\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

/** How long a refused connection may stay half-open waiting for the client to hang up. */
const REFUSED_LINGER_MS = 5_000;

/**
 * Numbers connections (the `status` command's Connection ID) and answers 503 beyond `max` open
 * connections — node's own `maxConnections` would drop them without a word.
 */
export class ConnectionTracker {
  private next = 0;
  private open = 0;
  private readonly ids = new WeakMap<Socket, number>();

  constructor(server: Server, private readonly max: number) {
    server.on('connection', (socket: Socket) => {
      if (this.open >= this.max) {
        // Node still parses what the client sends; the pipeline must ignore it (see accepts).
        socket.end(BUSY_RESPONSE);
        socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
        return;
      }
      this.open++;
      this.ids.set(socket, ++this.next);
      socket.once('close', () => this.open--);
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

  get openConnections(): number {
    return this.open;
  }
}
