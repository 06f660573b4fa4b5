/** The tests' HTTP client for 127.0.0.1: one request per call, or raw bytes on a socket. */
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';

/** A whole answer. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: http.OutgoingHttpHeaders;
  /** A Buffer, or chunks (sent chunked unless `headers` declare a Content-Length). */
  body?: Buffer | Buffer[];
  /** Defaults to none: a fresh connection per request. */
  agent?: http.Agent;
}

/** One request to 127.0.0.1:`port`; resolves with the whole answer. */
export function request(port: number, opts: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: opts.headers, agent: opts.agent ?? false },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        // An answer cut off mid-way must fail the test, not leave it waiting for an 'end' that never comes.
        res.on('close', () => {
          if (!res.complete)
            reject(
              new Error(
                `${opts.method ?? 'GET'} ${opts.path ?? '/'}: the answer (status ${res.statusCode}) was cut off after ${Buffer.concat(chunks).length} bytes`,
              ),
            );
        });
      },
    );
    req.on('error', reject);
    req.on('close', () => {
      if (!answered) reject(new Error(`${opts.method ?? 'GET'} ${opts.path ?? '/'}: the connection closed without an answer`));
    });
    if (Array.isArray(opts.body)) for (const chunk of opts.body) req.write(chunk);
    else if (opts.body) req.write(opts.body);
    req.end();
  });
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
