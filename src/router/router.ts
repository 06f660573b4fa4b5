import type http from 'node:http';
import { once } from 'node:events';
import { loadRouterConfig, RouterConfigError } from './config.js';
import { watchConfigFile } from '../config-watch/watch-config.js';
import { SeenText } from '../config-watch/seen-text.js';
import { probeBackends } from './health.js';
import { proxyRequest } from './proxy.js';
import { Backends } from './backends.js';
import { ALLOW_ORIGIN, PREFLIGHT_HEADERS, sendText } from './responses.js';
import { RouteTable } from './route-table.js';
import { consoleFiles, isConsolePath, type ConsoleAnswer } from '../http/console-assets.js';
import { HTTP_LIMIT_DEFAULTS, createHttpServer } from '../http/http-server.js';
import { extractToken as requestToken } from '../server/token.js';
import { escapeLogField as e } from '../http/request-log.js';

/** Options of {@link startRouter}; the limits have the CLI's defaults. */
export interface RouterOptions {
  /** router.json: `{"tenants": [{"token", "port", "data_dir"}]}`; watched for changes. */
  configPath: string;
  /** 0 picks a free port; the handle reports the real one. */
  port: number;
  /** Default 0.0.0.0, as the original. */
  bind?: string;
  /** Largest request body, default 64 MiB. */
  maxBodyBytes?: number;
  /** Backend silence before 504, default 30 000 ms. */
  backendTimeoutMs?: number;
  /** Open client connections beyond this get 503, default 512. */
  maxConnections?: number;
  /** Receives one line per reload and, unless `logFormat` is off, per request; default: stderr. Never given tokens. */
  log?: (line: string) => void;
  /** The request log: `text` (default), `json`, or `off` (a busy router need not pay a write per request). */
  logFormat?: 'text' | 'json' | 'off';
  /** Client header/whole-request/keep-alive-idle limits against slowloris (ms). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

/** A running router. */
export interface RouterHandle {
  /** The port actually listened on. */
  readonly port: number;
  /** Re-reads the config; false (and the old routing kept) when it is invalid. */
  reload(): Promise<boolean>;
  /** Stops accepting, lets in-flight requests finish, closes idle connections. */
  close(): Promise<void>;
  /** Resolves once the server has closed, however that happened. */
  readonly closed: Promise<void>;
}

export const ROUTER_DEFAULTS = {
  ...HTTP_LIMIT_DEFAULTS,
  bind: '0.0.0.0',
  maxBodyBytes: 64 * 1024 * 1024,
  backendTimeoutMs: 30_000,
  logFormat: 'text',
} as const;

const pathOf = (url: string | undefined): string => (url ?? '').split('?', 1)[0] ?? '';

/** Starts the token router; rejects with RouterConfigError when the initial config is invalid. */
export async function startRouter(options: RouterOptions): Promise<RouterHandle> {
  const opts = { ...ROUTER_DEFAULTS, ...options };
  const log = options.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  const initial = await loadRouterConfig(opts.configPath);
  let table = RouteTable.fromConfig(initial.config);
  let loadedText = initial.text;
  let closing = false;

  const backends = new Backends({ headersTimeoutMs: opts.backendTimeoutMs });
  const proxyOptions = {
    backends,
    maxBodyBytes: opts.maxBodyBytes,
    backendTimeoutMs: opts.backendTimeoutMs,
    closing: () => closing,
    streams: new Set<() => void>(),
  };

  // The path comes from the client: escaped, so that it cannot end or forge a text line.
  const requestLine = (req: http.IncomingMessage, res: http.ServerResponse, started: number, backend: number | undefined): string => {
    const status = res.writableFinished ? String(res.statusCode) : `${res.statusCode}-aborted`;
    const ms = performance.now() - started;
    if (opts.logFormat === 'json') {
      const time = new Date().toISOString();
      return JSON.stringify({
        time,
        remote: req.socket.remoteAddress ?? '',
        method: req.method,
        path: pathOf(req.url),
        status,
        ms,
        backend,
      });
    }
    return `${e(req.method ?? '')} ${e(pathOf(req.url))} ${status} ${ms.toFixed(1)}ms backend=${backend ?? '-'}`;
  };

  const consolePage = consoleFiles();
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now();
    let backend: number | undefined;
    if (opts.logFormat !== 'off') res.once('close', () => log(requestLine(req, res, started, backend)));
    if (closing) res.setHeader('Connection', 'close');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, PREFLIGHT_HEADERS);
      return void res.end();
    }
    const reading = req.method === 'GET' || req.method === 'HEAD';
    if (pathOf(req.url) === '/health' && reading) return void health(res);
    // The web console is the same for every tenant and signs in against the API: served here,
    // since a browser opening it sends no token to route by.
    const page = reading && isConsolePath(pathOf(req.url)) ? consolePage(pathOf(req.url), req.headers['if-none-match']) : undefined;
    if (page) return void sendConsole(res, page);
    const token = requestToken(req.headers);
    backend = token === undefined ? undefined : table.lookup(token);
    if (backend === undefined) return sendText(res, 401, 'Unauthorized');
    proxyRequest(req, res, backend, proxyOptions);
  };

  const health = async (res: http.ServerResponse): Promise<void> => {
    const body = JSON.stringify({ status: 'ok', backends: await probeBackends(table.ports()) });
    if (res.destroyed) return;
    res.writeHead(200, {
      ...ALLOW_ORIGIN,
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  };

  // The same front end as `sq host`: connection limit and 503, node's 400/408/431 with CORS,
  // Host-less and half-closing clients, "100 Continue" only once the body is forwarded.
  const front = createHttpServer(opts, handle);
  const { server } = front;
  const { port } = await front.listen(opts.port, opts.bind);
  const closed = once(server, 'close').then(() => undefined);

  // The text last read, loaded or refused: the watcher sees every event in the config's
  // directories, and must neither reload an unchanged file nor repeat a refusal.
  const seen = new SeenText(opts.configPath, initial.text);
  const reload = async (onlyIfChanged = false): Promise<boolean> => {
    try {
      if (!(await seen.changed()) && onlyIfChanged) return true;
      const next = await loadRouterConfig(opts.configPath);
      seen.saw(next.text);
      if (next.text === loadedText) return true;
      table = RouteTable.fromConfig(next.config);
      loadedText = next.text;
      backends.keepOnly(table.ports());
      log(`config reloaded: ${table.size} tenant(s), backends on ports ${table.ports().join(', ')}`);
      return true;
    } catch (err) {
      const why = err instanceof RouterConfigError ? err.message : String(err);
      log(`config refused, keeping the previous one: ${why}`);
      return false;
    }
  };
  const watcher = watchConfigFile(
    opts.configPath,
    () => void reload(true),
    (err) => log(`cannot watch the config (${err.message}); SIGHUP still reloads`),
  );

  const close = async (): Promise<void> => {
    if (!closing) {
      closing = true;
      watcher.close();
      for (const end of [...proxyOptions.streams]) end();
      // In-flight requests get until the backend timeout (plus a margin) to finish.
      void front.close(opts.backendTimeoutMs + 5_000).finally(() => backends.destroy());
    }
    await closed;
  };

  return { port, reload: () => reload(), close, closed };
}

function sendConsole(res: http.ServerResponse, page: ConsoleAnswer): void {
  const length = page.status === 304 ? {} : { 'Content-Length': page.body.length };
  res.writeHead(page.status, { ...ALLOW_ORIGIN, 'Content-Type': page.contentType, ...page.headers, ...length });
  res.end(res.req.method === 'HEAD' || page.status === 304 ? undefined : page.body);
}
