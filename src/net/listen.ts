import type { AddressInfo, Server } from 'node:net';

/**
 * `server.listen` as a promise: resolves once listening, rejects with the listen error
 * (EADDRINUSE, EACCES) instead of leaving it to an 'error' handler elsewhere.
 */
export function listen(server: Server, path: string): Promise<undefined>;
export function listen(server: Server, port: number, host: string): Promise<AddressInfo>;
export function listen(server: Server, where: string | number, host?: string): Promise<AddressInfo | undefined> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const listening = () => {
      server.off('error', reject);
      resolve(typeof where === 'number' ? (server.address() as AddressInfo) : undefined);
    };
    if (typeof where === 'number') server.listen(where, host, listening);
    else server.listen(where, listening);
  });
}
