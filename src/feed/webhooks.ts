import { createHmac } from 'node:crypto';
import type { Commit } from '../store/document-store.js';
import { changeData, resetData } from './change-events.js';

/** One webhook of a tenant, as configured: every change of the tenant, or of phext `p` only. */
export interface WebhookConfig {
  readonly url: string;
  readonly p?: string;
  /** When set, each POST is signed with it (see signature). */
  readonly secret?: string;
}

/**
 * The signature of a POST: HMAC-SHA256 with the webhook's secret over `<timestamp>.<body>`, in
 * hex, sent as `X-SQ-Signature: sha256=<hex>` beside `X-SQ-Timestamp: <unix seconds>`. The
 * receiver recomputes it to know the change came from this server, and refuses an old timestamp
 * so that a captured POST cannot be replayed later.
 */
function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  /** One line per dropped change or given-up delivery; never the URL's userinfo or query. */
  readonly log: (line: string) => void;
  /** Told of each delivery that ended (metrics). */
  readonly onDelivery?: (ok: boolean) => void;
  /** Attempts per change before it is given up (the first one included). */
  readonly maxAttempts?: number;
  /** The wait before the first retry; each further retry waits twice as long. */
  readonly backoffMs?: number;
  /** How long one POST may take before it counts as failed. */
  readonly timeoutMs?: number;
  /** Changes a webhook may hold back; beyond it the oldest is dropped. */
  readonly queueSize?: number;
  /** The clock signatures are timestamped by (ms since the epoch). */
  readonly now?: () => number;
}

const DEFAULTS = { maxAttempts: 5, backoffMs: 1_000, timeoutMs: 10_000, queueSize: 1_000, now: Date.now };
const MAX_BACKOFF_MS = 60_000;

/** `scheme://host/path`: userinfo and query may carry secrets and must stay out of logs. */
function loggableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * POSTs each committed change of a tenant to its webhooks. A commit observer only enqueues: a
 * webhook's own loop sends its queue in order, one change at a time, so a slow or dead receiver
 * never holds a write; its queue is bounded (oldest dropped) so it never holds memory either.
 */
export class Webhooks {
  /** By tenant; a webhook is identified by tenant, url and p, so a reload keeps its queue. */
  private readonly byTenant = new Map<string, Map<string, Delivery>>();
  private readonly settings: Required<Omit<WebhookOptions, 'onDelivery'>> & Pick<WebhookOptions, 'onDelivery'>;
  private closed = false;

  constructor(options: WebhookOptions) {
    this.settings = { ...DEFAULTS, ...stripUndefined(options), log: options.log };
  }

  /** The webhooks now in force: those no longer configured stop at once, dropping what they hold. */
  configure(tenants: Iterable<{ readonly name: string; readonly webhooks?: readonly WebhookConfig[] }>): void {
    if (this.closed) return;
    const next = new Map<string, Map<string, Delivery>>();
    for (const t of tenants) {
      if (!t.webhooks?.length) continue;
      const previous = this.byTenant.get(t.name);
      const mine = new Map<string, Delivery>();
      for (const w of t.webhooks) {
        const id = `${w.p ?? ''} ${w.url} ${w.secret ?? ''}`;
        if (mine.has(id)) continue; // the same webhook twice would only send everything twice
        mine.set(id, previous?.get(id) ?? new Delivery(w, this.settings));
      }
      next.set(t.name, mine);
    }
    for (const [name, mine] of this.byTenant) {
      for (const [id, d] of mine) if (next.get(name)?.get(id) !== d) d.stop();
    }
    this.byTenant.clear();
    for (const [name, mine] of next) this.byTenant.set(name, mine);
  }

  /**
   * A commit observer: queues one `change` per changed scroll for each interested webhook, or
   * one `reset` for a change another program made (which scrolls is not known: read it again).
   */
  publish(commit: Commit): void {
    const mine = this.byTenant.get(commit.document.tenant);
    // Another server's commit is posted by that server's webhooks.
    if (!mine || commit.elsewhere || (commit.records.length === 0 && !commit.outside)) return;
    const name = commit.document.name;
    let posts: Post[] | undefined;
    for (const d of mine.values()) {
      if (d.config.p !== undefined && d.config.p !== name) continue;
      posts ??= commit.outside
        ? [{ event: 'reset', body: resetData(name, commit.version, commit.outside.checksum) }]
        : [...commit.records].sort((a, b) => a.version - b.version).map((r) => ({ event: 'change', body: changeData(name, r) }));
      for (const post of posts) d.enqueue(post);
    }
  }

  /** Stops every delivery, in flight or waiting to retry: shutdown does not wait for receivers. */
  close(): void {
    this.closed = true;
    for (const mine of this.byTenant.values()) for (const d of mine.values()) d.stop();
    this.byTenant.clear();
  }
}

/** One POST: its body, and the event it is (`X-SQ-Event`). */
interface Post {
  readonly event: 'change' | 'reset';
  readonly body: string;
}

class Delivery {
  private readonly queue: Post[] = [];
  private head = 0;
  private running = false;
  private readonly stopper = new AbortController();
  private readonly where: string;
  private readonly target: string;
  private readonly headers: Record<string, string> = { 'content-type': 'application/json' };

  constructor(
    readonly config: WebhookConfig,
    private readonly settings: Required<Omit<WebhookOptions, 'onDelivery'>> & Pick<WebhookOptions, 'onDelivery'>,
  ) {
    this.where = loggableUrl(config.url);
    // fetch refuses a URL with credentials in it: they are sent as Basic auth instead.
    const url = new URL(config.url);
    if (url.username !== '' || url.password !== '') {
      const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      this.headers.authorization = `Basic ${Buffer.from(user).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    this.target = url.href;
  }

  enqueue(post: Post): void {
    if (this.stopper.signal.aborted) return;
    if (this.queue.length - this.head >= this.settings.queueSize) {
      this.head++;
      this.settings.log(`webhooks: queue of ${this.where} is full (${this.settings.queueSize}); dropped its oldest change`);
    }
    this.queue.push(post);
    this.compact();
    if (!this.running) {
      this.running = true;
      void this.run();
    }
  }

  /** Sent or dropped changes are cut off now and then rather than shifted off one by one (O(n) each). */
  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  stop(): void {
    this.stopper.abort();
    this.queue.length = 0;
    this.head = 0;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (this.head < this.queue.length && !signal.aborted) {
      // Taken off before it is sent: the queue's bound counts changes waiting, not the one in flight.
      const post = this.queue[this.head]!;
      this.head++;
      this.compact();
      const ok = await this.deliver(post, signal);
      if (signal.aborted) break;
      this.settings.onDelivery?.(ok);
    }
    this.running = false;
  }

  /** The headers of one attempt: signed afresh, so a retry carries its own timestamp. */
  private signed({ event, body }: Post): Record<string, string> {
    const headers = { ...this.headers, 'x-sq-event': event };
    const secret = this.config.secret;
    if (secret === undefined) return headers;
    const timestamp = Math.floor(this.settings.now() / 1000);
    return { ...headers, 'x-sq-timestamp': String(timestamp), 'x-sq-signature': signature(secret, timestamp, body) };
  }

  /** Sends one change, retrying with exponential backoff; false once it is given up. */
  private async deliver(post: Post, stop: AbortSignal): Promise<boolean> {
    let problem = '';
    for (let attempt = 1; attempt <= this.settings.maxAttempts; attempt++) {
      if (attempt > 1) {
        const wait = Math.min(this.settings.backoffMs * 2 ** (attempt - 2), MAX_BACKOFF_MS);
        if (!(await sleep(wait, stop))) return false;
      }
      try {
        const response = await fetch(this.target, {
          method: 'POST',
          headers: this.signed(post),
          body: post.body,
          redirect: 'manual',
          signal: AbortSignal.any([stop, AbortSignal.timeout(this.settings.timeoutMs)]),
        });
        // The body is not wanted, but an unread one would hold the connection.
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return true;
        problem = `HTTP ${response.status}`;
      } catch (err) {
        if (stop.aborted) return false;
        // fetch's errors name the URL's cause, never the URL itself.
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        problem = (err as Error).name === 'TimeoutError' ? 'timed out' : (cause ?? (err as Error).name);
      }
    }
    this.settings.log(`webhooks: gave up a change for ${this.where} after ${this.settings.maxAttempts} attempts (${problem})`);
    return false;
  }
}

/** Waits `ms`; false when stopped first. The timer never keeps the process alive. */
function sleep(ms: number, stop: AbortSignal): Promise<boolean> {
  if (stop.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms).unref();
    stop.addEventListener('abort', onAbort);
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
