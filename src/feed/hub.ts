import { performance } from 'node:perf_hooks';
import type { ChangeRecord } from '../store/change-record.js';
import type { Commit, DocumentKey } from '../store/document-store.js';
import { changeEvents, resetEvent, type EventShape } from './change-events.js';
import { FeedStream, type Delivery } from './feed-stream.js';

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
  /** The hub's sequence when it subscribed: it gets the commits published after. */
  readonly since: number;
  /** Which tick of the heartbeat's round visits it. */
  readonly beat: number;
}

/** A commit's events as one shape of stream sees them, numbered in the order published. */
interface Published {
  readonly sequence: number;
  readonly delivery: Delivery;
}

/** The streams that see the same events: one tenant, one phext (or all of them), one shape. */
interface Channel {
  readonly shape: EventShape;
  readonly subscribers: Set<Subscriber>;
  /** Commits published since the channel's streams were last handed their events. */
  pending: Published[];
}

/** The open streams of one tenant, by phext (`undefined`: all of them) and by shape. */
interface TenantStreams {
  readonly channels: Map<string | undefined, Map<string, Channel>>;
  size: number;
}

/** Streams handed their events per turn of the event loop: a thousand streams never hold it for long. */
const SLICE = 256;
/**
 * The least share of the event loop the hand-outs get when the rest of the server keeps it busy
 * (a write load): rounds then come at most every five times their cost, each carrying every
 * commit made meanwhile as one write per stream. A quiet server gives them whatever it leaves
 * idle, so a lone write reaches a thousand streams within one round.
 */
const LEAST_SHARE = 0.2;
/** How often the hub looks at how busy the rest of the server keeps the event loop (ms). */
const SAMPLE_MS = 100;

/** The heartbeat visits one of this many groups of streams at a time, so they do not all beat at once. */
const BEAT_GROUPS = 32;

/**
 * The fan-out of committed changes to open streams, keyed by tenant, phext and shape. It hears of
 * each durable commit from the store (as a commit observer, before the writers are answered),
 * encodes its events once per shape of stream, and hands them out in rounds: the commits of a
 * round go to each stream as one write, in slices of streams with turns of the event loop
 * between, paced so that a burst of writes makes a few large writes per stream rather than many
 * small ones. Nothing here waits: a stream that cannot keep up is cut off (see FeedStream).
 */
export class FeedHub {
  private readonly tenants = new Map<string, TenantStreams>();
  private open = 0;
  private closed = false;
  private sequence = 0;
  private subscribed = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly sampler: NodeJS.Timeout;
  private tick = 0;
  /** Channels with events not handed out yet. */
  private dirty = new Set<Channel>();
  /** A round is scheduled or running. */
  private handing = false;
  /** When the next round may start (performance.now()). */
  private nextRound = 0;
  /** How busy the rest of the server keeps the event loop (see pace). */
  private readonly usage = { from: performance.eventLoopUtilization(), busy: 0, others: 0 };
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly limits: FeedLimits) {
    // One timer for every stream, not one each; it never keeps the process alive.
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, limits.heartbeatMs / BEAT_GROUPS)).unref();
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS).unref();
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
      streams = { channels: new Map(), size: 0 };
      this.tenants.set(subscription.tenant, streams);
    }
    const tenant = streams;
    let byShape = tenant.channels.get(subscription.name);
    if (!byShape) tenant.channels.set(subscription.name, (byShape = new Map()));
    const shapes = byShape;
    const key = shapeKey(subscription);
    let channel = shapes.get(key);
    if (!channel) {
      const shape = { text: subscription.text, wide: subscription.wide, prefix: subscription.prefix };
      shapes.set(key, (channel = { shape, subscribers: new Set(), pending: [] }));
    }
    const home = channel;
    const subscriber: Subscriber = {
      stream: new FeedStream(this.limits.bufferBytes),
      subscription,
      since: this.sequence,
      beat: this.subscribed++ % BEAT_GROUPS,
    };
    home.subscribers.add(subscriber);
    tenant.size++;
    this.open++;
    subscriber.stream.onEnd = () => {
      home.subscribers.delete(subscriber);
      if (home.subscribers.size === 0 && shapes.get(key) === home) {
        shapes.delete(key);
        this.dirty.delete(home);
        if (shapes.size === 0) tenant.channels.delete(subscription.name);
      }
      tenant.size--;
      this.open--;
      if (tenant.size === 0 && this.tenants.get(subscription.tenant) === tenant) this.tenants.delete(subscription.tenant);
    };
    return subscriber.stream;
  }

  /**
   * A commit observer: each stream of the phext, and of its whole tenant, will get the commit's
   * events — or, for a change another program made, a `reset` (the scrolls it changed are not known).
   */
  publish(commit: Commit): void {
    if (commit.records.length === 0 && !commit.outside) return; // a checkpoint changes no scroll
    const streams = this.tenants.get(commit.document.tenant);
    if (!streams) return;
    const one = streams.channels.get(commit.document.name);
    const all = streams.channels.get(undefined);
    if (!one && !all) return;
    const records = inVersionOrder(commit.records);
    const sequence = ++this.sequence;
    for (const channels of [one, all]) {
      for (const channel of channels?.values() ?? []) {
        const text = commit.outside
          ? resetEvent(commit.document.name, commit.version, commit.outside.checksum, channel.shape.wide)
          : [...changeEvents(commit.document.name, records, channel.shape)].join('');
        if (text === '') continue;
        channel.pending.push({ sequence, delivery: { version: commit.version, bytes: Buffer.from(text) } });
        this.dirty.add(channel);
      }
    }
    this.schedule();
  }

  /** Resolves once every event published so far has been handed to its streams. */
  handedOut(): Promise<void> {
    if (!this.handing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether a stream follows `key` now, by its name or as one of all its tenant's phexts. */
  follows(key: DocumentKey): boolean {
    const channels = this.tenants.get(key.tenant)?.channels;
    return channels !== undefined && (channels.has(key.name) || channels.has(undefined));
  }

  /** The phexts streams follow by name now: where an edit by another program should be looked for. */
  watched(): DocumentKey[] {
    const keys: DocumentKey[] = [];
    for (const [tenant, streams] of this.tenants)
      for (const name of streams.channels.keys()) if (name !== undefined) keys.push({ tenant, name });
    return keys;
  }

  /** Ends every stream whose subscription is no longer allowed (a token rotated or removed). */
  recheck(): void {
    for (const s of this.subscribers()) if (!s.subscription.stillAllowed()) s.stream.end('revoked');
  }

  /** Ends every stream and refuses new ones: streams never hold a shutdown. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.sampler);
    for (const s of this.subscribers()) s.stream.end('shutdown');
  }

  /** Every subscriber now (a copy: ending a stream removes it). */
  private subscribers(): Subscriber[] {
    const list: Subscriber[] = [];
    for (const streams of this.tenants.values())
      for (const shapes of streams.channels.values()) for (const channel of shapes.values()) list.push(...channel.subscribers);
    return list;
  }

  /** Starts a round when there is work and none is under way: at once after a quiet spell, else after the gap. */
  private schedule(): void {
    if (this.handing || this.dirty.size === 0) return;
    this.handing = true;
    const wait = this.nextRound - performance.now();
    if (wait <= 0) setImmediate(() => this.round());
    else setTimeout(() => this.round(), wait);
  }

  /** Hands every pending commit to its streams, a slice of streams per turn. */
  private round(): void {
    const work: Array<{ channel: Channel; published: Published[]; subscribers: Subscriber[]; joined?: Delivery }> = [];
    for (const channel of this.dirty) {
      work.push({ channel, published: channel.pending, subscribers: [...channel.subscribers] });
      channel.pending = [];
    }
    this.dirty.clear();
    let busy = 0;
    let w = 0;
    let i = 0;
    const slice = () => {
      const started = performance.now();
      for (let n = 0; n < SLICE && w < work.length; n++) {
        const item = work[w]!;
        const s = item.subscribers[i++];
        if (s) hand(item, s);
        if (i >= item.subscribers.length) {
          w++;
          i = 0;
        }
      }
      // The connections write what they were handed once this callback's ticks run (node corks
      // an answer's writes until then): the slice's cost is known after them, in the tick queued last.
      process.nextTick(() => sliced(started));
    };
    const sliced = (started: number) => {
      busy += performance.now() - started;
      if (w < work.length) {
        setImmediate(slice);
        return;
      }
      this.pace(busy);
      this.handing = false;
      if (this.dirty.size > 0) this.schedule();
      else for (const wake of this.idleWaiters.splice(0)) wake();
    };
    slice();
  }

  /**
   * When the next round may start, after one that kept the event loop `busy` ms: the rounds may
   * take the share the rest of the server left idle in the last sample (see sample), at least
   * LEAST_SHARE; the gap after a round gives the rest the remainder.
   */
  private pace(busy: number): void {
    this.usage.busy += busy;
    const share = Math.max(LEAST_SHARE, 1 - this.usage.others);
    this.nextRound = performance.now() + busy * (1 / share - 1);
  }

  /**
   * How busy the rest of the server kept the event loop over the last SAMPLE_MS: its active time
   * less the rounds', over the time the rounds left. Sampled on a timer, so the estimate is always
   * recent — a burst of connects or a checkpoint a while ago does not hold the feed back now.
   */
  private sample(): void {
    const usage = this.usage;
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, usage.from);
    const left = since.active + since.idle - usage.busy;
    usage.others = left > 0 ? Math.min(1, Math.max(0, since.active - usage.busy) / left) : 1;
    usage.from = now;
    usage.busy = 0;
  }

  private beat(): void {
    const group = this.tick++ % BEAT_GROUPS;
    for (const s of this.subscribers()) if (s.beat === group) s.stream.heartbeat();
  }
}

/**
 * One stream's share of a round: every commit published since it subscribed, as one write —
 * or one delivery per commit while it holds events for a replay, or while some are in the replay
 * already (it drops those the replay has).
 */
function hand(item: { published: Published[]; joined?: Delivery }, s: Subscriber): void {
  const stream = s.stream;
  if (stream.done) return;
  const { published } = item;
  if (stream.holding || published[0]!.sequence <= s.since || published[0]!.delivery.version <= stream.covers) {
    for (const p of published) if (p.sequence > s.since) stream.deliver(p.delivery);
    return;
  }
  item.joined ??=
    published.length === 1
      ? published[0]!.delivery
      : { version: published[published.length - 1]!.delivery.version, bytes: Buffer.concat(published.map((p) => p.delivery.bytes)) };
  stream.deliver(item.joined);
}

function shapeKey(shape: EventShape): string {
  return `${shape.text ? 1 : 0}${shape.wide ? 1 : 0}${shape.prefix ?? ''}`;
}

/** A commit's records by version: one record per changed scroll, listed in coordinate order. */
function inVersionOrder(records: readonly ChangeRecord[]): readonly ChangeRecord[] {
  for (let i = 1; i < records.length; i++)
    if (records[i]!.version < records[i - 1]!.version) return [...records].sort((a, b) => a.version - b.version);
  return records;
}
