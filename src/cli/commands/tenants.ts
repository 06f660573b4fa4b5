/**
 * `sq tenants`: manage a tenants file directly, no server needed. A running `sq host --config`
 * watches the file and reloads by itself; `--reload-url` asks it to reload at once.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeStoreUrl, isStoreUrl, STORE_URL_RULE, storeConnections } from '../../server/store-url.js';
import { addTenant, removeTenant, rotateTenant, TenantChangeError } from '../../tenants/changes.js';
import { parseConfig } from '../../tenants/config.js';
import { editConfig } from '../../tenants/edit.js';
import { formatMb, measureUsage } from '../../tenants/quota.js';
import { UsageError, type Command } from '../command.js';
import { parseTenantsArgs, quotaOption, type TenantsArgs } from './tenants-args.js';
import { provision } from './tenants-provision.js';

const usage = `Usage: sq tenants <action> --config FILE [options]
       sq tenants import FILE --store URL

Manage the tenants file of \`sq host --config FILE\` directly. Tokens are printed once, when made;
keep them safe. A running server watches the file and reloads it by itself.

Actions:
  add <name> [--quota-mb N]      Add a tenant (data in <data_root>/<name>, which must be missing
                                 or empty); prints its new token
  list                           Show the tenants: name, data directory, quota, disk used
  remove <name>                  Remove a tenant; its data directory stays on disk
  rotate <name>                  Give a tenant a new token (the old one stops working); prints it
  provision <count> --prefix P [--data-root DIR] [--quota-mb N] [--csv FILE]
                                 Add <count> tenants P-001, P-002, ... (numbered on after any
                                 existing P-N); writes name,token,data_dir to FILE
                                 (default <P>-tokens.csv beside the config, mode 0600)
  import FILE --store URL        Copy the tenants of tenants file FILE into the database of
                                 \`sq host --store URL --tenants-from-store\`: tokens are kept
                                 only as SHA-256 digests; a tenant of the same name is replaced,
                                 others in the database stay; running it again changes nothing

Options:
  --config FILE       The tenants file (required); add and provision create it if missing
  --reload-url URL    Also POST URL/api/v2/reload so the server reloads at once
                      (e.g. http://127.0.0.1:1337)`;

type Action = (configPath: string, positionals: string[], values: TenantsArgs['values']) => Promise<void>;

/** Each action and how many positionals it takes after its name. */
const ACTIONS: Record<string, { arity: number; run: Action }> = {
  add: { arity: 1, run: add },
  list: { arity: 0, run: list },
  remove: { arity: 1, run: remove },
  rotate: { arity: 1, run: rotate },
  provision: { arity: 1, run: provision },
};

export const tenantsCommand: Command = {
  name: 'tenants',
  summary: 'Add, list, remove, rotate or provision tenants in a tenants file',
  usage,
  async run(args) {
    const { values, positionals } = parseTenantsArgs(args);
    const [actionName, ...rest] = positionals;
    if (actionName === 'import') {
      // The one action on a database: --store, and the file as its argument.
      if (rest.length !== 1) throw new UsageError('import takes one argument');
      if (values.store === undefined) throw new UsageError('import needs --store URL');
      if (values.config !== undefined) throw new UsageError('import reads the file given as its argument, not --config');
      await importTenants(rest[0]!, values.store);
      return 0;
    }
    const action = actionName === undefined ? undefined : ACTIONS[actionName];
    if (!action) throw new UsageError(actionName === undefined ? 'missing action' : `unknown action '${actionName}'`);
    if (rest.length !== action.arity) throw new UsageError(`${actionName} takes ${action.arity === 0 ? 'no arguments' : 'one argument'}`);
    if (values.store !== undefined) throw new UsageError('--store is for import only');
    if (values.config === undefined) throw new UsageError('--config FILE is required');
    try {
      await action.run(values.config, rest, values);
    } catch (err) {
      // A bad name or quota is a usage error; a missing tenant or a conflict is a failure.
      if (err instanceof TenantChangeError && err.status === 400) throw new UsageError(err.message);
      throw err;
    }
    if (actionName !== 'list' && values['reload-url'] !== undefined) await askReload(values['reload-url']);
    return 0;
  },
};

/** `sq tenants import FILE --store URL`: one line on success, one-line errors. */
async function importTenants(path: string, url: string): Promise<void> {
  if (!isStoreUrl(url)) throw new UsageError(`--store ${STORE_URL_RULE}`);
  const where = describeStoreUrl(url);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const imported = parseConfig(text, resolve(path));
  const { StoreTenants, importEdit } = await import('../../tenants/store-tenants.js');
  let table: Awaited<ReturnType<typeof StoreTenants.open>>;
  try {
    table = await StoreTenants.open(storeConnections(url), where, () => undefined);
  } catch (err) {
    throw new Error(`cannot open the store ${where}: ${firstLine(err)}`);
  }
  try {
    const { config } = await table.edit(importEdit(imported), {});
    process.stderr.write(
      `Imported ${imported.tenants.length} tenants from ${resolve(path)} into ${where} (${config.tenants.length} tenants there now)\n`,
    );
  } catch (err) {
    throw new Error(
      err instanceof TenantChangeError ? err.message.replace(/^\/sq_tenants: /, '') : `cannot import into ${where}: ${firstLine(err)}`,
    );
  } finally {
    await table.close();
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

async function add(configPath: string, [name = '']: string[], values: TenantsArgs['values']): Promise<void> {
  const quotaMb = quotaOption(values);
  const { config, result } = await editConfig(
    configPath,
    (file) => {
      const { file: next, tenant } = addTenant(file, name, { quotaMb });
      return { file: next, result: tenant };
    },
    { create: true },
  );
  process.stdout.write(`${result.token}\n`);
  const dataDir = config.tenants.find((t) => t.name === name)?.dataDir;
  process.stderr.write(`Added tenant ${name} (data in ${dataDir}). Its token, above, is shown only this once.\n`);
}

async function rotate(configPath: string, [name = '']: string[]): Promise<void> {
  const { result } = await editConfig(configPath, (file) => {
    const { file: next, token } = rotateTenant(file, name);
    return { file: next, result: token };
  });
  process.stdout.write(`${result}\n`);
  process.stderr.write(`New token for ${name}, above, shown only this once; the old token no longer works.\n`);
}

async function remove(configPath: string, [name = '']: string[]): Promise<void> {
  await editConfig(configPath, (file) => ({ file: removeTenant(file, name), result: undefined }));
  process.stdout.write(`Removed tenant ${name}; its data directory stays on disk.\n`);
}

async function list(configPath: string): Promise<void> {
  const config = parseConfig(await readFile(configPath, 'utf8'), configPath);
  const rows = await Promise.all(
    config.tenants.map(async (t) => [
      t.name,
      t.dataDir,
      t.quotaBytes === undefined ? 'unlimited' : formatMb(t.quotaBytes),
      String(await measureUsage(t.dataDir).catch(() => 0)),
    ]),
  );
  rows.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  process.stdout.write(table([['NAME', 'DATA_DIR', 'QUOTA', 'BYTES_USED'], ...rows]));
  process.stderr.write(`${rows.length} tenant${rows.length === 1 ? '' : 's'} in ${config.path}\n`);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** Tells a running server to reload now; a failure is only a warning (the server watches the file). */
async function askReload(url: string): Promise<void> {
  const target = `${url.replace(/\/+$/, '')}/api/v2/reload`;
  try {
    const response = await fetch(target, { method: 'POST', signal: AbortSignal.timeout(5000) });
    const text = (await response.text()).trim();
    process.stderr.write(`${target}: ${response.status} ${text}\n`);
  } catch (err) {
    process.stderr.write(
      `warning: could not reach ${target} (${(err as Error).message}); the server reloads the file by itself when it changes\n`,
    );
  }
}
