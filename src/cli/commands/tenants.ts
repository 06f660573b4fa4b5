/**
 * `sq tenants`: manage a tenants file directly, no server needed. A running `sq host --config`
 * watches the file and reloads by itself; `--reload-url` asks it to reload at once.
 */
import { readFile } from 'node:fs/promises';
import { addTenant, removeTenant, rotateTenant, TenantChangeError } from '../../tenants/changes.js';
import { parseConfig } from '../../tenants/config.js';
import { editConfig } from '../../tenants/edit.js';
import { formatMb, measureUsage } from '../../tenants/quota.js';
import { UsageError, type Command } from '../command.js';
import { parseTenantsArgs, quotaOption, type TenantsArgs } from './tenants-args.js';
import { provision } from './tenants-provision.js';

const usage = `Usage: sq tenants <action> --config FILE [options]

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
    const action = actionName === undefined ? undefined : ACTIONS[actionName];
    if (!action) throw new UsageError(actionName === undefined ? 'missing action' : `unknown action '${actionName}'`);
    if (rest.length !== action.arity) throw new UsageError(`${actionName} takes ${action.arity === 0 ? 'no arguments' : 'one argument'}`);
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
