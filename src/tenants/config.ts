/**
 * The tenants file: `{"tenants": {"<token>": {"name", "data_dir", "quota_mb"?, "webhooks"?}}, "default_quota_mb"?,
 * "admin_key"?, "data_root"?, "hash_new_tokens"?}`. A key may be `sha256:<64 hex>`, the digest of
 * the real token, so the file need not hold secrets. Unknown fields are kept when the file is saved.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { jsonErrorWhere } from '../config-watch/json-error.js';
import { sharedDirProblems } from './data-dirs.js';
import { findDuplicateKey } from './json-keys.js';
import type { ConfiguredTenant } from './tenant.js';
import { keyDigest, redact } from './token.js';
import { phextName } from '../server/phext-name.js';
import { isMegabytes, MB, MEGABYTES_RULE } from '../units/megabytes.js';

export { MB };

/** Tenant names: 1..64 of `A-Za-z0-9._-`, not starting with `.`. */
export const TENANT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
export const TENANT_NAME_RULE = 'must be 1-64 characters of A-Z a-z 0-9 . _ - and not start with "."';

const quotaMb = z.number({ invalid_type_error: MEGABYTES_RULE }).refine(isMegabytes, MEGABYTES_RULE);
const WEBHOOK_URL_RULE = 'must be an http:// or https:// URL';
const WEBHOOK_SECRET_RULE = 'must be 16 to 256 printable ASCII characters, no spaces';
const webhookSchema = z
  .object({
    url: z.string({ required_error: WEBHOOK_URL_RULE, invalid_type_error: WEBHOOK_URL_RULE }).refine(isHttpUrl, WEBHOOK_URL_RULE),
    p: z
      .string()
      .superRefine((name, ctx) => {
        try {
          phextName(name);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
        }
      })
      .optional(),
    secret: z
      .string({ invalid_type_error: WEBHOOK_SECRET_RULE })
      .min(16, WEBHOOK_SECRET_RULE)
      .max(256, WEBHOOK_SECRET_RULE)
      .regex(/^[\x21-\x7e]+$/, WEBHOOK_SECRET_RULE)
      .optional(),
  })
  .strict();
const entrySchema = z
  .object({
    name: z.string().regex(TENANT_NAME, TENANT_NAME_RULE),
    data_dir: z.string().min(1, 'must not be empty'),
    quota_mb: quotaMb.optional(),
    webhooks: z.array(webhookSchema).optional(),
  })
  .passthrough();
const fileSchema = z
  .object({
    tenants: z.record(entrySchema),
    default_quota_mb: quotaMb.optional(),
    admin_key: z.string().min(1, 'must not be empty').optional(),
    data_root: z.string().min(1, 'must not be empty').optional(),
    hash_new_tokens: z.boolean().optional(),
  })
  .passthrough();

/** One entry of the file, as written. */
export type TenantEntry = z.infer<typeof entrySchema>;
/** The whole file, as written (the format of the original SQ plus optional fields). */
export type TenantsFile = z.infer<typeof fileSchema>;

/** A validated tenants file with every path resolved. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  readonly path: string;
  readonly file: TenantsFile;
  readonly tenants: readonly ConfiguredTenant[];
  /** Where tenants added later get their directory (`<data_root>/<name>`), absolute. */
  readonly dataRoot: string;
  readonly adminDigest?: Buffer;
  /** The file's text, when it was read from disk. */
  readonly text?: string;
}

/** The tenants file cannot be used; the message is one line and names the offending entry. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** An empty tenants file, what `sq tenants add` starts from when none exists. */
export function emptyConfig(): TenantsFile {
  return { tenants: {} };
}

/** Reads and validates the file, then creates the tenants' data directories. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${absolute}: ${(err as Error).message}`);
  }
  const config = { ...parseConfig(text, absolute), text };
  await checkDataDirs(config);
  await createDataDirs(config);
  return config;
}

/** Validates the text of a tenants file; relative paths are resolved against the file's directory. */
export function parseConfig(text: string, path: string): LoadedConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid JSON${jsonErrorWhere(err, text)}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    const where = formatPath([...duplicate.path, duplicate.key]);
    throw new ConfigError(`${path}: ${where}: appears twice${duplicate.path[0] === 'tenants' ? ' (duplicate token)' : ''}`);
  }
  return validateConfig(value, path);
}

/** Validates a parsed tenants file (also used on the result of every change before it is saved). */
export function validateConfig(value: unknown, path: string): LoadedConfig {
  const absolute = resolve(path);
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const raw = value as { tenants?: Record<string, { name?: unknown }> } | null;
    throw configError(
      absolute,
      parsed.error.issues.map((issue) => {
        const [top, key] = issue.path;
        const name = top === 'tenants' && typeof key === 'string' ? raw?.tenants?.[key]?.name : undefined;
        const hint = typeof name === 'string' && !issue.path.includes('name') ? ` (tenant "${name}")` : '';
        return `${formatPath(issue.path)}: ${issue.message}${hint}`;
      }),
    );
  }
  const file = parsed.data;
  const dir = dirname(absolute);
  const defaultQuota = file.default_quota_mb;
  const tenants: ConfiguredTenant[] = Object.entries(file.tenants).map(([key, entry]) => {
    const quota = entry.quota_mb ?? defaultQuota;
    return {
      key,
      digest: keyDigest(key),
      name: entry.name,
      dataDir: resolve(dir, entry.data_dir),
      ...(quota === undefined ? {} : { quotaBytes: Math.floor(quota * MB) }),
      ...(entry.webhooks?.length
        ? {
            webhooks: entry.webhooks.map((w) => ({
              url: w.url,
              ...(w.p === undefined ? {} : { p: w.p }),
              ...(w.secret === undefined ? {} : { secret: w.secret }),
            })),
          }
        : {}),
    };
  });
  const adminDigest = file.admin_key === undefined ? undefined : keyDigest(file.admin_key);
  throwIfAny(absolute, crossCheck(tenants, adminDigest));
  return { path: absolute, file, tenants, dataRoot: resolve(dir, file.data_root ?? 'tenants'), adminDigest };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Problems no single entry shows: unusable keys, and names, tokens or directories used twice. */
function crossCheck(tenants: readonly ConfiguredTenant[], adminDigest: Buffer | undefined): string[] {
  const problems: string[] = [];
  const seen = {
    digest: new Map<string, ConfiguredTenant>(),
    name: new Map<string, ConfiguredTenant>(),
    dir: new Map<string, ConfiguredTenant>(),
  };
  for (const t of tenants) {
    const where = `tenants[${JSON.stringify(redact(t.key))}]`;
    // A header value loses surrounding spaces and cannot carry control characters.
    if (t.key.trim() !== t.key || t.key === '' || /[\x00-\x1f\x7f]/.test(t.key)) {
      problems.push(`${where}: a token must be non-empty, without control characters or surrounding spaces (tenant "${t.name}")`);
    }
    const clash = (map: Map<string, ConfiguredTenant>, id: string, field: string, what: (other: ConfiguredTenant) => string) => {
      const other = map.get(id);
      if (other) problems.push(`${where}${field}: ${what(other)}`);
      else map.set(id, t);
    };
    clash(
      seen.digest,
      t.digest.toString('hex'),
      '',
      (o) => `same token as tenants[${JSON.stringify(redact(o.key))}] (tenants "${o.name}" and "${t.name}")`,
    );
    clash(seen.name, t.name, '.name', () => `"${t.name}" is used by two tenants`);
    clash(seen.dir, t.dataDir, '.data_dir', (o) => `${t.dataDir} is also the data_dir of tenant "${o.name}" (tenant "${t.name}")`);
    if (adminDigest?.equals(t.digest)) problems.push(`admin_key: is also the token of tenant "${t.name}"`);
  }
  return problems;
}

/** One ConfigError for `problems`: the first five, and how many more. */
export function configError(path: string, problems: string[]): ConfigError {
  const shown = problems.slice(0, 5).join('; ');
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  return new ConfigError(`${path}: ${shown}${more}`);
}

function throwIfAny(path: string, problems: string[]): void {
  if (problems.length > 0) throw configError(path, problems);
}

/** `tenants["pmb-v1…"].data_dir`: the key right under `tenants` is a token, so it is shortened. */
function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, i) => {
      if (i === 1 && path[0] === 'tenants') return `[${JSON.stringify(redact(String(part)))}]`;
      if (typeof part === 'number') return `[${part}]`;
      if (i === 0) return part;
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? `.${part}` : `[${JSON.stringify(part)}]`;
    })
    .join('');
}

/** Refuses tenants that share a directory through a symlink, or nest one inside another (by real path). */
async function checkDataDirs(config: LoadedConfig): Promise<void> {
  throwIfAny(config.path, await sharedDirProblems(config.tenants));
}

/** Creates (mkdir -p) every tenant's data directory; a failure names the tenant. */
export async function createDataDirs(config: LoadedConfig): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    config.tenants.map(async (t) => {
      try {
        await mkdir(t.dataDir, { recursive: true, mode: 0o700 });
      } catch (err) {
        failures.push(
          `tenants[${JSON.stringify(redact(t.key))}].data_dir: cannot create ${t.dataDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (tenant "${t.name}")`,
        );
      }
    }),
  );
  throwIfAny(config.path, failures);
}

/** The text of the tenants file for `file`, in the format it is read in (see editConfig). */
export function serializeConfig(file: TenantsFile): string {
  return JSON.stringify(file, null, 2) + '\n';
}
