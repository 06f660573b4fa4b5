import { z } from 'zod';
import { HTTP_LIMIT_DEFAULTS } from '../http/http-server.js';
import { CHECKPOINT_IDLE_MS, CHECKPOINT_MIN_BYTES, CHECKPOINT_RATIO } from '../store/document-store.js';
import { MEGABYTES_RULE, isMegabytes } from '../units/megabytes.js';
import { STORE_URL_RULE, isStoreUrl } from './store-url.js';

const MiB = 1024 * 1024;

const megabytes = z.number().refine(isMegabytes, MEGABYTES_RULE);
const count = z.number().int().min(1);
const ms = z.number().int().min(1);

/**
 * Everything `sq host` and `sq basic` decide before serving, with its defaults: the one place
 * where a setting is defaulted and checked. The CLI turns flags into values (`64M` → bytes),
 * `hostConfig` validates them once, and every layer below takes the result as it is.
 */
const schema = z
  .object({
    port: z.number().int().min(0).max(65535),
    bind: z.string().min(1).default('0.0.0.0'),
    /** Single-tenant data directory (not allowed with `config`). */
    dataDir: z.string().min(1).default('.'),
    /** Single-tenant token; undefined or '' serves everyone. */
    key: z.string().optional(),
    /** A PostgreSQL URL: phexts are kept in that database instead of `.phext` files (see store-url.ts). */
    store: z.string().refine(isStoreUrl, STORE_URL_RULE).optional(),
    /** Multi-tenant tenants file. */
    config: z.string().min(1).optional(),
    /** Multi-tenant tenants from the store's database (sq_tenants) instead of a file. */
    tenantsFromStore: z.boolean().default(false),
    adminKey: z.string().optional(),
    cacheMb: megabytes.default(512),
    maxPhextMb: megabytes.default(1024),
    maxBodyBytes: count.default(64 * MiB),
    /** Bytes of request bodies held at once across all connections; beyond it 503 + Retry-After. */
    maxInflightBodyBytes: count.default(256 * MiB),
    maxConnections: count.default(HTTP_LIMIT_DEFAULTS.maxConnections),
    logFormat: z.enum(['text', 'json', 'off']).default('text'),
    /** The phext a request without `p` addresses (see default-phext.ts). */
    defaultPhext: z.string().min(1).default('index'),
    /** `f=` pages run unsandboxed on the API's origin: only for `sq basic` on loopback (see page-file.ts). */
    trustedPages: z.boolean().default(false),
    /** Slow-client limits (slowloris protection). */
    headersTimeoutMs: ms.default(HTTP_LIMIT_DEFAULTS.headersTimeoutMs),
    requestTimeoutMs: ms.default(HTTP_LIMIT_DEFAULTS.requestTimeoutMs),
    keepAliveTimeoutMs: ms.default(HTTP_LIMIT_DEFAULTS.keepAliveTimeoutMs),
    /** On shutdown, how long requests in progress may take before their connections are cut. */
    drainMs: ms.default(5_000),
    /** How long a streamed answer waits for a client that takes no data before cutting it. */
    sendStallMs: ms.default(60_000),
    /** When a phext's change log is folded into its file (see the store's checkpoints). */
    checkpointRatio: z.number().positive().default(CHECKPOINT_RATIO),
    checkpointMinBytes: count.default(CHECKPOINT_MIN_BYTES),
    checkpointIdleMs: ms.default(CHECKPOINT_IDLE_MS),
    /** Open change-feed streams (`/api/v2/watch`), all tenants together; beyond it 503 + Retry-After. */
    watchMaxStreams: count.default(1_000),
    /** …and of one tenant, so that one cannot take them all. */
    watchMaxStreamsPerTenant: count.default(100),
    /** Unsent bytes a stream may hold; a consumer further behind is cut off (`overflow`). */
    watchBufferBytes: count.default(1 * MiB),
    /** How often an open stream gets a heartbeat comment, so proxies keep it open. */
    watchHeartbeatMs: ms.default(15_000),
    /** The wait before a failed webhook POST is first retried (doubling after); short only in tests. */
    webhookBackoffMs: ms.default(1_000),
  })
  .strict()
  .refine((c) => c.config === undefined || (c.key === undefined && c.dataDir === '.'), {
    message: 'key and dataDir come from the tenants file in multi-tenant mode',
  })
  .refine((c) => !c.tenantsFromStore || (c.store !== undefined && c.config === undefined && c.key === undefined), {
    message: 'tenantsFromStore needs a store, and neither config nor key',
  })
  .refine((c) => c.store === undefined || c.dataDir === '.', {
    message: 'dataDir is not used when phexts are kept in a database (store)',
  })
  .refine((c) => c.watchMaxStreamsPerTenant <= c.watchMaxStreams, {
    message: 'at most watchMaxStreams for one tenant',
    path: ['watchMaxStreamsPerTenant'],
  });

/** A validated, defaulted host configuration. */
export type HostConfig = Readonly<z.output<typeof schema>>;
/** What a caller may give: everything but `port` has a default. */
export type HostConfigInput = z.input<typeof schema>;

/** The defaults, for usage texts and presets. */
export const HOST_DEFAULTS: Omit<HostConfig, 'port'> = (({ port: _, ...defaults }) => defaults)(schema.parse({ port: 0 }));

/** A setting out of range; the message names it (`maxConnections: ...`). */
export class HostConfigError extends Error {
  override readonly name = 'HostConfigError';
}

/** Defaults and validates a host configuration, once, before anything starts. */
export function hostConfig(input: HostConfigInput): HostConfig {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new HostConfigError(result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; '));
}

/** `sq basic`: the first-time user's host, a preset of the same configuration. */
export function basicConfig(port: number, bind: string, loopback: boolean): HostConfig {
  return hostConfig({
    port,
    bind,
    dataDir: '.',
    key: process.env.SQ_KEY,
    defaultPhext: 'index',
    // Your own pages on your own machine, as the original served its editor; reachable by
    // others, they are sandboxed as in sq host.
    trustedPages: loopback,
  });
}
