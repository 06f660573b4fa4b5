/**
 * The tenants of `sq host --store URL --tenants-from-store`: rows of `sq_tenants` (store/pg/schema.ts),
 * each a name, the SHA-256 of its token (never the token), a quota and webhooks. Every change of
 * the table raises `sq_tenants_version` in its transaction and notifies channel `sq_tenants`; each
 * server LISTENs for that and also reads the version every POLL_MS, so that a missed notification
 * (a lost connection, a failover) delays a change by at most that long.
 */
import type pg from 'pg';
import { Primary } from '../store/pg/primary.js';
import { migrate } from '../store/pg/schema.js';
import { TenantChangeError } from './changes.js';
import { ConfigError, validateConfig, type LoadedConfig, type TenantEntry, type TenantsFile } from './config.js';
import type { EditOptions } from './edit.js';
import type { TenantEdit, TenantSource } from './source.js';
import { keyDigest } from './token.js';

const CHANNEL = 'sq_tenants';
/** How often each server reads the version, whatever it heard. */
const POLL_MS = 500;
/** What validation errors are prefixed with: the table, as a path names the file. */
const TABLE = '/sq_tenants';

interface TenantRow {
  name: string;
  token_sha256: Buffer;
  quota_mb: number | null;
  webhooks: TenantEntry['webhooks'];
}

/** The rows as a tenants file whose keys are all `sha256:` digests (new tokens are hashed too). */
function fileOf(rows: readonly TenantRow[]): TenantsFile {
  const tenants: Record<string, TenantEntry> = {};
  for (const r of rows) {
    tenants[`sha256:${r.token_sha256.toString('hex')}`] = {
      name: r.name,
      data_dir: r.name,
      ...(r.quota_mb === null ? {} : { quota_mb: r.quota_mb }),
      ...(r.webhooks?.length ? { webhooks: r.webhooks } : {}),
    };
  }
  return { tenants, hash_new_tokens: true };
}

/** The tenants of the table; `sq_tenants_version` tells whether they changed since last read. */
export class StoreTenants implements TenantSource {
  /** The version last loaded or saved. */
  private seen: string | undefined;

  private constructor(
    readonly where: string,
    private readonly primary: Primary,
  ) {}

  /** Opens the database (`where` names it in log lines) and brings its schema up to date. */
  static async open(connections: readonly pg.PoolConfig[], where: string, log: (line: string) => void): Promise<StoreTenants> {
    const primary = new Primary(connections, log, () => undefined);
    try {
      await migrate(await primary.pool());
    } catch (e) {
      await primary.end();
      throw e;
    }
    return new StoreTenants(where, primary);
  }

  async changed(): Promise<boolean> {
    const { rows } = await this.onPrimary((pool) => pool.query<{ version: string }>('SELECT version::text FROM sq_tenants_version'));
    const version = rows[0]?.version;
    if (version === this.seen) return false;
    this.seen = version;
    return true;
  }

  async load(): Promise<LoadedConfig> {
    // One statement: the version and the rows it counts, from one snapshot.
    const { rows } = await this.onPrimary((pool) =>
      pool.query<TenantRow & { at: string }>(
        `SELECT v.version::text AS at, t.name, t.token_sha256, t.quota_mb, t.webhooks
           FROM sq_tenants_version v LEFT JOIN sq_tenants t ON true ORDER BY t.name`,
      ),
    );
    this.seen = rows[0]?.at;
    return this.config(fileOf(rows.filter((r) => r.name !== null)));
  }

  /**
   * In one transaction that holds the version's row (so edits from every server run one at a
   * time): the rows as they are, `edit` applied to them, the rows that differ written, the
   * version raised and the other servers notified.
   */
  edit<T>(edit: TenantEdit<T>, options: EditOptions): Promise<{ config: LoadedConfig; result: T }> {
    return this.onPrimary(async (pool) => this.editOn(await pool.connect(), edit, { prepare: options.prepare, adopt: false }));
  }

  /**
   * `sq tenants import`: the tenants of a tenants file copied in (see importEdit). Unlike an
   * edit, a new tenant may find phexts of its name there: those its server wrote with
   * `--config FILE --store URL`, before its tenants moved into the table.
   */
  import(imported: LoadedConfig): Promise<{ config: LoadedConfig; result: undefined }> {
    return this.onPrimary(async (pool) => this.editOn(await pool.connect(), importEdit(imported), { adopt: true }));
  }

  /**
   * `prepare` runs once the new tenants are valid and before they are committed (as with a file).
   * Unless `adopt`, a new tenant whose name still has phexts (a removed tenant's: they stay) is
   * refused, as a tenants file refuses a new tenant a used data directory: it must not see them.
   */
  private async editOn<T>(
    client: pg.PoolClient,
    edit: TenantEdit<T>,
    { prepare, adopt }: { prepare?: EditOptions['prepare']; adopt: boolean },
  ): Promise<{ config: LoadedConfig; result: T }> {
    try {
      await client.query('BEGIN');
      const { rows: at } = await client.query<{ version: string }>(
        'UPDATE sq_tenants_version SET version = version + 1 RETURNING version::text',
      );
      const version = at[0]!.version;
      const { rows } = await client.query<TenantRow>('SELECT name, token_sha256, quota_mb, webhooks FROM sq_tenants ORDER BY name');
      const { file, result } = edit(fileOf(rows));
      let config: LoadedConfig;
      try {
        config = this.config(file);
      } catch (err) {
        if (err instanceof ConfigError) throw new TenantChangeError(err.message, 409);
        throw err;
      }
      const before = new Map(rows.map((r) => [r.name, rowText(r)]));
      const added = config.tenants.filter((t) => !before.has(t.name)).map((t) => t.name);
      if (!adopt && added.length > 0) {
        const { rows: left } = await client.query<{ tenant: string; phexts: string }>(
          'SELECT tenant, count(*)::text AS phexts FROM sq_phexts WHERE tenant = ANY($1) GROUP BY tenant ORDER BY tenant LIMIT 1',
          [added],
        );
        const [used] = left;
        if (used) {
          throw new TenantChangeError(
            `the database still holds ${used.phexts} phext(s) of a tenant named ${used.tenant} (left by a removed tenant?); choose another name`,
            409,
          );
        }
      }
      await prepare?.(config);
      const names = Object.values(file.tenants).map((e) => e.name);
      await client.query('DELETE FROM sq_tenants WHERE NOT (name = ANY($1))', [names]);
      for (const [key, entry] of Object.entries(file.tenants)) {
        const row: TenantRow = {
          name: entry.name,
          token_sha256: keyDigest(key),
          quota_mb: entry.quota_mb ?? file.default_quota_mb ?? null,
          webhooks: entry.webhooks ?? [],
        };
        if (before.get(row.name) === rowText(row)) continue;
        await client.query(
          `INSERT INTO sq_tenants (name, token_sha256, quota_mb, webhooks, version) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (name) DO UPDATE SET token_sha256 = $2, quota_mb = $3, webhooks = $4, version = $5`,
          [row.name, row.token_sha256, row.quota_mb, JSON.stringify(row.webhooks), version],
        );
      }
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, version]);
      await client.query('COMMIT');
      this.seen = version;
      return { config, result };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  /**
   * Calls `reload` (which reads the version first) on each notification and every POLL_MS, so a
   * missed notification costs at most one period; one call at a time, and one more for what came
   * meanwhile. The first failure after a success is told to `failed`; the listening connection,
   * once lost, is made again at the next period. The returned function stops it all.
   */
  watch(reload: () => Promise<unknown>, failed: (e: unknown) => void): () => void {
    let listener: pg.PoolClient | undefined;
    let connecting = false;
    let stopped = false;
    let running = false;
    let again = false;
    let failing = false;
    const check = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      reload()
        .then(
          () => {
            failing = false;
          },
          (e: unknown) => {
            if (!failing) failed(e);
            failing = true;
          },
        )
        .finally(() => {
          running = false;
          if (again && !stopped) {
            again = false;
            check();
          }
        });
    };
    const drop = (client: pg.PoolClient) => {
      if (listener !== client) return;
      listener = undefined;
      client.release(true);
    };
    const listen = async () => {
      if (listener || connecting || stopped) return;
      connecting = true;
      try {
        const client = await (await this.primary.pool()).connect();
        client.on('error', () => drop(client));
        client.on('notification', check);
        listener = client;
        await client.query(`LISTEN ${CHANNEL}`);
        if (stopped) drop(client);
      } catch {
        // The poll goes on, and reports a database it cannot reach.
        if (listener) drop(listener);
      } finally {
        connecting = false;
      }
    };
    const timer = setInterval(() => {
      void listen();
      check();
    }, POLL_MS);
    void listen();
    return () => {
      stopped = true;
      clearInterval(timer);
      if (listener) drop(listener);
    };
  }

  /** Runs `run` on the primary's pool; a failure that shows it gone has the next call look for it again. */
  private async onPrimary<T>(run: (pool: pg.Pool) => Promise<T>): Promise<T> {
    const pool = await this.primary.pool();
    try {
      return await run(pool);
    } catch (e) {
      this.primary.failed(pool, e);
      throw e;
    }
  }

  /** Closes the connections (stop the watch first). */
  close(): Promise<unknown> {
    return this.primary.end();
  }

  /** The tenants of `file`, validated as a tenants file is; a tenant's data_dir only names it. */
  private config(file: TenantsFile): LoadedConfig {
    const config = validateConfig(file, TABLE);
    return { ...config, tenants: config.tenants.map((t) => ({ ...t, dataDir: `${this.where}#${t.name}` })) };
  }
}

/**
 * The edit that copies the tenants of a tenants file into the table (`sq tenants import`): each
 * by its token's digest, with its quota (or the file's default_quota_mb) and webhooks; a tenant of
 * the same name is replaced, the others stay. Importing the same file again changes nothing.
 */
function importEdit(imported: LoadedConfig): TenantEdit<undefined> {
  return (file) => {
    const byName = new Map(Object.entries(file.tenants).map(([key, entry]) => [entry.name, [key, entry] as [string, TenantEntry]]));
    for (const t of imported.tenants) {
      const written = imported.file.tenants[t.key]!;
      const quota = written.quota_mb ?? imported.file.default_quota_mb;
      const entry: TenantEntry = {
        name: t.name,
        data_dir: t.name,
        ...(quota === undefined ? {} : { quota_mb: quota }),
        ...(written.webhooks?.length ? { webhooks: written.webhooks } : {}),
      };
      byName.set(t.name, [`sha256:${t.digest.toString('hex')}`, entry]);
    }
    // Keyed by token, two tenants with one token would silently become one.
    const byKey = new Map<string, string>();
    for (const [key, entry] of byName.values()) {
      const other = byKey.get(key);
      if (other !== undefined) throw new TenantChangeError(`tenants "${other}" and "${entry.name}" would have the same token`, 409);
      byKey.set(key, entry.name);
    }
    return { file: { ...file, tenants: Object.fromEntries(byName.values()) }, result: undefined };
  };
}

/** What a row holds, to tell whether it needs writing. */
function rowText(r: TenantRow): string {
  return JSON.stringify([r.token_sha256.toString('hex'), r.quota_mb, r.webhooks ?? []]);
}
