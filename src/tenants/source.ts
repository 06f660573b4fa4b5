import { resolve } from 'node:path';
import { SeenText } from '../config-watch/seen-text.js';
import { loadConfig, type LoadedConfig, type TenantsFile } from './config.js';
import { editConfig, type EditOptions } from './edit.js';

/** A change of the tenants, made on the form of the tenants file (see changes.ts). */
export type TenantEdit<T> = (file: TenantsFile) => { file: TenantsFile; result: T };

/** Where TenantManager reads its tenants and saves admin changes: the tenants file, or a database table. */
export interface TenantSource {
  /** Where the tenants are, for log lines: the file's absolute path, or the database. */
  readonly where: string;
  /** False when the source holds what was last loaded, refused or saved; what it holds now counts as seen. */
  changed(): Promise<boolean>;
  /** The tenants as they are now (a ConfigError when they cannot be used); they count as seen. */
  load(): Promise<LoadedConfig>;
  /** Applies `edit` to the tenants as they are now and saves the result (a TenantChangeError when refused). */
  edit<T>(edit: TenantEdit<T>, options: EditOptions): Promise<{ config: LoadedConfig; result: T }>;
}

/** The tenants file of `sq host --config FILE`. */
export class TenantsFileSource implements TenantSource {
  readonly where: string;
  /**
   * The text last read, loaded, refused or written: the watcher hears of every file in the
   * directories, and must not load again what a SIGHUP, a request or an admin change has just applied.
   */
  private readonly seen: SeenText;

  constructor(path: string) {
    this.where = resolve(path);
    this.seen = new SeenText(this.where, undefined);
  }

  changed(): Promise<boolean> {
    return this.seen.changed();
  }

  async load(): Promise<LoadedConfig> {
    const config = await loadConfig(this.where);
    this.seen.saw(config.text);
    return config;
  }

  async edit<T>(edit: TenantEdit<T>, options: EditOptions): Promise<{ config: LoadedConfig; result: T }> {
    const { config, result, text } = await editConfig(this.where, edit, options);
    this.seen.saw(text); // so the watcher does not reload what we just wrote
    return { config, result };
  }
}
