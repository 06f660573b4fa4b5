// Helpers for the router's tests: echo backends, a small HTTP client, config files on disk.
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { replaceFile } from '../testing/replace-file.js';
import type { RouterTenant } from './config.js';

/**
 * A backend that echoes the request: headers `x-echo-*` describe it, the body comes back.
 * Like `sq host`, it reads the whole body before answering.
 */
export async function startEchoBackend(name: string): Promise<{ port: number; close(): Promise<void> }> {
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
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => {});
    },
  };
}

/** A port with nothing listening on it (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request to 127.0.0.1:`port`; `body` may be a Buffer or chunks (sent chunked). */
export function request(
  port: number,
  opts: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer | Buffer[]; agent?: http.Agent } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (Array.isArray(opts.body)) for (const chunk of opts.body) req.write(chunk);
    else if (opts.body) req.write(opts.body);
    req.end();
  });
}

/** Writes router.json the way careful tools do: a temp file renamed over the old one. */
export function writeRouterConfig(dir: string, tenants: readonly RouterTenant[] | string): string {
  const path = join(dir, 'router.json');
  replaceFile(path, typeof tenants === 'string' ? tenants : JSON.stringify({ tenants }));
  return path;
}

/** Sends raw bytes on a fresh socket and collects what comes back until `until` matches or close. */
export async function rawExchange(port: number, bytes: string, until: (text: string) => boolean): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(bytes);
  let text = '';
  return new Promise((resolve, reject) => {
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (until(text)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}
