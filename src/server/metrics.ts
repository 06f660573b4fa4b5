import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Commit } from '../store/document-store.js';

/** Live figures the metrics read at scrape time. */
export interface MetricsSources {
  cache?: () => { documents: number; bytes: number };
  tenants?: () => { configured: number; active: number };
}

/** Live figures of the HTTP front end, which exists only after the metrics (see watchHttp). */
export interface HttpSources {
  openConnections: () => number;
  bodyBytesHeld: () => number;
}

/**
 * The server's Prometheus metrics, in a registry of its own (so several servers can share a
 * process in tests). No per-tenant labels: tenant counts would explode the label cardinality.
 */
export class Metrics {
  readonly registry = new Registry();
  private http?: HttpSources;
  private feedStreams?: () => number;
  readonly requests = new Counter({
    name: 'sq_requests_total',
    help: 'HTTP requests by command and status',
    labelNames: ['command', 'status'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'sq_request_duration_seconds',
    help: 'Request latency by command',
    labelNames: ['command'] as const,
    registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  });
  /** Label children by command and status: prom-client hashes a labels object on every call. */
  private readonly answered = new Map<string, { count: () => void; took: (seconds: number) => void }>();

  /** Counts one answered request and its latency. */
  observeRequest(command: string, status: number, seconds: number): void {
    const key = `${command} ${status}`;
    let child = this.answered.get(key);
    if (!child) {
      const counter = this.requests.labels(command, String(status));
      const histogram = this.latency.labels(command);
      child = { count: () => counter.inc(), took: (s) => histogram.observe(s) };
      this.answered.set(key, child);
    }
    child.count();
    child.took(seconds);
  }

  readonly bytesReceived = new Counter({
    name: 'sq_http_received_bytes_total',
    help: 'Request body bytes read',
    registers: [this.registry],
  });
  readonly bytesSent = new Counter({
    name: 'sq_http_sent_bytes_total',
    help: 'Response body bytes written',
    registers: [this.registry],
  });
  readonly bytesCommitted = new Counter({
    name: 'sq_store_written_bytes_total',
    help: 'Bytes written durably by commits: change-log frames and checkpointed phext files',
    registers: [this.registry],
  });
  readonly commitLatency = new Histogram({
    name: 'sq_commit_duration_seconds',
    help: 'Durable commit time (write, fsync, rename, fsync dir)',
    registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
  });
  readonly commitBatch = new Histogram({
    name: 'sq_commit_batch_size',
    help: 'Mutations sharing one commit (group commit)',
    registers: [this.registry],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  });
  readonly reloads = new Counter({
    name: 'sq_config_reloads_total',
    help: 'Tenant config reloads by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly webhookDeliveries = new Counter({
    name: 'sq_webhook_deliveries_total',
    help: 'Changes POSTed to tenant webhooks, by result (failed: given up after every retry)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'sq_' });
    const { cache, tenants } = sources;
    const http = (): HttpSources | undefined => this.http;
    new Gauge({
      name: 'sq_cached_phexts',
      help: 'Phexts held in the document cache',
      registers: [this.registry],
      collect() {
        this.set(cache?.().documents ?? 0);
      },
    });
    new Gauge({
      name: 'sq_cached_bytes',
      help: 'Estimated memory of the cached phexts',
      registers: [this.registry],
      collect() {
        this.set(cache?.().bytes ?? 0);
      },
    });
    new Gauge({
      name: 'sq_tenants_configured',
      help: 'Tenants in the current config',
      registers: [this.registry],
      collect() {
        this.set(tenants?.().configured ?? 1);
      },
    });
    new Gauge({
      name: 'sq_tenants_active',
      help: 'Tenants with a request in the last 5 minutes',
      registers: [this.registry],
      collect() {
        this.set(tenants?.().active ?? 0);
      },
    });
    new Gauge({
      name: 'sq_http_open_connections',
      help: 'Open client connections (the scraping one included)',
      registers: [this.registry],
      collect() {
        this.set(http()?.openConnections() ?? 0);
      },
    });
    const feedStreams = (): number => this.feedStreams?.() ?? 0;
    new Gauge({
      name: 'sq_watch_streams',
      help: 'Open change-feed streams (/api/v2/watch)',
      registers: [this.registry],
      collect() {
        this.set(feedStreams());
      },
    });
    new Gauge({
      name: 'sq_http_body_bytes_held',
      help: 'Request body bytes reserved or buffered right now (bounded by --max-inflight-body)',
      registers: [this.registry],
      collect() {
        this.set(http()?.bodyBytesHeld() ?? 0);
      },
    });
  }

  /** Where the change-feed gauge reads its figure; called once by the server that owns these metrics. */
  watchFeed(openStreams: () => number): void {
    this.feedStreams = openStreams;
  }

  /** Where the HTTP gauges read their figures; called once by the server that owns these metrics. */
  watchHttp(sources: HttpSources): void {
    this.http = sources;
  }

  /** A commit observer of the store. */
  observeCommit(commit: Commit): void {
    if (commit.outside || commit.elsewhere) return; // another program's edit or server's commit: nothing of ours was written
    this.bytesCommitted.inc(commit.bytesWritten);
    if (commit.batchSize > 0) this.commitBatch.observe(commit.batchSize); // a checkpoint carries no mutation
    this.commitLatency.observe(commit.durationMs / 1000);
  }
}
