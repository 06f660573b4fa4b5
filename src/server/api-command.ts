import type { Command } from '../commands/command.js';
import { decodeInput } from '../commands/input.js';
import { COMMANDS, type CommandName } from '../commands/table.js';
import type { DocumentStore } from '../store/document-store.js';
import { defaultPhext } from './default-phext.js';
import { HttpInput, type HttpCommandRequest } from './http-input.js';
import { TEXT, type Outcome } from './outcome.js';
import { pageHeaders } from './page-file.js';

const READ = ['GET', 'HEAD', 'POST'] as const;
const WRITE = ['GET', 'POST'] as const;

/** The methods each `/api/v2/<name>` command answers over HTTP. */
const METHODS: Readonly<Record<CommandName, readonly string[]>> = {
  version: READ, load: WRITE, select: READ, insert: WRITE, update: WRITE, delete: ['GET', 'POST', 'DELETE'],
  toc: READ, get: READ, checksum: READ, delta: READ, 'json-export': READ, status: READ, where: ['POST'],
};

/** A command as HTTP serves it. */
export interface ApiCommand {
  readonly methods: readonly string[];
  readonly command: Command;
}

/** The API's commands by name (exact names, no prefixes). */
export const API_COMMANDS: Readonly<Record<string, ApiCommand>> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, command]) => [name, { methods: METHODS[name as CommandName], command }]),
);

/** What the host lends every API command. */
export interface ApiHost {
  readonly store: DocumentStore;
  /** The phext a request without `p` addresses (see HostOptions.defaultPhext). */
  readonly defaultPhext: string;
  /** `f=` pages run unsandboxed on the API's origin (see page-file.ts). */
  readonly trustedPages?: boolean;
}

/** Runs API command `name` on a request the pipeline has read: decode, run, answer. */
export async function runApiCommand(name: string, request: Omit<HttpCommandRequest, 'fallback'>, host: ApiHost): Promise<Outcome> {
  const { command } = API_COMMANDS[name];
  const p = request.params.get('p');
  // Without `p` (or with `p=`) the original serves its data directory's default phext; clients
  // rely on it (`status` as a reachability check, scripts that send no `p`).
  const fallback = !p && command.needs.includes('phext') ? await defaultPhext(request.tenant.dataDir, host.defaultPhext) : undefined;
  const reply = await command.run(decodeInput(new HttpInput({ ...request, fallback }), command.needs), { store: host.store });
  const page = command.page ? request.params.get('f') : undefined;
  const served = page === undefined ? undefined : pageHeaders(page, host.trustedPages ?? false);
  return {
    status: 200, body: reply.body, contentType: served?.contentType ?? reply.contentType ?? TEXT,
    headers: served?.headers, command: name, phext: p, tenant: request.tenant.name,
  };
}
