import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const BUSY_BODY = 'Service Unavailable: too many connections';
const BUSY_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Access-Control-Allow-Origin: *\r\nContent-Length: ${BUSY_BODY.length}\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

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
        socket.end(BUSY_RESPONSE);
        return;
      }
      this.open++;
      this.ids.set(socket, ++this.next);
      socket.once('close', () => this.open--);
    });
  }

  /** The connection's number, counting from 1 since the server started. */
  idOf(socket: Socket): number {
    return this.ids.get(socket) ?? 0;
  }

  get openConnections(): number {
    return this.open;
  }
}
