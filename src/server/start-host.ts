import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileDocumentStore, lockDirectory, type Commit } from '../store/index.js';
import { SingleTenantResolver } from '../tenants/single-tenant.js';
import { TenantManager, handleAdmin } from '../tenants/index.js';
import type { TenantResolver } from '../tenants/tenant.js';
import { Metrics } from './metrics.js';
import type { LogFormat } from './request-log.js';
import { createHost, type TenantServices } from './server.js';

const MiB = 1024 * 1024;

/** The limits `sq host` uses unless told otherwise (and `sq basic` always). */
export const HOST_DEFAULTS = {
  cacheMb: 512,
  maxPhextMb: 1024,
  maxBodyBytes: 64 * MiB,
  maxInflightBodyBytes: 256 * MiB,
  maxConnections: 512,
  logFormat: 'text',
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
  defaultPhext: 'index',
} as const;

/** Everything `sq host` and `sq basic` decide before serving; sizes in MiB where named so. */
export interface StartHostOptions {
  port: number;
  bind: string;
  /** Single-tenant data directory (ignored with `config`). */
  dataDir: string;
  /** Single-tenant token; undefined or '' serves everyone. */
  key?: string;
  /** Multi-tenant config file. */
  config?: string;
  adminKey?: string;
  cacheMb: number;
  maxPhextMb: number;
  maxBodyBytes: number;
  /** All request bodies held at once (--max-inflight-body); HOST_DEFAULTS when absent. */
  maxInflightBodyBytes?: number;
  maxConnections: number;
  logFormat: LogFormat | 'off';
  /** The phext a request without `p` addresses (`index`, see HostOptions.defaultPhext). */
  defaultPhext: string;
  /** `f=` pages run unsandboxed on the API's origin (`sq basic` on loopback only). */
  trustedPages?: boolean;
  log: (line: string) => void;
  /** Slow-client limits in milliseconds; HOST_DEFAULTS when absent. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

/** A listening SQ HTTP server as the CLI sees it. */
export interface RunningHost {
  readonly port: number;
  /** `data: <dir>` or `config: <file>, <n> tenants`, for the startup line. */
  readonly serving: string;
  /** The single-tenant data directory (absolute). */
  readonly dataDir: string;
  /** True when anyone who can reach the port can read and write (no token, single tenant). */
  readonly open: boolean;
  /** Stops the config watcher, drains requests, flushes the store. */
  close(): Promise<void>;
}

/** Wires store, tenants, metrics and the HTTP pipeline together and starts listening. */
export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const { log } = options;
  const dataDir = resolve(options.dataDir);
  let onReload: (ok: boolean) => void = () => {};
  const manager = options.config
    ? await TenantManager.open(resolve(options.config), { adminKey: options.adminKey, log, onReload: (r) => onReload(r.ok) })
    : undefined;
  if (!manager) mkdirSync(dataDir, { recursive: true });
  // One owner per data directory: a second sq host, sq share or sq basic there is refused.
  const lock = manager ? undefined : await lockDirectory(dataDir);

  const metrics: Metrics = new Metrics({
    cache: () => store.stats(),
    tenants: manager ? () => manager.activity() : undefined,
  });
  // The write path: the store asks the tenants' ledger to admit each change (quotas), then tells
  // its observers of each commit (metrics, then tenant usage, before the ledger's holds end).
  const store: FileDocumentStore = new FileDocumentStore({
    cacheBytes: options.cacheMb * MiB,
    maxPhextBytes: options.maxPhextMb * MiB,
    quota: manager,
    observers: [
      (commit) => metrics.observeCommit(commit),
      ...(manager ? [(commit: Commit) => manager.countCommit(commit)] : []),
    ],
  });
  onReload = (ok) => metrics.reloads.inc({ result: ok ? 'ok' : 'failed' });
  const single = manager ? undefined : new SingleTenantResolver(dataDir, options.key);
  const resolver: TenantResolver = manager ?? single!;
  const services: TenantServices = manager ? {
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
    maxBodyBytes: options.maxBodyBytes,
    maxInflightBodyBytes: options.maxInflightBodyBytes ?? HOST_DEFAULTS.maxInflightBodyBytes,
    maxConnections: options.maxConnections,
    logFormat: options.logFormat,
    defaultPhext: options.defaultPhext,
    trustedPages: options.trustedPages,
    log,
    headersTimeoutMs: options.headersTimeoutMs ?? HOST_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? HOST_DEFAULTS.requestTimeoutMs,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? HOST_DEFAULTS.keepAliveTimeoutMs,
  });
  const address = await host.listen(options.port, options.bind);
  return {
    port: address.port,
    serving: manager ? `config: ${manager.configPath}, ${manager.registry.size} tenants` : `data: ${dataDir}`,
    dataDir,
    open: !!single && !single.requiresToken,
    async close() {
      void manager?.close();
      await host.close();
      manager?.releaseDirectories();
      lock?.release();
    },
  };
}
