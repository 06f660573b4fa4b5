/**
 * `sq host --store <url>`: where phexts are kept when not in `.phext` files. A PostgreSQL URL as
 * node-postgres reads it (`postgres://user:password@host:port/db`, or a Unix socket's directory
 * as `?host=/path`); it is checked once here, and shown only as {@link describeStoreUrl} does,
 * never with its password or other query parameters.
 */

export const STORE_URL_RULE =
  'must be a postgres:// or postgresql:// URL, e.g. postgres://user@host:5432/db or postgres:///db?host=/run/postgresql';

/** How long the store waits for a new database connection before the request is answered 503. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** The URL as a WHATWG URL; node-postgres also takes credentials before an empty host (`user@/db`). */
function parsed(url: string): URL | undefined {
  if (!/^postgres(ql)?:\/\//i.test(url)) return undefined;
  try {
    return new URL(url.replace('@/', '@localhost/'));
  } catch {
    return undefined;
  }
}

export function isStoreUrl(url: string): boolean {
  return parsed(url) !== undefined;
}

/**
 * A URL {@link isStoreUrl} accepted, as the startup line shows it: `postgres://host:port/db`, or
 * `postgres:///db?host=/socket/dir`, without user, password or any other parameter.
 */
export function describeStoreUrl(url: string): string {
  const u = parsed(url)!; // checked by the HostConfig
  const socket = u.searchParams.get('host');
  const port = u.searchParams.get('port') ?? u.port;
  const db = u.pathname.replace(/^\//, '');
  if (socket?.startsWith('/')) return `postgres:///${db}?host=${socket}${port ? `&port=${port}` : ''}`;
  return `postgres://${socket ?? u.hostname}${port ? `:${port}` : ''}/${db}`;
}
