import { Coordinate, checksum } from '../phext/index.js';
import type { DocumentStore } from '../store/document-store.js';
import { applyRemote, type RemoteScroll } from './apply.js';
import type { MeshConfig, MeshPeer } from './config.js';
import { Cursors } from './cursors.js';
import { compareStamps } from './hlc.js';
import { PeerClient, PeerError } from './peer-client.js';
import { DEFAULT_TENANT, type PhextChanges } from './routes.js';
import { EMPTY_SUM } from './stamper.js';
import type { MeshStatus, PeerState } from './status.js';
import type { MeshTenant } from './tenant.js';

/** How long one changes request may wait at the peer for news (a long poll). */
const WAIT_MS = 20_000;
/** Coordinates asked for in one scrolls request of a catch-up. */
const FETCH_BATCH = 1_000;

export interface FollowerDeps {
  readonly config: MeshConfig;
  readonly peer: MeshPeer;
  readonly store: DocumentStore;
  /** The tenants followed from this peer right now (a reload may change them: see refresh). */
  readonly tenants: () => readonly MeshTenant[];
  readonly status: MeshStatus;
  readonly log: (line: string) => void;
}

/**
 * Follows one peer: asks for its changes after the versions applied here (long polling, from
 * cursors kept durably), applies them by last writer wins, and catches a phext up by comparing
 * manifests when the peer no longer holds the changes (a reset, a first contact). Failures are
 * retried every retry_backoff_seconds; after max_retries in a row the peer is `down`, and is still
 * tried at that pace. A health check (GET /health) runs every health_check_interval_seconds, and
 * every sync_interval_seconds each phext is compared by manifest, in case anything was missed.
 * Cursors are kept per tenant, in the tenant's data directory.
 */
export class Follower {
  readonly state: PeerState;
  private readonly client: PeerClient;
  private readonly cursorsByTenant = new WeakMap<MeshTenant, Cursors>();
  /** Aborts the request in progress only, so that the next one asks for the tenants in force. */
  private poll = new AbortController();
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private readonly healthTimer: NodeJS.Timeout;
  /** When the next sweep compares every followed phext's manifest (anti-entropy). */
  private nextSweep: number;

  constructor(private readonly deps: FollowerDeps) {
    const { config, peer, status } = deps;
    this.client = new PeerClient(config, peer);
    this.state = {
      id: peer.id,
      url: this.client.url,
      state: 'starting',
      lastError: undefined,
      lastContact: undefined,
      lagVersions: 0,
      behindSince: Date.now(),
      applied: 0,
      fetched: 0,
      catchUps: 0,
    };
    status.peers.push(this.state);
    this.nextSweep = Date.now() + config.mesh.sync_interval_seconds * 1000;
    this.healthTimer = setInterval(() => void this.checkHealth(), config.mesh.health_check_interval_seconds * 1000);
    this.healthTimer.unref();
  }

  private cursors(t: MeshTenant): Cursors {
    let cursors = this.cursorsByTenant.get(t);
    if (!cursors) this.cursorsByTenant.set(t, (cursors = new Cursors(t.dataDir, this.deps.peer.id)));
    return cursors;
  }

  /** Asks again at once, for the tenants in force (after a reload of the tenants). */
  refresh(): void {
    this.poll.abort();
  }

  /** Starts (or restarts after pause) following. */
  start(): void {
    if (this.running || this.closed) return;
    this.abort = new AbortController();
    if (this.state.state === 'paused') this.state.state = 'starting';
    const run = this.loop(this.abort.signal).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
  }

  /** Stops following (a partition, for tests and operators); `start` resumes from the cursors. */
  async pause(): Promise<void> {
    this.abort.abort();
    await this.running;
    if (!this.closed) this.state.state = 'paused';
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.healthTimer);
    this.abort.abort();
    await this.running;
    await Promise.all(this.deps.tenants().map((t) => this.cursors(t).flushed()));
  }

  private async checkHealth(): Promise<void> {
    if (this.state.state === 'paused') return;
    try {
      await this.client.health(AbortSignal.timeout(10_000));
      this.state.lastContact = Date.now();
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    this.failures++;
    this.state.lastError = oneLine(e);
    this.state.state = this.failures > this.deps.config.mesh.max_retries ? 'down' : 'retrying';
    this.state.behindSince ??= Date.now();
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const backoffMs = this.deps.config.mesh.retry_backoff_seconds * 1000;
    // The first request after a start or a failure is answered at once, so a peer back up is
    // seen as up without waiting out a long poll.
    let waitMs = 0;
    while (!signal.aborted) {
      const followed = this.deps.tenants();
      this.poll = new AbortController();
      const poll = this.poll.signal;
      try {
        const asked = Object.fromEntries(followed.map((t) => [t.name, { ...this.cursors(t).versions }]));
        const { phexts } = await this.client.changes(asked, waitMs, AbortSignal.any([signal, poll]));
        waitMs = WAIT_MS;
        await this.take(followed, phexts, signal);
        if (Date.now() >= this.nextSweep) await this.sweep(signal);
        this.failures = 0;
        this.state.state = 'up';
        this.state.lastContact = Date.now();
      } catch (e) {
        if (signal.aborted) return;
        if (poll.aborted) {
          waitMs = 0;
          continue;
        }
        if (this.failures === 0) this.deps.log(`mesh: peer ${this.state.id} (${this.state.url}): ${oneLine(e)}`);
        this.fail(e);
        waitMs = 0;
        await sleep(backoffMs, signal);
      }
    }
  }

  /** Applies one changes answer, phext by phext, saving the cursors after it. */
  private async take(followed: readonly MeshTenant[], phexts: readonly PhextChanges[], signal: AbortSignal): Promise<void> {
    const { store, status } = this.deps;
    let lag = 0;
    const touched = new Set<MeshTenant>();
    for (const news of phexts) {
      if (signal.aborted) return;
      const t = followed.find((x) => x.name === (news.tenant ?? DEFAULT_TENANT));
      if (!t) continue; // not asked for: never applied
      const cursors = this.cursors(t);
      touched.add(t);
      if (news.reset) await this.catchUp(t, news.p, signal);
      else {
        const applied = await applyRemote(store, t.stamper, t.name, news.p, news.changes ?? [], (c, kept, dropped) =>
          status.conflict(where(t, news.p), c, kept, dropped),
        );
        status.applied(this.state, applied.count, applied.origins);
        cursors.versions[news.p] = news.version;
      }
      lag += news.head - (cursors.versions[news.p] ?? 0);
    }
    for (const t of touched) this.cursors(t).save();
    this.state.lagVersions = Math.max(0, lag);
    if (lag <= 0) this.state.behindSince = undefined;
    else this.state.behindSince ??= Date.now();
  }

  /**
   * Every sync_interval_seconds, a safety net under the feed: each phext followed is compared
   * by manifest, as after a reset (only scrolls with a newer clock there are fetched).
   */
  private async sweep(signal: AbortSignal): Promise<void> {
    for (const t of this.deps.tenants()) {
      const cursors = this.cursors(t);
      for (const p of Object.keys(cursors.versions)) {
        if (signal.aborted) return;
        try {
          await this.catchUp(t, p, signal);
        } catch (e) {
          // No longer shared with this node: it stops following it.
          if (!(e instanceof PeerError && e.status === 403)) throw e;
          delete cursors.versions[p];
        }
      }
      cursors.save();
    }
    this.nextSweep = Date.now() + this.deps.config.mesh.sync_interval_seconds * 1000;
  }

  /**
   * Brings phext `p` up to the peer's manifest: only scrolls whose stamp there is newer than
   * here are fetched (a newer stamp on the same text is taken without fetching anything).
   */
  private async catchUp(t: MeshTenant, p: string, signal: AbortSignal): Promise<void> {
    const { store, status } = this.deps;
    const { stamper, name: tenant } = t;
    this.state.catchUps++;
    const manifest = await this.client.manifest(tenant, p, signal);
    const snapshot = await store.read({ tenant, name: p });
    const wanted: string[] = [];
    // Values known without fetching them: our own text under a newer stamp, or a deletion.
    const known: RemoteScroll[] = [];
    for (const remote of manifest.scrolls) {
      const text = snapshot?.phext.get(Coordinate.parse(remote.c)) ?? '';
      const sum = text === '' ? EMPTY_SUM : checksum(text);
      const ours = stamper.book.valid(p, remote.c, sum);
      if (ours && compareStamps(remote, ours) <= 0) continue;
      const { t, k, n, p: prev } = remote;
      if (remote.s === sum) known.push({ c: remote.c, text, t, k, n, p: prev });
      else if (remote.d) known.push({ c: remote.c, text: '', t, k, n, p: prev });
      else wanted.push(remote.c);
    }
    const conflict = (c: string, kept: string, dropped: string) => status.conflict(where(t, p), c, kept, dropped);
    let applied = await applyRemote(store, stamper, tenant, p, known, conflict);
    status.applied(this.state, applied.count, []);
    for (let i = 0; i < wanted.length; i += FETCH_BATCH) {
      const { scrolls } = await this.client.scrolls(tenant, p, wanted.slice(i, i + FETCH_BATCH), signal);
      status.fetched(this.state, scrolls.length);
      applied = await applyRemote(store, stamper, tenant, p, scrolls, conflict);
      status.applied(this.state, applied.count, []);
    }
    this.cursors(t).versions[p] = manifest.version;
  }
}

/** A phext as conflicts name it: `<tenant>/<name>` on a multi-tenant node, `<name>` for DEFAULT_TENANT. */
const where = (t: MeshTenant, p: string): string => (t.name === DEFAULT_TENANT ? p : `${t.name}/${p}`);

function oneLine(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const message = err?.cause?.code ?? err?.code ?? err?.message ?? String(e);
  return String(message).split('\n')[0]!.slice(0, 300);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
