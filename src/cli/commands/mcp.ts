/**
 * `sq mcp`: a Model Context Protocol server on stdin/stdout, so that an agent reads and writes
 * phexts through tools: over an SQ server (`--url`, the typed client) or straight over a data
 * directory or database (the store `sq host` would use there). Loaded only when it runs.
 */
import { parseArgs } from 'node:util';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Backend } from '../../mcp/backend.js';
import { httpBackend } from '../../mcp/http-backend.js';
import { DEFAULT_LIMITS, type Limits } from '../../mcp/limits.js';
import { storeBackend } from '../../mcp/store-backend.js';
import { registerTools } from '../../mcp/tools.js';
import { VERSION } from '../../version.js';
import { UsageError, type Command } from '../command.js';
import { byteSize } from '../options.js';
import { nameProblem } from './phext-dir.js';
import { PLACE_OPTIONS, PLACE_USAGE, maxPhextBytes, openPlace, placeOf } from './phext-places.js';

const USAGE = `Usage: sq mcp (--url URL | --data-dir DIR | --store URL --tenant T) [options]

A Model Context Protocol server on stdin/stdout for an agent: tools sq_read, sq_write,
sq_append, sq_delete, sq_list, sq_navigate (table of contents under a coordinate), sq_search
and sq_info. Logs go to stderr; stdout is the protocol's.

  --url URL            an SQ server (sq host, or sq route in front of it); the tenant's token
                       comes from the SQ_KEY environment variable (never from the URL)
${PLACE_USAGE}
                       (--data-dir and --store work without a server; a data directory a
                       server runs on is refused: use --url then)
  --default-phext NAME the phext of calls without p, for --data-dir/--store (default index)
  --max-answer BYTES   the most text one answer carries, the rest cut with a note (default 64K)
  --max-search BYTES   the largest phext sq_search reads (default 64M)

An agent's configuration (Claude Desktop, Cursor, ...):
  {"mcpServers": {"sq": {"command": "sq", "args": ["mcp", "--url", "http://127.0.0.1:1337"],
                         "env": {"SQ_KEY": "<token>"}}}}`;

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'Serve phexts to an AI agent as MCP tools over stdio (a server URL or a data directory)',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        ...PLACE_OPTIONS,
        'default-phext': { type: 'string' },
        'max-answer': { type: 'string' },
        'max-search': { type: 'string' },
      },
    });
    if (positionals.length > 0) throw new UsageError('takes no positional arguments');
    const limits: Limits = {
      answerBytes: byteSize(values['max-answer'], 'max-answer', DEFAULT_LIMITS.answerBytes),
      searchBytes: byteSize(values['max-search'], 'max-search', DEFAULT_LIMITS.searchBytes),
    };
    const defaultPhext = values['default-phext'] ?? 'index';
    const problem = nameProblem(defaultPhext);
    if (problem) throw new UsageError(`--default-phext: ${problem}`);

    let backend: Backend;
    let close = async (): Promise<void> => {};
    if (values.url !== undefined) {
      if (values['data-dir'] !== undefined || values.store !== undefined)
        throw new UsageError('give --url or --data-dir/--store, not both');
      if (values['default-phext'] !== undefined) throw new UsageError("--default-phext is the server's own setting with --url");
      backend = httpBackend(serverUrl(values.url), process.env.SQ_KEY || undefined);
    } else {
      const place = await openPlace(placeOf(values), maxPhextBytes(values), true);
      backend = storeBackend({ ...place, defaultPhext, version: VERSION });
      close = () => place.close();
    }

    const server = new McpServer({ name: 'sq', version: VERSION });
    registerTools(server, backend, limits);
    const transport = new StdioServerTransport();
    const ended = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      // The client closing our stdin is the end of the session.
      process.stdin.once('end', resolve);
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.connect(transport);
    process.stderr.write(`sq mcp: serving ${backend.where} on stdio\n`);
    await ended;
    await server.close().catch(() => {});
    await close();
    return 0;
  },
};

function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`invalid URL '${text}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the URL must be http:// or https://, got '${text}'`);
  // A token in a URL ends up in shell history, process lists and logs.
  if (url.username || url.password || url.search)
    throw new UsageError('the URL takes no credentials or query: the token comes from SQ_KEY');
  return url.href;
}
