import net from 'node:net';

/** One backend's reachability as `GET /health` reports it. */
export interface BackendHealth {
  readonly port: number;
  readonly up: boolean;
}

/** True when a TCP connection to 127.0.0.1:`port` opens within `timeoutMs`. */
function probePort(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Probes every backend in parallel. */
export async function probeBackends(ports: readonly number[], timeoutMs = 1000): Promise<BackendHealth[]> {
  return Promise.all(ports.map(async (port) => ({ port, up: await probePort(port, timeoutMs) })));
}
