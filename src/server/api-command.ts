import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import type { Command } from '../commands/command.js';
import { decodeInput } from '../commands/input.js';
import { COMMANDS, type CommandName } from '../commands/table.js';
import type { ConnectionTracker } from '../http/connections.js';
import type { DocumentStore } from '../store/document-store.js';
import type { TenantResolver } from '../tenants/tenant.js';
import { defaultPhext } from './default-phext.js';
import { tenant as tenantGuard } from './guards.js';
import { HttpError } from './http-error.js';
import { HttpInput, type HttpCommandRequest } from './http-input.js';
import type { Metrics } from './metrics.js';
import { TEXT } from './outcome.js';
import { pageHeaders } from './page-file.js';
import { parseParams, type Params } from './params.js';
import { isFormBody } from './request-checks.js';
import type { Handler, Route } from './route.js';

const API = '/api/v2/';

const READ = ['GET', 'HEAD', 'POST'] as const;
const WRITE = ['GET', 'POST'] as const;

/** The methods each `/api/v2/<name>` command answers over HTTP. */
const METHODS: Readonly<Record<CommandName, readonly string[]>> = {
  version: READ,
  load: WRITE,
  select: READ,
  insert: WRITE,
  update: WRITE,
  delete: ['GET', 'POST', 'DELETE'],
  toc: READ,
  get: READ,
  checksum: READ,
  delta: READ,
  'json-export': READ,
  status: READ,
  where: ['POST'],
};

/** A command as HTTP serves it. */
interface ApiCommand {
  readonly methods: readonly string[];
  readonly command: Command;
}

/** The API's commands by name (exact names, no prefixes). */
const API_COMMANDS: Readonly<Record<string, ApiCommand>> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, command]) => [name, { methods: METHODS[name as CommandName], command }]),
);

/** What an API command needs from the host around it. */
export interface ApiDeps {
  readonly store: DocumentStore;
  readonly resolver: TenantResolver;
  readonly metrics: Metrics;
  readonly connections: ConnectionTracker;
  /** The phext a request without `p` addresses (see default-phext.ts). */
  readonly defaultPhext: string;
  /**
   * Whether the original's `.phext` in a tenant's data directory takes requests without `p`
   * instead: phexts in files only (a database holds no such file).
   */
  readonly originalDefault: boolean;
  /** `f=` pages run unsandboxed on the API's origin (see page-file.ts). */
  readonly trustedPages: boolean;
}

/**
 * The handler of API command `name` for a caller the tenant guard has accepted: decodes the query
 * and the body (a form's fields merge into the query's) into the command's input, runs it, and
 * answers. The one place where an HTTP request becomes a command call.
 */
function apiCommand(deps: ApiDeps, name: string, command: Command): Handler {
  return async (ex) => {
    const params = parseParams(ex.query, 'query string');
    ex.labels.phext = params.get('p');
    let body: Buffer = Buffer.alloc(0);
    if (ex.method === 'POST' || ex.method === 'DELETE') {
      body = await ex.body();
      deps.metrics.bytesReceived.inc(body.length);
    }
    let form: Params | undefined;
    if (isFormBody(ex.req, body)) {
      // curl -d sends non-ASCII bytes raw rather than as %xx: they are UTF-8 text too.
      if (!isUtf8(body)) throw new HttpError(400, 'Invalid UTF-8 in form body');
      form = parseParams(body.toString('utf8'), 'form body');
      for (const [key, value] of form) if (!params.has(key)) params.set(key, value);
      body = Buffer.alloc(0);
    }
    const tenant = ex.tenant!;
    const p = params.get('p');
    // Without `p` (or with `p=`) the original serves its data directory's default phext; clients
    // rely on it (`status` as a reachability check, scripts that send no `p`).
    const fallback =
      !p && command.needs.includes('phext')
        ? deps.originalDefault
          ? await defaultPhext(tenant, deps.defaultPhext)
          : { tenant: tenant.name, name: deps.defaultPhext }
        : undefined;
    const request: HttpCommandRequest = {
      method: ex.method,
      params,
      body,
      form,
      tenant,
      connectionId: deps.connections.idOf(ex.req.socket as Socket),
      ifMatch: ex.req.headers['if-match'],
      fallback,
    };
    const reply = await command.run(decodeInput(new HttpInput(request), command.needs), { store: deps.store });
    const page = command.page ? params.get('f') : undefined;
    const served = page === undefined ? undefined : pageHeaders(page, deps.trustedPages);
    return {
      status: 200,
      body: reply.body,
      contentType: served?.contentType ?? reply.contentType ?? TEXT,
      headers: reply.version === undefined ? served?.headers : { ...served?.headers, ETag: `"${reply.version}"` },
      command: name,
      phext: p,
      tenant: tenant.name,
    };
  };
}

/** One route per command of the table (`/api/v2/<name>`), each behind the tenant's token. */
export function apiRoutes(deps: ApiDeps): Route[] {
  const auth = tenantGuard(deps.resolver);
  return Object.entries(API_COMMANDS).map(([name, { methods, command }]) => ({
    path: API + name,
    methods,
    command: name,
    methodName: name,
    auth,
    handler: apiCommand(deps, name, command),
  }));
}
