import type { ChangeRecord } from '../store/change-record.js';
import type { Commit } from '../store/document-store.js';
import { changeEvents, type EventShape } from './change-events.js';
import { FeedStream } from './feed-stream.js';

/** How many streams may be open, and how much each may hold back. */
export interface FeedLimits {
  /** Open streams, all tenants together. */
  readonly maxStreams: number;
  /** Open streams of one tenant. */
  readonly maxStreamsPerTenant: number;
  /** Unsent bytes a stream may hold before its consumer is cut off. */
  readonly bufferBytes: number;
  /** How often each stream gets a heartbeat comment (ms). */
  readonly heartbeatMs: number;
}

/** What a stream follows and how its events look. */
export interface Subscription extends EventShape {
  readonly tenant: string;
  /** One phext, or (undefined) every phext of the tenant. */
  readonly name: string | undefined;
  /** Whether it may stay open: asked again whenever the tenants in force change. */
  readonly stillAllowed: () => boolean;
}

/** Why a stream was refused: the server's or the tenant's limit (503), or a server shutting down. */
export class FeedRefusal extends Error {
  override readonly name = 'FeedRefusal';
}

interface Subscriber {
  readonly stream: FeedStream;
  readonly subscription: Subscription;
}

/** The open streams of one tenant: of one phext each, or of all. */
interface TenantStreams {
  readonly all: Set<Subscriber>;
  readonly byName: Map<string, Set<Subscriber>>;
  size: number;
}

/**
 * The fan-out of committed changes to open streams, keyed by tenant and phext. It hears of each
 * durable commit from the store (as a commit observer, before the writers are answered) and hands
 * each interested stream its events; encoding is shared by streams that see the same events.
 * Nothing here waits: a stream that cannot keep up is cut off (see FeedStream).
 */
export class FeedHub {
  private readonly tenants = new Map<string, TenantStreams>();
  private open = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly limits: FeedLimits) {
    // One timer for every stream, not one each; it never keeps the process alive.
    this.heartbeat = setInterval(() => this.beat(), limits.heartbeatMs).unref();
  }

  /** Streams open now. */
  get size(): number {
    return this.open;
  }

  /**
   * A new stream, holding live events until `begin` (see FeedStream). Throws a FeedRefusal
   * beyond the limits or once the hub is closed.
   */
  subscribe(subscription: Subscription): FeedStream {
    if (this.closed) throw new FeedRefusal('the server is shutting down');
    if (this.open >= this.limits.maxStreams) throw new FeedRefusal(`too many open watch streams (${this.limits.maxStreams})`);
    let streams = this.tenants.get(subscription.tenant);
    if (streams && streams.size >= this.limits.maxStreamsPerTenant) {
      throw new FeedRefusal(`too many open watch streams for this tenant (${this.limits.maxStreamsPerTenant})`);
    }
    if (!streams) {
      streams = { all: new Set(), byName: new Map(), size: 0 };
      this.tenants.set(subscription.tenant, streams);
    }
    const subscriber: Subscriber = { stream: new FeedStream(this.limits.bufferBytes), subscription };
    const set = subscription.name === undefined ? streams.all : setOf(streams.byName, subscription.name);
    set.add(subscriber);
    streams.size++;
    this.open++;
    const tenant = streams;
    subscriber.stream.onEnd = () => {
      set.delete(subscriber);
      if (subscription.name !== undefined && set.size === 0) tenant.byName.delete(subscription.name);
      tenant.size--;
      this.open--;
      if (tenant.size === 0 && this.tenants.get(subscription.tenant) === tenant) this.tenants.delete(subscription.tenant);
    };
    return subscriber.stream;
  }

  /** A commit observer: each stream of the phext, and of its whole tenant, gets the commit's events. */
  publish(commit: Commit): void {
    if (commit.records.length === 0) return; // a checkpoint changes no scroll
    const streams = this.tenants.get(commit.document.tenant);
    if (!streams) return;
    const one = streams.byName.get(commit.document.name);
    if (!one && streams.all.size === 0) return;
    const records = inVersionOrder(commit.records);
    const shared = new Map<string, Buffer | undefined>();
    const send = (s: Subscriber) => {
      const shape = s.subscription;
      const key = `${shape.text ? 1 : 0}${shape.wide ? 1 : 0}${shape.prefix ?? ''}`;
      let bytes = shared.get(key);
      if (!shared.has(key)) {
        const text = [...changeEvents(commit.document.name, records, shape)].join('');
        bytes = text === '' ? undefined : Buffer.from(text);
        shared.set(key, bytes);
      }
      if (bytes) s.stream.deliver({ version: commit.version, bytes });
    };
    // Copies: a stream cut off while it is handed its events leaves the set.
    if (one) for (const s of [...one]) send(s);
    for (const s of [...streams.all]) send(s);
  }

  /** Ends every stream whose subscription is no longer allowed (a token rotated or removed). */
  recheck(): void {
    for (const streams of [...this.tenants.values()]) {
      for (const s of [...streams.all, ...[...streams.byName.values()].flatMap((set) => [...set])]) {
        if (!s.subscription.stillAllowed()) s.stream.end('revoked');
      }
    }
  }

  /** Ends every stream and refuses new ones: streams never hold a shutdown. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const streams of [...this.tenants.values()]) {
      for (const s of [...streams.all]) s.stream.end('shutdown');
      for (const set of [...streams.byName.values()]) for (const s of [...set]) s.stream.end('shutdown');
    }
  }

  private beat(): void {
    for (const streams of this.tenants.values()) {
      for (const s of streams.all) s.stream.heartbeat();
      for (const set of streams.byName.values()) for (const s of set) s.stream.heartbeat();
    }
  }
}

function setOf(map: Map<string, Set<Subscriber>>, name: string): Set<Subscriber> {
  let set = map.get(name);
  if (!set) map.set(name, (set = new Set()));
  return set;
}

/** A commit's records by version: one record per changed scroll, listed in coordinate order. */
function inVersionOrder(records: readonly ChangeRecord[]): readonly ChangeRecord[] {
  for (let i = 1; i < records.length; i++)
    if (records[i]!.version < records[i - 1]!.version) return [...records].sort((a, b) => a.version - b.version);
  return records;
}
