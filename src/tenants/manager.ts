import type { LoadedConfig, TenantsFile } from './config.js';
import type { EditOptions } from './edit.js';
import { measureUsage } from './quota.js';
import { TenantDirLocks } from './dir-locks.js';
import { TenantRegistry, type RegisteredTenant } from './registry.js';
import { TenantsFileSource, type TenantSource } from './source.js';
import type { TenantResolver } from './tenant.js';

export interface ManagerOptions {
  /** Admin key from the command line (`--admin-key`); overrides the file's admin_key. */
  adminKey?: string;
  /** Where reloads and refusals are reported (one line each, never a whole token). Default: stderr. */
  log?: (line: string) => void;
  /** Told the outcome of every reload, whatever triggered it (metrics). */
  onReload?: (result: ReloadResult) => void;
  /**
   * The bytes each named tenant holds, when its phexts are not the `.phext` files of its data_dir
   * (a database); a failure is logged and counts 0, as an unreadable directory does. The data
   * directories are then not owned either: several servers may serve these tenants at once.
   */
  usage?: (tenants: readonly string[]) => Promise<ReadonlyMap<string, number>>;
}

export type ReloadResult = { ok: true; tenants: number } | { ok: false; error: string };

/** What asked for a reload; named in the log line, since the watcher may follow any other trigger. */
export type ReloadTrigger = 'request' | 'SIGHUP' | 'file change' | 'database change';

export interface ReloadOptions {
  /**
   * Skip the reload when the source holds what was last read, whether it was loaded, refused or
   * written by change(): for the file watcher, which hears of every file in the directories, and
   * the database's poll.
   */
  onlyIfChanged?: boolean;
}

/**
 * Holds the current TenantRegistry and replaces it on reload. Readers take `registry` once per
 * request; a reload builds the next registry aside and swaps one reference, so in-flight
 * requests never wait for it. Reloads and admin changes run one at a time. What reads the
 * registry besides token look-ups (TenantQuotaLedger, activity) and what asks for reloads
 * (ReloadTriggers, the reload route) stand beside it and are wired in startHost.
 */
export class TenantManager implements TenantResolver {
  private current: TenantRegistry;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: (line: string) => void;
  /** Owns every tenant's data_dir (one sq process per directory), when the phexts are kept there. */
  private readonly locks: TenantDirLocks | undefined;
  private readonly swapListeners: Array<() => void> = [];

  /**
   * `source` keeps what it last read or wrote (see TenantSource.changed); it is used only inside
   * the one-at-a-time queue, so a watcher never loads again what was just applied.
   */
  private constructor(
    readonly source: TenantSource,
    registry: TenantRegistry,
    private readonly options: ManagerOptions,
  ) {
    this.current = registry;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.locks = options.usage ? undefined : new TenantDirLocks(this.log);
  }

  /**
   * Loads the config (a broken one throws a ConfigError), measures every tenant's usage and,
   * when their phexts are files, takes ownership of their data directories (a tenant whose
   * directory another process owns is logged and refused).
   */
  static async open(from: string | TenantSource, options: ManagerOptions = {}): Promise<TenantManager> {
    const source = typeof from === 'string' ? new TenantsFileSource(from) : from;
    const config = await source.load();
    const manager = new TenantManager(source, await TenantManager.build(config, options, undefined), options);
    await manager.locks?.update(manager.current.list());
    return manager;
  }

  /** The registry for `config`, with the disk usage of its new tenants measured. */
  private static async build(config: LoadedConfig, options: ManagerOptions, previous: TenantRegistry | undefined): Promise<TenantRegistry> {
    const registry = new TenantRegistry(config, { adminKey: options.adminKey, previous });
    const { usage } = options;
    const fresh = registry.fresh;
    if (usage && fresh.length > 0) {
      const used = await usage(fresh.map((t) => t.name)).catch((e: unknown) => {
        (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(
          `tenants: the bytes used by ${fresh.length} tenants could not be measured (counted as 0): ${String(e).split('\n')[0]}`,
        );
        return new Map<string, number>();
      });
      for (const t of fresh) t.stats.bytesUsed = used.get(t.name) ?? 0;
    } else if (!usage) {
      await Promise.all(
        fresh.map(async (t) => {
          t.stats.bytesUsed = await measureUsage(t.dataDir).catch(() => 0);
        }),
      );
    }
    return registry;
  }

  /** True when the tenants' phexts are rows of a database (`usage`), not files in their data directories. */
  get phextsInDatabase(): boolean {
    return this.options.usage !== undefined;
  }

  /** The registry in force now. */
  get registry(): TenantRegistry {
    return this.current;
  }

  resolve(token: string | undefined): RegisteredTenant | undefined {
    const tenant = this.current.resolve(token);
    if (tenant) this.locks?.check(tenant);
    return tenant;
  }

  isAdmin(token: string | undefined): boolean {
    return this.current.isAdmin(token);
  }

  /** Re-reads the config; a broken one is refused (and logged) and the current registry stays. */
  reload(trigger: ReloadTrigger = 'request', { onlyIfChanged = false }: ReloadOptions = {}): Promise<ReloadResult> {
    return this.serialized(() => this.reloadNow(trigger, onlyIfChanged));
  }

  private async reloadNow(trigger: ReloadTrigger, onlyIfChanged: boolean): Promise<ReloadResult> {
    if (!(await this.source.changed()) && onlyIfChanged) return { ok: true, tenants: this.current.size };
    try {
      const config = await this.source.load();
      this.swap(await TenantManager.build(config, this.options, this.current));
      await this.locks?.update(this.current.list());
      this.log(`tenants: loaded ${this.current.size} tenants from ${this.source.where} (on ${trigger})`);
      return this.reported({ ok: true, tenants: this.current.size });
    } catch (err) {
      const error = (err as Error).message;
      this.log(`tenants: reload refused (on ${trigger}), keeping the previous ${this.current.size} tenants: ${error}`);
      return this.reported({ ok: false, error });
    }
  }

  private reported(result: ReloadResult): ReloadResult {
    this.options.onReload?.(result);
    return result;
  }

  /** Applies an admin change to the source (the file on disk: see editConfig), saves it and swaps the registry at once. */
  change<T>(edit: (file: TenantsFile) => { file: TenantsFile; result: T }, options: EditOptions = {}): Promise<T> {
    return this.serialized(async () => {
      const { config, result } = await this.source.edit(edit, options);
      this.swap(await TenantManager.build(config, this.options, this.current));
      await this.locks?.update(this.current.list());
      return result;
    });
  }

  /** Calls `listener` right after each swap of the registry (a reload or an admin change). */
  onSwap(listener: () => void): void {
    this.swapListeners.push(listener);
  }

  private swap(registry: TenantRegistry): void {
    this.current = registry;
    for (const listener of this.swapListeners) {
      try {
        listener();
      } catch (e) {
        this.log(`tenants: a listener of the new tenants failed: ${(e as Error)?.message ?? e}`);
      }
    }
  }

  /** Waits for a running reload or change (stop the ReloadTriggers first, or more may follow). */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /** Gives up the tenants' data directories; call once their store is flushed. */
  releaseDirectories(): void {
    this.locks?.releaseAll();
  }

  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
