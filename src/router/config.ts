import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { jsonErrorWhere } from '../config-watch/json-error.js';
import { keyDigest } from '../tenants/token.js';

/** One tenant of the router: requests carrying `token` go to the backend on 127.0.0.1:`port`. */
export interface RouterTenant {
  /** The token, or `sha256:<64 hex>` of it as in a tenants file, so that router.json need hold no secret. */
  readonly token: string;
  readonly port: number;
  /** Informational only: the backend owns its data; the router never touches it. */
  readonly data_dir?: string;
}

/** The parsed and validated contents of router.json. */
export interface RouterConfig {
  readonly tenants: readonly RouterTenant[];
}

/** The config file could not be read, was not JSON, or broke a rule; the message names where. */
export class RouterConfigError extends Error {
  override readonly name = 'RouterConfigError';
}

// HTTP trims header values and cannot carry CR, LF or NUL, so such a token could never be presented.
const presentable = (t: string): boolean => t === t.trim() && !/[\r\n\0]/.test(t);

const tenantSchema = z.object({
  token: z.string().min(1, 'must not be empty').refine(presentable, 'must not start or end with whitespace or contain CR, LF or NUL'),
  port: z.number().int('must be an integer').min(1, 'must be 1..65535').max(65535, 'must be 1..65535'),
  data_dir: z.string().optional(),
});

const configSchema = z.object({ tenants: z.array(tenantSchema).min(1, 'must list at least one tenant') }).superRefine((config, ctx) => {
  // By digest: a token and its sha256: form are the same tenant.
  const firstIndex = new Map<string, number>();
  config.tenants.forEach((tenant, i) => {
    const digest = keyDigest(tenant.token).toString('hex');
    const earlier = firstIndex.get(digest);
    if (earlier === undefined) firstIndex.set(digest, i);
    else
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['tenants', i, 'token'],
        message: `duplicate token (same as tenants[${earlier}])`,
      });
  });
});

/** `['tenants', 3, 'port']` → `tenants[3].port`. */
function issuePath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';
}

/** Validates router.json text; `source` names the file in error messages. Never echoes a token. */
export function parseRouterConfig(text: string, source: string): RouterConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RouterConfigError(`${source}: invalid JSON${jsonErrorWhere(err, text)}`);
  }
  const result = configSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
    throw new RouterConfigError(`${source}: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Reads and validates the router config file. Throws RouterConfigError. */
export async function loadRouterConfig(path: string): Promise<{ config: RouterConfig; text: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new RouterConfigError(`${path}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { config: parseRouterConfig(text, path), text };
}
