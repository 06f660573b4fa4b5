import type { Registry } from 'prom-client';
import type { DocumentStore } from '../store/document-store.js';
import type { Route } from '../server/route.js';
import type { MeshConfig, MeshPeer } from './config.js';
import { Follower } from './follower.js';
import { HybridClock } from './hlc.js';
import { phextNamesIn } from '../store/phext-names.js';
import { meshRoutes } from './routes.js';
import { MeshStatus } from './status.js';
import { MeshTenant } from './tenant.js';
import { Wakeup } from './wakeup.js';

/** How often the phexts are looked at for another program's edit (ms). */
const POLL_MS = 1_000;

/** The tenants a node serves: the one of a single-tenant node, or those of its tenants file. */
export interface MeshTenancy {
  /** False for a single-tenant node: its one tenant syncs with every peer. */
  readonly multi: boolean;
  /** The tenants in force now, each with its data directory (absolute). */
  list(): readonly { readonly name: string; readonly dataDir: string }[];
  /** Calls `listener` after each change of the tenants (a reload). */
  onChange(listener: () => void): void;
}

export interface MeshDeps {
  readonly config: MeshConfig;
  readonly store: DocumentStore;
  readonly tenancy: MeshTenancy;
  readonly registry: Registry;
  readonly log: (line: string) => void;
}

/** A node of the mesh: its routes for peers, and its followers of them once started. */
export interface MeshNode {
  readonly routes: readonly Route[];
  /** The peers' states for `GET /health` as JSON (ids, states and lag: no addresses or errors). */
  health(): object;
  /** Starts following the peers (once the server listens). */
  start(): void;
  /** Stops following and ends held long polls (before the server drains). */
  stop(): Promise<void>;
  /** Writes the stamps still queued (once the store is closed). */
  close(): Promise<void>;
}

/**
 * Wires the mesh of `sq host --mesh-config`: stamps per tenant, serving side, one follower per
 * peer. A peer is served and followed only for its tenants: all of a single-tenant node's one,
 * and on a multi-tenant node those its `tenants` lists that the tenants file holds (a tenant
 * listed but absent is skipped, with a log line, until a reload brings it).
 */
export async function startMesh(deps: MeshDeps): Promise<MeshNode> {
  const { config, store, tenancy, log } = deps;
  const clock = new HybridClock(config.node.id);
  const peers = config.outbound.peers;
  const wanted = (peer: MeshPeer): readonly string[] => (tenancy.multi ? (peer.tenants ?? []) : tenancy.list().map((t) => t.name));
  const tenants = new Map<string, MeshTenant>();
  const missing = new Set<string>();
  /** Opens the tenants now wanted and present, and drops those gone (run serially). */
  async function refresh(): Promise<void> {
    const present = new Map(tenancy.list().map((t) => [t.name, t.dataDir]));
    const names = new Set(peers.flatMap(wanted));
    for (const [name, t] of tenants) {
      if (present.get(name) === t.dataDir) continue;
      tenants.delete(name);
      await t.close();
    }
    for (const name of names) {
      const dataDir = present.get(name);
      if (dataDir === undefined) {
        if (!missing.has(name)) {
          const by = peers.filter((p) => wanted(p).includes(name)).map((p) => p.id);
          log(`mesh: tenant ${name} (listed for peer ${by.join(', ')}) is not in the tenants file: skipped until it is`);
        }
        missing.add(name);
        continue;
      }
      missing.delete(name);
      if (!tenants.has(name)) tenants.set(name, await MeshTenant.open(name, dataDir, clock));
    }
  }
  await refresh();
  const wakeup = new Wakeup();
  store.onCommit((commit) => {
    const t = tenants.get(commit.document.tenant);
    if (!t) return;
    t.stamper.observe(commit);
    t.recent.observe(commit);
    wakeup.bump();
  });
  /** The tenants peer `peer` is served and followed for, right now. */
  const of = (peer: MeshPeer): MeshTenant[] => wanted(peer).flatMap((name) => tenants.get(name) ?? []);
  const status = new MeshStatus(config.node.id, deps.registry, log);
  const followers = config.outbound.enabled
    ? peers.map((peer) => new Follower({ config, peer, store, tenants: () => of(peer), status, log }))
    : [];
  let refreshing = Promise.resolve();
  tenancy.onChange(() => {
    refreshing = refreshing
      .then(refresh)
      .then(() => {
        // Held long polls and followers look again: a tenant may have come or gone.
        wakeup.bump();
        for (const f of followers) f.refresh();
      })
      .catch((e: unknown) => log(`mesh: cannot open the new tenants: ${String((e as Error)?.message ?? e).split('\n')[0]}`));
  });
  const routes = meshRoutes({
    config,
    store,
    tenants: of,
    wakeup,
    status: () => status.report(),
    outbound: async (enabled, peer) => {
      const chosen = followers.filter((f) => peer === undefined || f.state.id === peer);
      if (enabled) for (const f of chosen) f.start();
      else await Promise.all(chosen.map((f) => f.pause()));
    },
  });
  // Another program's edit of a phext is noticed when the store next reads it; the feed answers
  // from memory, so each phext is looked at (a stat, for phexts the store holds) every second.
  const polling = setInterval(() => {
    for (const t of tenants.values()) {
      void phextNamesIn(t.dataDir).then(
        (names) => Promise.all(names.map((name) => store.poll({ tenant: t.name, name }))),
        () => undefined,
      );
    }
  }, POLL_MS);
  polling.unref();
  return {
    routes,
    health: () => status.health(),
    start: () => {
      for (const f of followers) f.start();
    },
    async stop() {
      clearInterval(polling);
      wakeup.close();
      await Promise.all(followers.map((f) => f.close()));
    },
    async close() {
      await refreshing;
      await Promise.all([...tenants.values()].map((t) => t.close()));
    },
  };
}
