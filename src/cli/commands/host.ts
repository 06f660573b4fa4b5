import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';
import { VERSION } from '../version.js';
import { waitForShutdown } from './shutdown.js';
import { HOST_DEFAULTS, startHost, type RunningHost } from '../../server/start-host.js';
import type { LogFormat } from '../../server/request-log.js';

const USAGE = `Usage: sq host <port> [options]

Serves the REST API (/api/v2/...) over HTTP. Port 0 picks a free port.

Options:
  --bind ADDR            address to listen on (default 0.0.0.0, all interfaces)
  --data-dir DIR         where <p>.phext files live (default: the current directory)
  --key TOKEN            require this token (Authorization: Bearer, or X-SQ-API-Key);
                         the SQ_KEY environment variable works too and hides it from ps
  --config FILE          multi-tenant mode: tokens, names and data dirs from FILE
  --admin-key TOKEN      admin API key (overrides the config file's admin_key)
  --cache-mb N           memory for cached phexts (default 512)
  --max-phext-mb N       refuse phext files larger than this (default 1024)
  --max-body BYTES       largest request body (default 67108864 = 64 MiB)
  --max-connections N    open connections beyond this get 503 (default 512)
  --log-format FMT       request log: text, json or off (default text)
  --headers-timeout-ms N cut clients still sending headers after N ms (default 10000)
  --request-timeout-ms N cut requests not fully received after N ms (default 120000)
  --keep-alive-timeout-ms N
                         close idle keep-alive connections after N ms (default 5000)`;

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got '${value}'`);
  return n;
}

/** A TCP port from the command line; 0 asks the system for a free one. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`invalid port '${text}'`);
  return port;
}

function isLoopbackAddress(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || bind.startsWith('127.');
}

const stderrLine = (line: string) => process.stderr.write(line + '\n');

/**
 * Prints the startup line (and the open-server warning), then serves until SIGTERM/SIGINT.
 * Shared by `sq host` and `sq basic`.
 */
export function serveUntilSignal(host: RunningHost, bind: string, extra = ''): Promise<number> {
  if (host.open && !isLoopbackAddress(bind)) {
    stderrLine(`warning: serving ${host.dataDir} without a token on ${bind}: anyone who can reach this port can read and write. Use --key or --bind 127.0.0.1.`);
  }
  process.stdout.write(`SQ ${VERSION} listening on http://${bind}:${host.port} (${host.serving}${extra})\n`);
  return waitForShutdown(() => host.close());
}

/** `sq host`: the REST API server. */
export const hostCommand: Command = {
  name: 'host',
  summary: 'Serve the REST API over HTTP (single tenant, or multi-tenant with --config)',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args, allowPositionals: true, strict: true,
      options: {
        bind: { type: 'string' }, 'data-dir': { type: 'string' }, key: { type: 'string' },
        config: { type: 'string' }, 'admin-key': { type: 'string' },
        'cache-mb': { type: 'string' }, 'max-phext-mb': { type: 'string' }, 'max-body': { type: 'string' },
        'max-connections': { type: 'string' }, 'log-format': { type: 'string' },
        'headers-timeout-ms': { type: 'string' }, 'request-timeout-ms': { type: 'string' },
        'keep-alive-timeout-ms': { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one <port>');
    const port = parsePort(positionals[0]);
    const logFormat = (values['log-format'] ?? HOST_DEFAULTS.logFormat) as LogFormat | 'off';
    if (!['text', 'json', 'off'].includes(logFormat)) throw new UsageError(`--log-format must be text, json or off`);
    const bind = values.bind ?? '0.0.0.0';
    const host = await startHost({
      port, bind, logFormat,
      dataDir: values['data-dir'] ?? '.',
      key: values.key ?? process.env.SQ_KEY,
      config: values.config,
      adminKey: values['admin-key'] ?? process.env.SQ_ADMIN_KEY,
      cacheMb: positiveNumber(values['cache-mb'], 'cache-mb', HOST_DEFAULTS.cacheMb),
      maxPhextMb: positiveNumber(values['max-phext-mb'], 'max-phext-mb', HOST_DEFAULTS.maxPhextMb),
      maxBodyBytes: positiveNumber(values['max-body'], 'max-body', HOST_DEFAULTS.maxBodyBytes),
      maxConnections: positiveNumber(values['max-connections'], 'max-connections', HOST_DEFAULTS.maxConnections),
      log: stderrLine,
      headersTimeoutMs: positiveNumber(values['headers-timeout-ms'], 'headers-timeout-ms', HOST_DEFAULTS.headersTimeoutMs),
      requestTimeoutMs: positiveNumber(values['request-timeout-ms'], 'request-timeout-ms', HOST_DEFAULTS.requestTimeoutMs),
      keepAliveTimeoutMs: positiveNumber(values['keep-alive-timeout-ms'], 'keep-alive-timeout-ms', HOST_DEFAULTS.keepAliveTimeoutMs),
    });
    return serveUntilSignal(host, bind);
  },
};
