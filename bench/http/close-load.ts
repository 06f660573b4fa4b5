/**
 * Load with one request per connection (`Connection: close`), as curl scripts and firmware make
 * it. autocannon reconnects after a close only after a delay, so it cannot measure this: here
 * each of `connections` loops opens a socket, sends one request, reads to the end, and repeats.
 */
import net from 'node:net';
import type { LatencyRecorder } from './latency.js';

export interface CloseLoadResult {
  readonly requests: { readonly total: number; readonly average: number };
  readonly errors: number;
  readonly non2xx: number;
}

export async function closeLoad(options: {
  port: number;
  connections: number;
  seconds: number;
  path: () => string;
  headers: Record<string, string>;
  latency?: LatencyRecorder;
}): Promise<CloseLoadResult> {
  const deadline = performance.now() + options.seconds * 1000;
  let total = 0;
  let errors = 0;
  let non2xx = 0;
  const extra = Object.entries(options.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const once = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const socket = net.connect(options.port, '127.0.0.1');
      let head = '';
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(`GET ${options.path()} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`));
      socket.on('data', (d: Buffer) => {
        if (head.length < 12) head += d.toString('latin1', 0, 12);
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
      socket.on('close', (hadError) => {
        if (!hadError) {
          total++;
          if (!/^HTTP\/1\.1 2/.test(head)) non2xx++;
          options.latency?.record(performance.now() - started);
        }
        resolve();
      });
    });
  const loop = async () => {
    while (performance.now() < deadline) await once();
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - began) / 1000;
  return { requests: { total, average: total / seconds }, errors, non2xx };
}
