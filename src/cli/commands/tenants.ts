/**
 * `sq tenants`: manage the tenants directly, no server needed: those of a tenants file, which a
 * running `sq host --config` watches (`--reload-url` asks it to reload at once), or those of a
 * database's table, which every `sq host --store URL --tenants-from-store` follows by itself.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeStoreUrl, isStoreUrl, STORE_URL_RULE, storeConnections } from '../../server/store-url.js';
import { addTenant, removeTenant, rotateTenant, TenantChangeError } from '../../tenants/changes.js';
import { parseConfig } from '../../tenants/config.js';
import { formatMb } from '../../tenants/quota.js';
import { UsageError, type Command } from '../command.js';
import { parseTenantsArgs, placeOption, quotaOption, type TenantsArgs } from './tenants-args.js';
import { provision } from './tenants-provision.js';
import { firstLine, openTarget, type TenantsTarget } from './tenants-target.js';

const usage = `Usage: sq tenants <action> --config FILE [options]
       sq tenants <action> --store URL [options]
       sq tenants import FILE --store URL

Manage the tenants of \`sq host --config FILE\` (a tenants file), or with --store those of
\`sq host --store URL --tenants-from-store\` (the database's table sq_tenants). Tokens are printed
once, when made; keep them safe. A running server watches the file and reloads it by itself;
every server on the database applies a change of the table within a second.

Actions:
  add <name> [--quota-mb N]      Add a tenant (data in <data_root>/<name>, which must be missing
                                 or empty; with --store, its name must have no phexts left in
                                 the database); prints its new token
  list                           Show the tenants: name, data directory, quota, disk used (with
                                 --store: name, quota, bytes of its phexts in the database)
  remove <name>                  Remove a tenant; its data directory stays on disk (with --store,
                                 its phexts stay in the database)
  rotate <name>                  Give a tenant a new token (the old one stops working); prints it
  provision <count> --prefix P [--data-root DIR] [--quota-mb N] [--csv FILE]
                                 Add <count> tenants P-001, P-002, ... (numbered on after any
                                 existing P-N); writes name,token,data_dir to FILE (default
                                 <P>-tokens.csv beside the config, mode 0600); with --store,
                                 name,token (default <P>-tokens.csv in the current directory)
  import FILE --store URL        Copy the tenants of tenants file FILE into the database of
                                 \`sq host --store URL --tenants-from-store\`: tokens are kept
                                 only as SHA-256 digests; a tenant of the same name is replaced,
                                 others in the database stay; running it again changes nothing

Options:
  --config FILE       The tenants file; add and provision create it if missing
  --store URL         The database instead (postgres://...): tokens are kept only as SHA-256
                      digests; not with --config, --data-root or --reload-url
  --reload-url URL    Also POST URL/api/v2/reload so the server reloads at once
                      (e.g. http://127.0.0.1:1337)`;

type Action = (target: TenantsTarget, positionals: string[], values: TenantsArgs['values']) => Promise<void>;

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
  summary: 'Add, list, remove, rotate or provision tenants in a tenants file or a database',
  usage,
  async run(args) {
    const { values, positionals } = parseTenantsArgs(args);
    const [actionName, ...rest] = positionals;
    if (actionName === 'import') {
      // The file is its argument, the database its target.
      if (rest.length !== 1) throw new UsageError('import takes one argument');
      if (values.store === undefined) throw new UsageError('import needs --store URL');
      if (values.config !== undefined) throw new UsageError('import reads the file given as its argument, not --config');
      await importTenants(rest[0]!, values.store);
      return 0;
    }
    const action = actionName === undefined ? undefined : ACTIONS[actionName];
    if (!action) throw new UsageError(actionName === undefined ? 'missing action' : `unknown action '${actionName}'`);
    if (rest.length !== action.arity) throw new UsageError(`${actionName} takes ${action.arity === 0 ? 'no arguments' : 'one argument'}`);
    const place = placeOption(values);
    // Checked before the database is opened: a usage error needs no connection.
    quotaOption(values);
    const target = await openTarget(place);
    try {
      await action.run(target, rest, values);
    } catch (err) {
      // A bad name or quota is a usage error; a missing tenant or a conflict is a failure.
      if (err instanceof TenantChangeError && err.status === 400) throw new UsageError(err.message);
      throw err;
    } finally {
      await target.close();
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
  const { StoreTenants } = await import('../../tenants/store-tenants.js');
  let table: Awaited<ReturnType<typeof StoreTenants.open>>;
  try {
    table = await StoreTenants.open(storeConnections(url), where, () => undefined);
  } catch (err) {
    throw new Error(`cannot open the store ${where}: ${firstLine(err)}`);
  }
  try {
    const { config } = await table.import(imported);
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

async function add(target: TenantsTarget, [name = '']: string[], values: TenantsArgs['values']): Promise<void> {
  const quotaMb = quotaOption(values);
  const { config, result } = await target.edit(
    (file) => {
      const { file: next, tenant } = addTenant(file, name, { quotaMb });
      return { file: next, result: tenant };
    },
    { create: true },
  );
  process.stdout.write(`${result.token}\n`);
  const place = target.kind === 'store' ? `phexts in ${target.where}` : `data in ${config.tenants.find((t) => t.name === name)?.dataDir}`;
  process.stderr.write(`Added tenant ${name} (${place}). Its token, above, is shown only this once.\n`);
}

async function rotate(target: TenantsTarget, [name = '']: string[]): Promise<void> {
  const { result } = await target.edit((file) => {
    const { file: next, token } = rotateTenant(file, name);
    return { file: next, result: token };
  });
  process.stdout.write(`${result}\n`);
  process.stderr.write(`New token for ${name}, above, shown only this once; the old token no longer works.\n`);
}

async function remove(target: TenantsTarget, [name = '']: string[]): Promise<void> {
  await target.edit((file) => ({ file: removeTenant(file, name), result: undefined }));
  const kept = target.kind === 'store' ? `its phexts stay in the database ${target.where}` : 'its data directory stays on disk';
  process.stdout.write(`Removed tenant ${name}; ${kept}.\n`);
}

async function list(target: TenantsTarget): Promise<void> {
  const config = await target.read();
  const used = await target.usage(config.tenants);
  const rows = config.tenants.map((t) => [
    t.name,
    ...(target.kind === 'file' ? [t.dataDir] : []),
    t.quotaBytes === undefined ? 'unlimited' : formatMb(t.quotaBytes),
    String(used.get(t.name) ?? 0),
  ]);
  rows.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  const header = ['NAME', ...(target.kind === 'file' ? ['DATA_DIR'] : []), 'QUOTA', 'BYTES_USED'];
  process.stdout.write(table([header, ...rows]));
  process.stderr.write(`${rows.length} tenant${rows.length === 1 ? '' : 's'} in ${target.where}\n`);
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
