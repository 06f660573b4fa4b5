/**
 * The admin API under /api/v2/admin/, as a function the HTTP server calls. Every request needs the
 * admin key; without one configured every request is 401. Changes rewrite the config file
 * atomically and take effect at once. Tokens appear only in the answer that creates them.
 */
import { addTenant, removeTenant, rotateTenant, TenantChangeError } from './changes.js';
import type { RegisteredTenant } from './registry.js';
import type { TenantManager } from './manager.js';

export interface AdminRequest {
  readonly method: string;
  /** The request path, e.g. `/api/v2/admin/tenants/alice/rotate` (a query string is ignored). */
  readonly path: string;
  readonly token: string | undefined;
  readonly body: string;
}

export interface AdminResponse {
  readonly status: number;
  /** JSON-able; errors are `{"error": "<one line>"}`. */
  readonly body: unknown;
  /** Extra response headers (`Allow` on 405). */
  readonly headers?: Record<string, string>;
}

type Handler = (manager: TenantManager, name: string, body: string) => Promise<AdminResponse>;

const PREFIX = '/api/v2/admin/tenants';
/** Path patterns and their handlers per method; `name` is the decoded tenant name. */
const ROUTES: { pattern: RegExp; methods: Record<string, Handler> }[] = [
  { pattern: /^$/, methods: { GET: list, POST: create } },
  { pattern: /^\/([^/]+)$/, methods: { GET: show, DELETE: remove } },
  { pattern: /^\/([^/]+)\/rotate$/, methods: { POST: rotate } },
];

export async function handleAdmin(manager: TenantManager, req: AdminRequest): Promise<AdminResponse> {
  if (!manager.isAdmin(req.token)) return error(401, 'Unauthorized');
  const path = req.path.split('?', 1)[0] ?? '';
  const rest = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : undefined;
  for (const route of rest === undefined ? [] : ROUTES) {
    const match = route.pattern.exec(rest!);
    if (!match) continue;
    const handler = route.methods[req.method.toUpperCase()];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      return { ...error(405, `Method ${req.method} not allowed here (allowed: ${allow})`), headers: { Allow: allow } };
    }
    let name = '';
    try {
      name = decodeURIComponent(match[1] ?? '');
    } catch {
      return error(404, 'No such tenant');
    }
    try {
      return await handler(manager, name, req.body);
    } catch (err) {
      if (err instanceof TenantChangeError) return error(err.status, err.message);
      return error(500, (err as Error).message);
    }
  }
  return error(404, `Unknown admin path ${path}`);
}

async function list(manager: TenantManager): Promise<AdminResponse> {
  return { status: 200, body: { tenants: manager.registry.list().map(view) } };
}

async function show(manager: TenantManager, name: string): Promise<AdminResponse> {
  const tenant = manager.registry.get(name);
  return tenant ? { status: 200, body: view(tenant) } : error(404, `No tenant named ${name}`);
}

async function create(manager: TenantManager, _name: string, body: string): Promise<AdminResponse> {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return error(400, 'The body must be JSON: {"name": "<name>", "quota_mb": <number, optional>}');
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return error(400, 'The body must be a JSON object: {"name": "<name>", "quota_mb": <number, optional>}');
  }
  const unknown = Object.keys(request).filter((k) => k !== 'name' && k !== 'quota_mb');
  if (unknown.length > 0) return error(400, `Unknown field ${JSON.stringify(unknown[0])} (allowed: name, quota_mb)`);
  const { name, quota_mb: quotaMb } = request as { name?: unknown; quota_mb?: unknown };
  if (name === undefined) return error(400, 'Missing field "name"');
  const tenant = await manager.change((file) => {
    const { file: next, tenant } = addTenant(file, name as string, { quotaMb: quotaMb as number | undefined });
    return { file: next, result: tenant };
  });
  const added = manager.registry.get(tenant.name);
  return { status: 201, body: { name: tenant.name, token: tenant.token, data_dir: added?.dataDir } };
}

async function remove(manager: TenantManager, name: string): Promise<AdminResponse> {
  const dataDir = manager.registry.get(name)?.dataDir;
  await manager.change((file) => ({ file: removeTenant(file, name), result: undefined }));
  // With a database, a data directory is at most a name: the phexts are its rows.
  if (manager.phextsInDatabase) return { status: 200, body: { name, deleted: true, note: 'Its phexts are kept in the database.' } };
  return { status: 200, body: { name, deleted: true, data_dir: dataDir, note: 'The data directory is kept on disk.' } };
}

async function rotate(manager: TenantManager, name: string): Promise<AdminResponse> {
  const token = await manager.change((file) => {
    const { file: next, token } = rotateTenant(file, name);
    return { file: next, result: token };
  });
  return { status: 200, body: { name, token } };
}

/** What the admin API shows of a tenant: never its token. */
function view(t: RegisteredTenant) {
  return {
    name: t.name,
    data_dir: t.dataDir,
    bytes_used: t.stats.bytesUsed,
    quota_bytes: t.quotaBytes ?? null,
    requests: t.stats.requests,
    last_active: t.stats.lastActive === undefined ? null : new Date(t.stats.lastActive).toISOString(),
  };
}

function error(status: number, message: string): AdminResponse {
  return { status, body: { error: message.replace(/\s*\n\s*/g, ' ') } };
}
