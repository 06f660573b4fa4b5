import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { provisionTenants, type NewTenant } from '../../tenants/changes.js';
import type { LoadedConfig } from '../../tenants/config.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { UsageError } from '../command.js';
import { quotaOption, type TenantsArgs } from './tenants-args.js';
import type { TenantsTarget } from './tenants-target.js';

/**
 * `sq tenants provision <count>`: many tenants in one atomic change of the file or the table. The
 * token CSV is written (mode 0600) before the change is saved, so no working token is ever left
 * unrecorded. With a database it holds name,token: there is no data directory to name.
 */
export async function provision(target: TenantsTarget, [countText = '']: string[], values: TenantsArgs['values']): Promise<void> {
  const count = Number(countText);
  if (!/^\d+$/.test(countText) || count < 1) throw new UsageError(`count must be a whole number >= 1, not '${countText}'`);
  const prefix = values.prefix;
  if (prefix === undefined) throw new UsageError('provision needs --prefix (e.g. --prefix founding)');
  const quotaMb = quotaOption(values);
  const dataRoot = values['data-root'] === undefined ? undefined : resolve(values['data-root']);
  const files = target.kind === 'file';
  const csv = resolve(values.csv ?? (files ? join(dirname(target.where), `${prefix}-tokens.csv`) : `${prefix}-tokens.csv`));
  if (existsSync(csv)) throw new Error(`${csv} exists; it may hold tokens, so it is not overwritten (choose another with --csv)`);

  let created: NewTenant[] = [];
  const prepare = async (config: LoadedConfig) => {
    const names = new Set(created.map((t) => t.name));
    const fresh = config.tenants.filter((t) => names.has(t.name));
    const dirs = new Map(fresh.map((t) => [t.name, t.dataDir]));
    const rows = files
      ? [['name', 'token', 'data_dir'], ...created.map((t) => [t.name, t.token, dirs.get(t.name)!])]
      : [['name', 'token'], ...created.map((t) => [t.name, t.token])];
    await writeFileAtomic(csv, toCsv(rows), { mode: 0o600 });
    if (!files) return;
    const progress = progressReporter(fresh.length);
    for (const t of fresh) {
      await mkdir(t.dataDir, { recursive: true, mode: 0o700 });
      progress.tick(t.name);
    }
    progress.done();
  };
  await target.edit(
    (file) => {
      const result = provisionTenants(file, count, prefix, { quotaMb, dataRoot });
      created = result.tenants;
      return { file: result.file, result: undefined };
    },
    { create: true, prepare },
  );
  process.stdout.write(
    `Provisioned ${created.length} tenants ${created[0]!.name}..${created.at(-1)!.name}; tokens in ${csv} (mode 0600)\n`,
  );
}

/** A bar on a terminal; otherwise a plain line at every tenth of the way. */
function progressReporter(total: number): { tick(name: string): void; done(): void } {
  let doneCount = 0;
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: 'provisioning [{bar}] {value}/{total} {name}', stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { name: '' });
    return { tick: (name) => bar.update(++doneCount, { name }), done: () => bar.stop() };
  }
  const step = Math.max(1, Math.ceil(total / 10));
  return {
    tick(name) {
      doneCount++;
      if (doneCount % step === 0 || doneCount === total) process.stderr.write(`provisioning: ${doneCount}/${total} (${name})\n`);
    },
    done() {},
  };
}

function toCsv(rows: string[][]): string {
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
