import type { Registry } from 'prom-client';
import type { DocumentStore } from '../store/document-store.js';
import type { Route } from '../server/route.js';
import type { MeshConfig } from './config.js';
import { Follower } from './follower.js';
import { HybridClock } from './hlc.js';
import { phextNames } from './phext-names.js';
import { RecentChanges } from './recent.js';
import { meshRoutes } from './routes.js';
import { Stamper } from './stamper.js';
import { StampBook } from './stamps.js';
import { MeshStatus } from './status.js';
import { Wakeup } from './wakeup.js';

/** How often the phexts are looked at for another program's edit (ms). */
const POLL_MS = 1_000;

export interface MeshDeps {
  readonly config: MeshConfig;
  readonly store: DocumentStore;
  /** The data directory (absolute) and the tenant the store serves it as. */
  readonly dataDir: string;
  readonly tenant: string;
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

/** Wires the mesh of `sq host --mesh-config`: stamps, serving side, one follower per peer. */
export async function startMesh(deps: MeshDeps): Promise<MeshNode> {
  const { config, store, dataDir, tenant, log } = deps;
  const book = new StampBook(dataDir);
  await book.load();
  const stamper = new Stamper(book, new HybridClock(config.node.id), tenant);
  const wakeup = new Wakeup();
  const recent = new RecentChanges(tenant);
  store.onCommit((commit) => {
    stamper.observe(commit);
    recent.observe(commit);
    if (commit.document.tenant === tenant) wakeup.bump();
  });
  const status = new MeshStatus(config.node.id, deps.registry, log);
  const followers = config.outbound.enabled
    ? config.outbound.peers.map((peer) => new Follower({ config, peer, store, stamper, tenant, dataDir, status, log }))
    : [];
  const routes = meshRoutes({
    config,
    store,
    stamper,
    tenant,
    dataDir,
    wakeup,
    recent,
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
    void phextNames(dataDir).then(
      (names) => Promise.all(names.map((name) => store.poll({ tenant, name }))),
      () => undefined,
    );
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
    close: () => book.close(),
  };
}
