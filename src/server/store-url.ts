/**
 * `sq host --store <url>`: where phexts are kept when not in `.phext` files. A PostgreSQL URL as
 * node-postgres reads it (`postgres://user:password@host:port/db`, or a Unix socket's directory
 * as `?host=/path`), or with several hosts as libpq takes them (`postgres://u@db1:5432,db2/db`: a
 * primary and its standbys, the server writing to whichever is the primary); it is checked once
 * here, and shown only as {@link describeStoreUrl} does, never with its password or other query
 * parameters.
 */
import type pg from 'pg';

export const STORE_URL_RULE =
  'must be a postgres:// or postgresql:// URL, e.g. postgres://user@host:5432/db or postgres:///db?host=/run/postgresql';

/** How long the store waits for a new database connection before the request is answered 503. */
const CONNECT_TIMEOUT_MS = 5_000;

/** The URL as a WHATWG URL; node-postgres also takes credentials before an empty host (`user@/db`). */
function parsed(url: string): URL | undefined {
  if (!/^postgres(ql)?:\/\//i.test(url)) return undefined;
  try {
    return new URL(url.replace('@/', '@localhost/'));
  } catch {
    return undefined;
  }
}

/**
 * One URL per host: the hosts of the authority (`postgres://u@db1:5432,db2/db`) or of the `host`
 * parameter (`?host=/run/a,/run/b`, with `port` one for all or one per host), as libpq lists them.
 */
function perHost(url: string): string[] {
  const m = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, userinfo, hosts, rest] = m;
  const user = userinfo === undefined ? '' : `${userinfo}@`;
  const names = hosts!.split(',');
  // An empty name in a list is no host: left as it is, the URL fails to parse.
  if (names.length > 1) return names.some((n) => n === '') ? [url] : names.map((host) => `${scheme}${user}${host}${rest}`);
  const q = rest!.indexOf('?');
  if (q < 0) return [url];
  const params = new URLSearchParams(rest!.slice(q + 1));
  const sockets = (params.get('host') ?? '').split(',');
  if (sockets.length < 2 || sockets.some((h) => h === '')) return [url];
  const ports = (params.get('port') ?? '').split(',');
  if (ports.length > 1 && ports.length !== sockets.length) return [url];
  return sockets.map((host, i) => {
    const one = new URLSearchParams(params);
    one.set('host', host);
    if (ports.length > 1) one.set('port', ports[i]!);
    return `${scheme}${user}${hosts}${rest!.slice(0, q)}?${one.toString().replace(/%2F/gi, '/')}`;
  });
}

export function isStoreUrl(url: string): boolean {
  // A comma left in a host name is a list with an empty name in it.
  return perHost(url).every((u) => {
    const one = parsed(u);
    return one !== undefined && !one.hostname.includes(',') && !(one.searchParams.get('host') ?? '').includes(',');
  });
}

/** The database connections of a URL {@link isStoreUrl} accepted: one per host, each with the connect timeout. */
export function storeConnections(url: string): pg.PoolConfig[] {
  return perHost(url).map((connectionString) => {
    const u = parsed(connectionString)!;
    const port = Number(u.searchParams.get('port') ?? u.port) || undefined;
    // host and port name the host in refusals; the connection string says the same and wins.
    return { connectionString, host: u.searchParams.get('host') ?? u.hostname, port, connectionTimeoutMillis: CONNECT_TIMEOUT_MS };
  });
}

/**
 * A URL {@link isStoreUrl} accepted, as the startup line shows it: `postgres://host:port/db`, or
 * `postgres:///db?host=/socket/dir`, without user, password or any other parameter.
 */
export function describeStoreUrl(url: string): string {
  const hosts = perHost(url).map((one) => {
    const u = parsed(one)!; // checked by the HostConfig
    const socket = u.searchParams.get('host');
    return {
      socket: socket?.startsWith('/') ? socket : undefined,
      name: socket ?? u.hostname,
      port: u.searchParams.get('port') ?? u.port,
      db: u.pathname.slice(1),
    };
  });
  const db = hosts[0]!.db;
  if (hosts.every((h) => h.socket)) {
    const ports = [...new Set(hosts.map((h) => h.port))];
    const port = ports.length === 1 ? ports[0] : hosts.map((h) => h.port).join(',');
    return `postgres:///${db}?host=${hosts.map((h) => h.socket).join(',')}${port ? `&port=${port}` : ''}`;
  }
  return `postgres://${hosts.map((h) => `${h.name}${h.port ? `:${h.port}` : ''}`).join(',')}/${db}`;
}
