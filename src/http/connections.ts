import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const BUSY_BODY = 'Service Unavailable: too many connections';
const BUSY_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n' +
  `Access-Control-Allow-Origin: *\r\nContent-Length: ${BUSY_BODY.length}\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

/** How long a refused connection may stay half-open waiting for the client to hang up. */
const REFUSED_LINGER_MS = 5_000;

// Per-connection state lives on the socket itself: a WeakMap entry per connection costs the
// garbage collector an ephemeron to trace, and with one request per connection (`Connection:
// close` clients) that is paid on every request.
const ID = Symbol('sq.connectionId');
const BUSY = Symbol('sq.requestsInProgress');
type Tracked = Socket & { [ID]?: number; [BUSY]?: number };

/**
 * Numbers connections (the `status` command's Connection ID), answers 503 beyond `max` open
 * connections — node's own `maxConnections` would drop them without a word — and knows which
 * connections have a request in progress, so a shutdown can cut all the others at once.
 */
export class ConnectionTracker {
  private next = 0;
  /** Every open connection we accepted. */
  private readonly open = new Set<Tracked>();
  private isDraining = false;

  constructor(
    server: Server,
    private readonly max: number,
  ) {
    const open = this.open;
    const tracker = this;
    // One listener for every response, not a closure per request.
    function responseClosed(this: ServerResponse): void {
      const socket = this.req.socket as Tracked;
      // An aborted request closes its connection first: counting it again would hold its slot forever.
      if (!open.has(socket)) return;
      const left = (socket[BUSY] ?? 1) - 1;
      socket[BUSY] = left;
      // While draining, a connection ends as soon as its last answer is out.
      if (tracker.isDraining && left === 0) socket.end();
    }
    server.on('connection', (socket: Tracked) => {
      if (open.size >= this.max || this.isDraining) {
        // Node still parses what the client sends; the pipeline must ignore it (see accepts).
        socket.end(BUSY_RESPONSE);
        socket.setTimeout(REFUSED_LINGER_MS, () => socket.destroy());
        return;
      }
      socket[ID] = ++this.next;
      socket[BUSY] = 0;
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket as Tracked;
      if (socket[ID] === undefined) return;
      socket[BUSY] = (socket[BUSY] ?? 0) + 1;
      res.once('close', responseClosed);
    });
  }

  /** False for a connection that was answered 503: its requests must not be executed. */
  accepts(socket: Socket): boolean {
    return (socket as Tracked)[ID] !== undefined;
  }

  /** The connection's number, counting from 1 since the server started. */
  idOf(socket: Socket): number {
    return (socket as Tracked)[ID] ?? 0;
  }

  get openConnections(): number {
    return this.open.size;
  }

  /**
   * For shutdown: cuts every connection without a request in progress (idle keep-alive ones, and
   * those that never finished sending headers) and ends the others after their answer.
   */
  drain(): void {
    this.isDraining = true;
    for (const socket of this.open) if (socket[BUSY] === 0) socket.destroy();
  }
}
