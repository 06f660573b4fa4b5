/** Stand-ins for `sq host` behind the router: an echoing HTTP backend, and a port nobody serves. */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';

/**
 * A backend that echoes the request: headers `x-echo-*` describe it, the body comes back.
 * Like `sq host`, it reads the whole body before answering.
 */
export async function startEchoBackend(name: string): Promise<{ port: number; connections(): Promise<number>; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return; // never answers: the router must time out
    if (req.url?.startsWith('/chunked')) {
      res.write('first,'); // no Content-Length: node frames this answer as chunked
      setTimeout(() => res.end('second'), 20);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (): void => {
        res.writeHead(200, {
          'x-echo-backend': name,
          'x-echo-method': req.method ?? '',
          'x-echo-url': req.url ?? '',
          'x-echo-authorization': req.headers.authorization ?? '',
          'content-type': 'application/octet-stream',
        });
        res.end(Buffer.concat(chunks));
      };
      if (req.url?.startsWith('/slow')) setTimeout(answer, 300);
      else answer();
    });
  });
  // Idle connections stay open far longer than any test, so only the router can close them.
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    /** Connections open to it right now (the router's pool keeps some alive between requests). */
    connections: () => new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

/**
 * A port with nothing listening on it, and none to come: bound once, then released, below the
 * kernel's ephemeral range (32768 and up on Linux), so no other test's `listen(0)` can take it
 * meanwhile (which turned "the backend is down" into a backend that never answers).
 */
export async function closedPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = net.createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    server.close();
    await once(server, 'close');
    return port;
  }
  throw new Error('no free port found below the ephemeral range');
}
