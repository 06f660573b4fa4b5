import { watchConfigFile, type ConfigWatch } from '../config-watch/watch-config.js';
import type { ReloadOptions, ReloadTrigger } from './manager.js';

/** How a trigger asks for a reload: TenantManager.reload, or a stand-in in tests. */
export type Reload = (trigger: ReloadTrigger, options: ReloadOptions) => Promise<unknown>;

export interface ReloadTriggersOptions {
  /** Where a directory that cannot be watched is reported. */
  log: (line: string) => void;
  /** Quiet time after the last file event before the watcher reloads. Default 100 ms. */
  debounceMs?: number;
}

/**
 * The reloads nobody asks for over HTTP: SIGHUP and a change of the config file. Each is
 * installed on its own (`sq host` installs both) and close() undoes both.
 */
export class ReloadTriggers {
  private watcher: ConfigWatch | undefined;
  private readonly onSighup = () => void this.reload('SIGHUP', {});

  constructor(
    private readonly configPath: string,
    private readonly reload: Reload,
    private readonly options: ReloadTriggersOptions,
  ) {}

  /** Reloads on SIGHUP (systemd's ExecReload). */
  watchSignals(): void {
    process.removeListener('SIGHUP', this.onSighup);
    process.on('SIGHUP', this.onSighup);
  }

  /**
   * Reloads when the config's text changes: an edit in place, a rename over it, a re-pointed
   * symlink or a ConfigMap swap (see watchConfigFile). Any event in those directories fires, so
   * the reload is asked for only if the text changed: unrelated files then do nothing, and a
   * refused text is not refused again.
   */
  watchFile(): void {
    if (this.watcher) return;
    this.watcher = watchConfigFile(
      this.configPath,
      () => void this.reload('file change', { onlyIfChanged: true }),
      (err) => this.options.log(`tenants: cannot watch ${this.configPath}: ${err.message}`),
      this.options.debounceMs,
    );
  }

  /** Stops both; a reload already asked for still runs (TenantManager.close waits for it). */
  close(): void {
    process.removeListener('SIGHUP', this.onSighup);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
