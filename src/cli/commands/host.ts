import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { UsageError, type Command } from '../command.js';
import { VERSION } from '../version.js';
import { FileDocumentStore } from '../../store/index.js';
import { SingleTenantResolver } from '../../tenants/single-tenant.js';
import { TenantManager, handleAdmin } from '../../tenants/index.js';
import { createHost, type TenantServices } from '../../server/server.js';
import type { TenantResolver } from '../../tenants/tenant.js';
import { Metrics } from '../../server/metrics.js';
import type { LogFormat } from '../../server/request-log.js';

const MiB = 1024 * 1024;

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

function isLoopbackAddress(bind: string): boolean {
  return bind === 'localhost' || bind === '::1' || bind.startsWith('127.');
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
    const port = Number(positionals[0]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid port '${positionals[0]}'`);
    const logFormat = (values['log-format'] ?? 'text') as LogFormat | 'off';
    if (!['text', 'json', 'off'].includes(logFormat)) throw new UsageError(`--log-format must be text, json or off`);
    const bind = values.bind ?? '0.0.0.0';
    const key = values.key ?? process.env.SQ_KEY;
    const dataDir = resolve(values['data-dir'] ?? '.');
    const log = (line: string) => process.stderr.write(line + '\n');
    const adminKey = values['admin-key'] ?? process.env.SQ_ADMIN_KEY;
    let onReload: (ok: boolean) => void = () => {};
    const manager = values.config
      ? await TenantManager.open(resolve(values.config), { adminKey, log, onReload: (r) => onReload(r.ok) })
      : undefined;
    if (!manager) mkdirSync(dataDir, { recursive: true });

    const metrics = new Metrics({
      cache: () => store.stats(),
      tenants: manager ? () => manager.activity() : undefined,
    });
    const store = new FileDocumentStore({
      cacheBytes: positiveNumber(values['cache-mb'], 'cache-mb', 512) * MiB,
      maxPhextBytes: positiveNumber(values['max-phext-mb'], 'max-phext-mb', 1024) * MiB,
      onCommit: (path, before, after, info) => {
        metrics.observeCommit(after, info.batchSize, info.durationMs);
        manager?.onCommit(path, before, after);
      },
    });
    onReload = (ok) => metrics.reloads.inc({ result: ok ? 'ok' : 'failed' });
    const single = manager ? undefined : new SingleTenantResolver(dataDir, key);
    const resolver: TenantResolver = manager ?? single!;
    const services: TenantServices = manager ? {
      checkQuota: (tenant, growth) => manager.checkQuota(tenant, growth),
      isAdmin: (token) => manager.isAdmin(token),
      admin: (req) => handleAdmin(manager, req),
      reload: () => manager.reload(),
    } : {};
    if (manager) {
      manager.watchSignals();
      manager.watchFile();
    }
    const host = createHost({
      store, resolver, metrics, services,
      maxBodyBytes: positiveNumber(values['max-body'], 'max-body', 64 * MiB),
      maxConnections: positiveNumber(values['max-connections'], 'max-connections', 512),
      logFormat,
      log,
      headersTimeoutMs: positiveNumber(values['headers-timeout-ms'], 'headers-timeout-ms', 10_000),
      requestTimeoutMs: positiveNumber(values['request-timeout-ms'], 'request-timeout-ms', 120_000),
      keepAliveTimeoutMs: positiveNumber(values['keep-alive-timeout-ms'], 'keep-alive-timeout-ms', 5_000),
    });
    const address = await host.listen(port, bind);
    if (single && !single.requiresToken && !isLoopbackAddress(bind)) {
      process.stderr.write(`warning: serving ${dataDir} without a token on ${bind}: anyone who can reach this port can read and write. Use --key or --bind 127.0.0.1.\n`);
    }
    const where = manager ? `config: ${manager.configPath}, ${manager.registry.size} tenants` : `data: ${dataDir}`;
    process.stdout.write(`SQ ${VERSION} listening on http://${bind}:${address.port} (${where})\n`);
    return waitForShutdown(async () => {
      manager?.close();
      await host.close();
    });
  },
};

/** Resolves with exit code 0 once SIGTERM/SIGINT has drained the server. */
export function waitForShutdown(close: () => Promise<void>): Promise<number> {
  return new Promise((done) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: finishing in-flight requests\n`);
      close().then(() => done(0), (err: Error) => {
        process.stderr.write(`shutdown failed: ${err.message}\n`);
        done(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
