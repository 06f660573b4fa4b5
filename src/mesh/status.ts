import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One peer as this node's follower of it sees it. */
export interface PeerState {
  readonly id: string;
  readonly url: string;
  /** up: its feed answers; retrying: failing, fewer than max_retries times in a row; down; paused (outbound sync stopped). */
  state: 'starting' | 'up' | 'retrying' | 'down' | 'paused';
  lastError: string | undefined;
  /** When its feed or health check last answered (ms since the epoch). */
  lastContact: number | undefined;
  /** Versions of its phexts not applied here yet, as of its last answer. */
  lagVersions: number;
  /** Since when this node is behind it (undefined: caught up). */
  behindSince: number | undefined;
  /** Remote changes applied here (a change seen again, or older than ours, is not counted). */
  applied: number;
  /** Scrolls fetched whole by a catch-up (manifest comparison). */
  fetched: number;
  /** Catch-ups run (a reset, a first contact, or a long absence). */
  catchUps: number;
}

/** A value that lost to a newer one. */
export interface Conflict {
  readonly at: string;
  readonly p: string;
  readonly c: string;
  readonly kept: string;
  readonly dropped: string;
}

const RECENT_CONFLICTS = 100;

/** The mesh's figures: peer states for `/api/v2/mesh/status`, Prometheus series for `/metrics`. */
export class MeshStatus {
  readonly peers: PeerState[] = [];
  readonly conflicts: Conflict[] = [];
  private readonly conflictCount: Counter;
  private readonly appliedCount: Counter<'peer'>;
  private readonly fetchedCount: Counter<'peer'>;
  private readonly lag: Histogram;

  constructor(
    readonly node: string,
    registry: Registry,
    private readonly log: (line: string) => void,
  ) {
    const peers = (): PeerState[] => this.peers;
    new Gauge({
      name: 'sq_mesh_peer_up',
      help: 'Whether the peer answered its last feed request or health check (1) or not (0)',
      labelNames: ['peer'] as const,
      registers: [registry],
      collect() {
        for (const p of peers()) this.set({ peer: p.id }, p.state === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'sq_mesh_peer_lag_versions',
      help: "Versions of the peer's phexts not applied here yet",
      labelNames: ['peer'] as const,
      registers: [registry],
      collect() {
        for (const p of peers()) this.set({ peer: p.id }, p.lagVersions);
      },
    });
    new Gauge({
      name: 'sq_mesh_peer_lag_seconds',
      help: 'How long this node has been behind the peer (0: caught up)',
      labelNames: ['peer'] as const,
      registers: [registry],
      collect() {
        for (const p of peers()) this.set({ peer: p.id }, lagSeconds(p));
      },
    });
    this.appliedCount = new Counter({
      name: 'sq_mesh_applied_changes_total',
      help: "Peers' scroll changes applied here",
      labelNames: ['peer'] as const,
      registers: [registry],
    });
    this.fetchedCount = new Counter({
      name: 'sq_mesh_fetched_scrolls_total',
      help: 'Scrolls fetched whole by catch-ups (manifest comparison)',
      labelNames: ['peer'] as const,
      registers: [registry],
    });
    this.conflictCount = new Counter({ name: 'sq_mesh_conflicts_total', help: 'Values that lost to a newer one', registers: [registry] });
    this.lag = new Histogram({
      name: 'sq_mesh_replication_lag_seconds',
      help: "From a change's stamp at its origin to its application here",
      registers: [registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    });
  }

  applied(peer: PeerState, count: number, originMs: readonly number[]): void {
    peer.applied += count;
    this.appliedCount.inc({ peer: peer.id }, count);
    const now = Date.now();
    for (const t of originMs) this.lag.observe(Math.max(0, now - t) / 1000);
  }

  fetched(peer: PeerState, count: number): void {
    peer.fetched += count;
    this.fetchedCount.inc({ peer: peer.id }, count);
  }

  /** Logs and keeps a lost value: which scroll, which node's value stayed. */
  conflict(p: string, c: string, kept: string, dropped: string): void {
    const entry = { at: new Date().toISOString(), p, c, kept, dropped };
    this.conflicts.push(entry);
    if (this.conflicts.length > RECENT_CONFLICTS) this.conflicts.shift();
    this.conflictCount.inc();
    this.log(`mesh: conflict in ${p || '(default)'} at ${c}: kept ${kept}'s value, dropped ${dropped}'s`);
  }

  /** What `GET /health` adds as JSON: anyone may ask, so no addresses, errors or conflicts. */
  health(): object {
    return {
      node: this.node,
      peers: this.peers.map((p) => ({ id: p.id, state: p.state, lag_versions: p.lagVersions, lag_seconds: lagSeconds(p) })),
    };
  }

  /** What `GET /api/v2/mesh/status` answers. */
  report(): object {
    return {
      node: this.node,
      peers: this.peers.map((p) => ({
        id: p.id,
        url: p.url,
        state: p.state,
        lag_versions: p.lagVersions,
        lag_seconds: lagSeconds(p),
        last_error: p.lastError ?? null,
        last_contact: p.lastContact === undefined ? null : new Date(p.lastContact).toISOString(),
        applied: p.applied,
        fetched_scrolls: p.fetched,
        catch_ups: p.catchUps,
      })),
      conflicts: this.conflicts,
    };
  }
}

function lagSeconds(p: PeerState): number {
  return p.behindSince === undefined ? 0 : Math.round((Date.now() - p.behindSince) / 100) / 10;
}
