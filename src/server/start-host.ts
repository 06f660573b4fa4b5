import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Webhooks } from '../feed/webhooks.js';
import type { DocumentStore } from '../store/document-store.js';
import { FileDocumentStore, lockDirectory, type Commit } from '../store/index.js';
import { SingleTenantResolver } from '../tenants/single-tenant.js';
import { activity, ReloadTriggers, TenantManager, TenantQuotaLedger } from '../tenants/index.js';
import { multiTenancy, singleTenancy } from '../tenants/http-routes.js';
import type { MeshConfig } from '../mesh/config.js';
import type { HostConfig } from './host-config.js';
import { Metrics } from './metrics.js';
import type { Route } from './route.js';
import { createHost } from './server.js';
import { describeStoreUrl, storeConnections } from './store-url.js';

const MiB = 1024 * 1024;

/** A listening SQ HTTP server as the CLI sees it. */
export interface RunningHost {
  readonly port: number;
  /** `data: <dir>`, `store: <url>` and/or `config: <file>, <n> tenants`, for the startup line. */
  readonly serving: string;
  /** Where the phexts are: the data directory (absolute), or the database without credentials. */
  readonly served: string;
  /** True when anyone who can reach the port can read and write (no token, single tenant). */
  readonly open: boolean;
  /** Its HTTP routes. */
  readonly routes: readonly Route[];
  /** Stops the config watcher, drains requests, flushes the store. */
  close(): Promise<void>;
}

/** What startHost adds to a host beside its settings. */
export interface HostExtras {
  /** Makes the host a node of a mesh (files only: checked by the CLI). */
  readonly mesh?: MeshConfig;
}

/** Wires store, tenants, metrics and the HTTP pipeline together and starts listening. */
export async function startHost(options: HostConfig, log: (line: string) => void, extras: HostExtras = {}): Promise<RunningHost> {
  const dataDir = resolve(options.dataDir);
  // Multi-tenant mode: the manager holds the registry in force and swaps it on reload; the
  // ledger (quotas, usage) and activity (metrics) read whichever is in force, and the triggers
  // (SIGHUP, file watch) ask the manager to reload.
  let onReload: (ok: boolean) => void = () => {};
  // Phexts in a database (--store): a host that does not answer must not hold requests, which
  // are refused (503) once a new connection has waited CONNECT_TIMEOUT_MS.
  const database = options.store === undefined ? undefined : storeConnections(options.store);
  // A tenant's usage (quotas) is measured when it starts being served: its files, or its rows.
  const usage = database && (async (tenants: readonly string[]) => (await import('../store/pg/usage.js')).usageByTenant(database, tenants));
  // Tenants from a file (--config), or from the database's table (--tenants-from-store).
  const tenantsTable = options.tenantsFromStore
    ? await (await import('../tenants/store-tenants.js')).StoreTenants.open(database!, describeStoreUrl(options.store!), log)
    : undefined;
  const source = tenantsTable ?? (options.config === undefined ? undefined : resolve(options.config));
  const manager = source
    ? await TenantManager.open(source, { adminKey: options.adminKey, log, onReload: (r) => onReload(r.ok), usage }).catch(
        async (e: unknown) => {
          await tenantsTable?.close();
          throw e;
        },
      )
    : undefined;
  const ledger = manager ? new TenantQuotaLedger(() => manager.registry) : undefined;
  const triggers = manager ? new ReloadTriggers(manager.source.where, (trigger, o) => manager.reload(trigger, o), { log }) : undefined;
  let unwatchTable: (() => void) | undefined;
  // Phexts in files: one owner per data directory (a second sq host, sq share or sq basic there
  // is refused). In a database, no directory is used and several servers may share it.
  const files = !manager && options.store === undefined;
  if (files) mkdirSync(dataDir, { recursive: true });
  const lock = files ? await lockDirectory(dataDir) : undefined;

  const metrics: Metrics = new Metrics({
    cache: () => store.stats(),
    tenants: manager ? () => activity(manager.registry) : undefined,
  });
  // The write path: the store asks the tenants' ledger to admit each change (quotas), then tells
  // its observers of each commit (metrics, then tenant usage, before the ledger's holds end).
  const single = manager ? undefined : new SingleTenantResolver(dataDir, options.key);
  const common = {
    cacheBytes: options.cacheMb * MiB,
    maxPhextBytes: options.maxPhextMb * MiB,
    quota: ledger,
    notice: log,
    observers: [(commit: Commit) => metrics.observeCommit(commit), ...(ledger ? [(commit: Commit) => ledger.countCommit(commit)] : [])],
  };
  let store: DocumentStore;
  if (database) {
    const { PgDocumentStore } = await import('../store/pg/pg-store.js');
    try {
      store = await PgDocumentStore.open({ ...common, connection: database });
    } catch (e) {
      manager?.releaseDirectories();
      await tenantsTable?.close();
      throw new Error(`cannot open the store ${describeStoreUrl(options.store!)}: ${String((e as Error).message).split('\n')[0]}`);
    }
  } else {
    store = new FileDocumentStore({
      ...common,
      // Asked on every request, never kept: a reload may add, remove or move tenants.
      directories: manager
        ? (tenant) => manager.registry.get(tenant)?.dataDir
        : (tenant) => (tenant === single!.tenant.name ? single!.tenant.dataDir : undefined),
      checkpointRatio: options.checkpointRatio,
      checkpointMinBytes: options.checkpointMinBytes,
      checkpointIdleMs: options.checkpointIdleMs,
    });
  }
  onReload = (ok) => metrics.reloads.inc({ result: ok ? 'ok' : 'failed' });
  // Webhooks only enqueue on commit; each reload (or admin change) hands over the webhooks in force.
  const webhooks = manager
    ? new Webhooks({
        log,
        backoffMs: options.webhookBackoffMs,
        onDelivery: (ok) => metrics.webhookDeliveries.inc({ result: ok ? 'ok' : 'failed' }),
      })
    : undefined;
  if (manager && webhooks) {
    webhooks.configure(manager.registry.list());
    manager.onSwap(() => webhooks.configure(manager.registry.list()));
    store.onCommit((commit) => webhooks.publish(commit));
  }
  const tenancy = manager ? multiTenancy(manager) : singleTenancy(single!);
  // The mesh reads its stamps before anything is served, and follows its peers once listening.
  // A multi-tenant node syncs the tenants of its file, as each reload leaves them.
  const mesh =
    extras.mesh && !database
      ? await (await import('../mesh/mesh.js')).startMesh({
          config: extras.mesh,
          store,
          tenancy: manager
            ? {
                multi: true,
                list: () => manager.registry.list().map((t) => ({ name: t.name, dataDir: t.dataDir })),
                onChange: (listener) => manager.onSwap(listener),
              }
            : { multi: false, list: () => [single!.tenant], onChange: () => {} },
          registry: metrics.registry,
          log,
        })
      : undefined;
  const host = createHost(options, { store, tenancy, metrics, log, routes: mesh?.routes, health: mesh?.health });
  let address;
  try {
    address = await host.listen(options.port, options.bind);
  } catch (err) {
    // A port in use must not leave the directories owned: the caller may retry elsewhere.
    webhooks?.close();
    await mesh?.stop();
    await store.close();
    await mesh?.close();
    manager?.releaseDirectories();
    await tenantsTable?.close();
    lock?.release();
    throw err;
  }
  mesh?.start();
  // Only a host that listens reloads: a failed start leaves no SIGHUP listener or watcher behind.
  triggers?.watchSignals();
  if (tenantsTable && manager) {
    unwatchTable = tenantsTable.watch(
      () => manager.reload('database change', { onlyIfChanged: true }),
      (e) =>
        log(
          `tenants: cannot read the tenants of ${tenantsTable.where}, keeping the ${manager.registry.size} in force: ${String((e as Error)?.message ?? e).split('\n')[0]}`,
        ),
    );
  } else triggers?.watchFile();
  return {
    port: address.port,
    serving: [
      extras.mesh
        ? `mesh node ${extras.mesh.node.id}, ${extras.mesh.outbound.enabled ? extras.mesh.outbound.peers.length : 0} peers`
        : undefined,
      manager ? `${tenantsTable ? 'tenants: the store' : `config: ${manager.source.where}`}, ${manager.registry.size} tenants` : undefined,
      options.store === undefined ? (manager ? undefined : `data: ${dataDir}`) : `store: ${describeStoreUrl(options.store)}`,
    ]
      .filter((part) => part !== undefined)
      .join(', '),
    served: options.store === undefined ? dataDir : describeStoreUrl(options.store),
    open: !!single && !single.requiresToken,
    routes: host.routes,
    async close() {
      triggers?.close();
      unwatchTable?.();
      // Changes still queued for webhooks are dropped: a receiver must not hold the shutdown.
      webhooks?.close();
      await mesh?.stop();
      await host.close();
      await mesh?.close();
      // A reload or admin edit still running finishes before the directories are given up.
      await manager?.close();
      manager?.releaseDirectories();
      await tenantsTable?.close();
      lock?.release();
    },
  };
}
