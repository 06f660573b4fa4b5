import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { UsageError, type Command } from '../command.js';
import { VERSION } from '../../version.js';
import {
  TIMEOUT_OPTIONS,
  TIMEOUT_USAGE,
  byteSize,
  isLoopbackAddress,
  parsePort,
  positiveInteger,
  positiveNumber,
  positiveRatio,
  timeouts,
} from '../options.js';
import { waitForShutdown } from './shutdown.js';
import { startHost, type RunningHost } from '../../server/start-host.js';
import { HostConfigError, hostConfig, type HostConfig, type HostConfigInput } from '../../server/host-config.js';
import { phextName as checkedName } from '../../server/phext-name.js';
import { MeshConfigError, readMeshConfig, type MeshConfig } from '../../mesh/config.js';

const USAGE = `Usage: sq host <port> [options]
       sq host [port] --mesh-config mesh.json [options]

Serves the REST API (/api/v2/...) over HTTP. Port 0 picks a free port.

Options:
  --mesh-config FILE     a node of a mesh: its phexts sync with the peers of FILE (the
                         original SQ's mesh config); the port and data dir default to its
                         inbound.port and inbound.data_dir. Files only; with --config,
                         each peer syncs the tenants its \`tenants\` lists
  --bind ADDR            address to listen on (default 0.0.0.0, all interfaces)
  --data-dir DIR         where <p>.phext files live (default: the current directory)
  --store URL            keep phexts in PostgreSQL instead of files: postgres://user@host/db,
                         or postgres:///db?host=/socket/dir; servers may share one database;
                         a primary and its standbys as a list (postgres://u@db1,db2/db or
                         ?host=/a,/b): writes go to whichever is the primary
                         (a password is best left to the PGPASSWORD environment variable)
  --key TOKEN            require this token (Authorization: Bearer, or X-SQ-API-Key);
                         the SQ_KEY environment variable works too and hides it from ps
  --config FILE          multi-tenant mode: tokens, names and data dirs from FILE
                         (replaces --key and --data-dir)
  --tenants-from-store   multi-tenant mode with --store: tenants from the database's
                         sq_tenants table (fill it with sq tenants import); every server
                         on the database sees an admin change within a second
  --admin-key TOKEN      admin API key (overrides the config file's admin_key)
  --default-phext NAME   the phext of requests without p= (default index; a data dir
                         holding the original SQ's .phext serves that file instead)
  --cache-mb N           memory for cached phexts (default 512)
  --max-phext-mb N       refuse phext files larger than this (default 1024)
  --max-body BYTES       largest request body, K/M/G suffixes allowed (default 64M)
  --max-inflight-body BYTES
                         request bodies held at once, all connections together; beyond
                         it 503 + Retry-After (K/M/G suffixes allowed, default 256M)
  --max-connections N    open connections beyond this get 503 (default 512)
  --log-format FMT       request log: text, json or off (default text)
  --drain-ms N           on SIGTERM, how long requests in progress may take before
                         their connections are cut (default 5000)
  --checkpoint-ratio R   fold a phext's change log into its file once the log passes
                         R times the file's size (default 0.1) ...
  --checkpoint-min BYTES ...and at least this size (K/M/G suffixes allowed, default 1M)
  --checkpoint-idle-ms N ...or once the phext had no write for N ms (default 1000)
  --watch-max-streams N  open change-feed streams (/api/v2/watch) beyond this get 503
                         (default 1000)
  --watch-max-per-tenant N
                         ...and of one tenant (default 100)
  --watch-buffer BYTES   unsent bytes a stream may hold before its consumer is cut off
                         (K/M/G suffixes allowed, default 1M)
  --watch-heartbeat-ms N heartbeat comment on every open stream this often (default 15000)
  --webhook-backoff-ms N wait before a failed webhook POST is retried, doubling each time
                         (default 1000; meant for tests)
${TIMEOUT_USAGE}`;

const stderrLine = (line: string) => process.stderr.write(line + '\n');

/** `--default-phext`: a name a request could give as `p`, checked now rather than on first use. */
function phextName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (name === '') throw new UsageError('--default-phext needs a name, e.g. index');
  try {
    checkedName(name);
  } catch (err) {
    throw new UsageError(`--default-phext: ${(err as Error).message}`);
  }
  return name;
}

/** `--mesh-config`: read and validated now; a problem is a usage error (exit 2) in one line. */
function meshConfigOf(path: string): MeshConfig {
  try {
    return readMeshConfig(path);
  } catch (err) {
    if (err instanceof MeshConfigError) throw new UsageError(`--mesh-config: ${err.message}`);
    throw err;
  }
}

/**
 * Prints the startup line (and the open-server warning), then serves until SIGTERM/SIGINT.
 * Shared by `sq host` and `sq basic`.
 */
/** Validates the settings once; a value out of range is a usage error naming its setting. */
export function validHostConfig(input: HostConfigInput): HostConfig {
  try {
    return hostConfig(input);
  } catch (err) {
    if (err instanceof HostConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export function serveUntilSignal(host: RunningHost, bind: string, extra = ''): Promise<number> {
  if (host.open && !isLoopbackAddress(bind)) {
    stderrLine(
      `warning: serving ${host.served} without a token on ${bind}: anyone who can reach this port can read and write. Use --key or --bind 127.0.0.1.`,
    );
  }
  process.stdout.write(`SQ ${VERSION} listening on http://${bind}:${host.port} (${host.serving}${extra})\n`);
  return waitForShutdown(() => host.close());
}

/**
 * Keeps the heap near its live size. The document cache is weighed at what its documents hold
 * live; V8's default lets the heap grow to several times its live size between full collections,
 * which put a server well past --cache-mb + 150 MB of RSS (500 tenants × 1 MB over the default
 * 512 MB: ~780 MiB at peak; growing 25% at a time, ~640 MiB). The price is more full collections
 * where the cache churns hardest (500 tenants over --cache-mb 64: ~720 → ~440 selects/s).
 * Set before the cache fills; V8 reads it whenever it sets the heap's next limit.
 */
export function keepHeapNearLive(): void {
  setFlagsFromString('--heap-growing-percent=25');
}

/** `sq host`: the REST API server. */
export const hostCommand: Command = {
  name: 'host',
  summary: 'Serve the REST API over HTTP (single tenant, or multi-tenant with --config)',
  usage: USAGE,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        bind: { type: 'string' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        key: { type: 'string' },
        config: { type: 'string' },
        'tenants-from-store': { type: 'boolean' },
        'admin-key': { type: 'string' },
        'default-phext': { type: 'string' },
        'cache-mb': { type: 'string' },
        'max-phext-mb': { type: 'string' },
        'max-body': { type: 'string' },
        'max-inflight-body': { type: 'string' },
        'max-connections': { type: 'string' },
        'log-format': { type: 'string' },
        'drain-ms': { type: 'string' },
        'checkpoint-ratio': { type: 'string' },
        'checkpoint-min': { type: 'string' },
        'checkpoint-idle-ms': { type: 'string' },
        'watch-max-streams': { type: 'string' },
        'watch-max-per-tenant': { type: 'string' },
        'watch-buffer': { type: 'string' },
        'watch-heartbeat-ms': { type: 'string' },
        'webhook-backoff-ms': { type: 'string' },
        'mesh-config': { type: 'string' },
        ...TIMEOUT_OPTIONS,
      },
    });
    const mesh = values['mesh-config'] === undefined ? undefined : meshConfigOf(values['mesh-config']);
    if (mesh) {
      for (const flag of ['store', 'tenants-from-store'] as const) {
        if (values[flag] !== undefined)
          throw new UsageError(`--${flag} cannot be combined with --mesh-config (a mesh node keeps its phexts in files for now)`);
      }
      const listing = mesh.outbound.peers.find((p) => p.tenants !== undefined);
      if (values.config === undefined && listing)
        throw new UsageError(`--mesh-config: peer ${listing.id} lists tenants, which only a multi-tenant node (--config) has`);
    }
    if (positionals.length > 1 || (positionals.length === 0 && !mesh)) throw new UsageError('expected exactly one <port>');
    const port = positionals[0] === undefined ? mesh!.inbound.port : parsePort(positionals[0]);
    // Multi-tenant mode takes tokens and directories from the config; a flag that would be
    // silently ignored there is refused instead.
    if (values.config !== undefined) {
      for (const flag of ['key', 'data-dir'] as const) {
        if (values[flag] !== undefined)
          throw new UsageError(`--${flag} cannot be combined with --config (tenants come from the config file)`);
      }
    }
    const tenantsFromStore = values['tenants-from-store'] === true;
    if (tenantsFromStore) {
      if (values.config !== undefined)
        throw new UsageError('--tenants-from-store cannot be combined with --config (tenants come from one of them)');
      if (values.store === undefined) throw new UsageError('--tenants-from-store needs --store URL (the database holding the tenants)');
      if (values.key !== undefined)
        throw new UsageError('--key cannot be combined with --tenants-from-store (tenants come from the database)');
    }
    if (values.store !== undefined && values['data-dir'] !== undefined)
      throw new UsageError('--data-dir cannot be combined with --store (phexts are kept in the database)');
    const logFormat = values['log-format'];
    if (logFormat !== undefined && !['text', 'json', 'off'].includes(logFormat))
      throw new UsageError(`--log-format must be text, json or off`);
    const config = validHostConfig({
      port,
      bind: values.bind,
      logFormat: logFormat as HostConfig['logFormat'] | undefined,
      // A multi-tenant node's data directories are its tenants' (inbound.data_dir is not used).
      dataDir: values['data-dir'] ?? (values.config === undefined ? mesh?.inbound.data_dir : undefined),
      store: values.store,
      key: values.config === undefined && !tenantsFromStore ? (values.key ?? process.env.SQ_KEY) : undefined,
      config: values.config,
      tenantsFromStore,
      adminKey: values['admin-key'] ?? process.env.SQ_ADMIN_KEY,
      defaultPhext: phextName(values['default-phext']),
      cacheMb: positiveNumber(values['cache-mb'], 'cache-mb'),
      maxPhextMb: positiveNumber(values['max-phext-mb'], 'max-phext-mb'),
      maxBodyBytes: byteSize(values['max-body'], 'max-body'),
      maxInflightBodyBytes: byteSize(values['max-inflight-body'], 'max-inflight-body'),
      maxConnections: positiveInteger(values['max-connections'], 'max-connections'),
      drainMs: positiveInteger(values['drain-ms'], 'drain-ms'),
      checkpointRatio: positiveRatio(values['checkpoint-ratio'], 'checkpoint-ratio'),
      checkpointMinBytes: byteSize(values['checkpoint-min'], 'checkpoint-min'),
      checkpointIdleMs: positiveInteger(values['checkpoint-idle-ms'], 'checkpoint-idle-ms'),
      watchMaxStreams: positiveInteger(values['watch-max-streams'], 'watch-max-streams'),
      watchMaxStreamsPerTenant: positiveInteger(values['watch-max-per-tenant'], 'watch-max-per-tenant'),
      watchBufferBytes: byteSize(values['watch-buffer'], 'watch-buffer'),
      watchHeartbeatMs: positiveInteger(values['watch-heartbeat-ms'], 'watch-heartbeat-ms'),
      webhookBackoffMs: positiveInteger(values['webhook-backoff-ms'], 'webhook-backoff-ms'),
      ...timeouts(values),
    });
    keepHeapNearLive();
    const host = await startHost(config, stderrLine, { mesh });
    const bind = config.bind;
    return serveUntilSignal(host, bind);
  },
};
