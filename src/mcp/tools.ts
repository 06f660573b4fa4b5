import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { SqError } from '../client/errors.js';
import { nameProblem, parseCoordinate } from '../client/coordinates.js';
import { describeError } from '../commands/errors.js';
import { coordinatePrefix } from '../feed/coordinate-prefix.js';
import { Coordinate } from '../phext/coordinate.js';
import { ToolError, type Backend } from './backend.js';
import { clip, clipLines, type Limits } from './limits.js';

type Answer = { content: Array<{ type: 'text'; text: string }>; isError?: boolean };

const P = z.string().max(128).optional().describe("The phext's name (A-Z a-z 0-9 . _ -); omit it for the server's default phext");
const C = z.string().describe('The scroll: nine parts 1..999 as LB.SF.SR/CN.VM.BK/CH.SN.SC, e.g. 1.1.1/1.1.1/1.1.2');
const IF_VERSION = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('Make the change only if the phext is still at this version (from sq_read or sq_info); else it is refused');
const BRANCH = z.string().optional().describe('Only this branch: the leading parts of a coordinate, e.g. 2 (library 2), 2.1.1 or 2.1.1/3');

const text = (...blocks: string[]): Answer => ({ content: blocks.map((t) => ({ type: 'text', text: t })) });
const named = (p: string | undefined) => (p ? p : 'the default phext');

function coordinateOf(c: string): Coordinate {
  const parsed = parseCoordinate(c.trim());
  if (typeof parsed === 'string') throw new ToolError(parsed);
  return parsed;
}

/** `p` as the backends take it ('' for the default phext), checked as the server checks it. */
function phextOf(p: string | undefined): string {
  const problem = p === undefined ? undefined : nameProblem(p);
  if (problem) throw new ToolError(problem);
  return p ?? '';
}

/** The coordinate-key prefix of a branch, or undefined for the whole phext. */
function branchOf(c: string | undefined): string | undefined {
  if (c === undefined || c.trim() === '') return undefined;
  const prefix = coordinatePrefix(c.trim());
  if ('problem' in prefix) throw new ToolError(prefix.problem);
  return prefix.key;
}

const inBranch = (coord: string, prefix: string | undefined) => prefix === undefined || Coordinate.parse(coord).key.startsWith(prefix);

/** One line for the agent: what went wrong, with the status when a server said it. */
function failure(err: unknown): Answer {
  let message: string;
  if (err instanceof SqError) message = err.status === 0 ? err.message : `${err.message} (HTTP ${err.status})`;
  else if (err instanceof ToolError) message = err.message;
  else {
    const refusal = describeError(err);
    message = refusal ? `${refusal.message} (${refusal.status})` : `internal error: ${(err as Error)?.message ?? err}`;
  }
  return { content: [{ type: 'text', text: message.split('\n', 1)[0]! }], isError: true };
}

/** The tool's answer, or its error as one line. */
const guarded =
  <A>(run: (args: A) => Promise<Answer>) =>
  async (args: A): Promise<Answer> => {
    try {
      return await run(args);
    } catch (err) {
      return failure(err);
    }
  };

/** The SQ tools on `server`, over `backend`, each answer within `limits`. */
export function registerTools(server: McpServer, backend: Backend, limits: Limits): void {
  const max = limits.answerBytes;

  server.registerTool(
    'sq_read',
    {
      title: 'Read a scroll',
      description: `The text of one scroll. A phext keeps no empty scrolls: a scroll that is not there is reported as missing, never as empty text. Long texts come ${max} bytes at a time (offset pages through them).`,
      inputSchema: { p: P, c: C, offset: z.number().int().min(0).optional().describe('Start at this character (from a previous answer)') },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ p, c, offset }) => {
      const coordinate = coordinateOf(c);
      const { text: scroll, version } = await backend.read(phextOf(p), coordinate);
      if (scroll === '') return text(`No scroll at ${coordinate} in ${named(p)} (phext version ${version}).`);
      const start = Math.min(offset ?? 0, scroll.length);
      const part = clip(scroll.slice(start), max);
      const end = start + part.length;
      const note =
        end < scroll.length
          ? `[characters ${start}..${end} of ${scroll.length}; call sq_read with offset=${end} for more] phext version ${version}`
          : `[${start > 0 ? `characters ${start}..${end} of ${scroll.length}, ` : ''}whole scroll ${coordinate}] phext version ${version}`;
      return text(part, note);
    }),
  );

  for (const [name, kind, verb] of [
    ['sq_write', 'update', 'Replace the text of a scroll (an empty text removes it)'],
    ['sq_append', 'insert', 'Append text to a scroll (made when missing)'],
  ] as const) {
    server.registerTool(
      name,
      {
        title: kind === 'update' ? 'Write a scroll' : 'Append to a scroll',
        description: `${verb}. Durable once answered. Text may not hold phext delimiter bytes (0x01, 0x17-0x1A, 0x1C-0x1F).`,
        inputSchema: { p: P, c: C, text: z.string().describe('The text'), if_version: IF_VERSION },
        annotations: { readOnlyHint: false, destructiveHint: kind === 'update', idempotentHint: kind === 'update' },
      },
      guarded(async ({ p, c, text: body, if_version }) => {
        const coordinate = coordinateOf(c);
        const { bytes, version } = await backend.write(kind, phextOf(p), coordinate, body, if_version);
        return text(
          `${kind === 'update' ? 'Wrote' : 'Appended'} ${bytes} bytes at ${coordinate} in ${named(p)}; phext version ${version}.`,
        );
      }),
    );
  }

  server.registerTool(
    'sq_delete',
    {
      title: 'Delete a scroll',
      description: 'Remove one scroll (nothing happens when it is missing).',
      inputSchema: { p: P, c: C, if_version: IF_VERSION },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
    },
    guarded(async ({ p, c, if_version }) => {
      const coordinate = coordinateOf(c);
      const { bytes, version } = await backend.delete(phextOf(p), coordinate, if_version);
      return text(
        bytes === 0
          ? `No scroll at ${coordinate} in ${named(p)}: nothing removed (phext version ${version}).`
          : `Removed ${bytes} bytes at ${coordinate} in ${named(p)}; phext version ${version}.`,
      );
    }),
  );

  server.registerTool(
    'sq_list',
    {
      title: 'List phexts',
      description: 'The phexts there are: name, size in bytes, scroll count, version.',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    guarded(async () => {
      const listed = await backend.list();
      if (listed.length === 0) return text('No phexts yet.');
      const lines = listed.map((l) => `${l.name || '(default)'}: ${l.bytes} bytes, ${l.scrolls} scrolls, version ${l.version}`);
      return text(clipLines(lines, max, 'the listing is cut'));
    }),
  );

  server.registerTool(
    'sq_navigate',
    {
      title: 'Table of contents',
      description: 'The scrolls of a phext (or of one branch of it) in coordinate order, each with the start of its text.',
      inputSchema: {
        p: P,
        c: BRANCH,
        limit: z.number().int().min(1).max(10_000).optional().describe('At most this many scrolls (default 200)'),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ p, c, limit }) => {
      const prefix = branchOf(c);
      const { version, lines } = await backend.toc(phextOf(p));
      const under = lines.filter((l) => inBranch(l.coord, prefix));
      const where = `${named(p)}${c ? ` under ${c.trim()}` : ''}`;
      if (under.length === 0) return text(`No scrolls in ${where} (phext version ${version}).`);
      const most = limit ?? 200;
      const shown = under.slice(0, most).map((l) => `${l.coord}: ${l.summary}`);
      const body = clipLines(shown, max, 'narrow it with c');
      const more = under.length > most ? `; ${under.length - most} more past the limit, narrow it with c or raise limit` : '';
      return text(body, `${under.length} scrolls in ${where}${more}; phext version ${version}`);
    }),
  );

  server.registerTool(
    'sq_search',
    {
      title: 'Search text',
      description: 'Scrolls whose text contains the query (case-insensitive unless asked), with the text around the first match.',
      inputSchema: {
        query: z.string().min(1).max(1000).describe('The text to find'),
        p: P,
        c: BRANCH,
        limit: z.number().int().min(1).max(1000).optional().describe('At most this many matches (default 20)'),
        case_sensitive: z.boolean().optional(),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ query, p, c, limit, case_sensitive }) => {
      const prefix = branchOf(c);
      const most = limit ?? 20;
      const needle = case_sensitive ? query : query.toLowerCase();
      const { version, scrolls } = await backend.scrolls(phextOf(p), limits.searchBytes);
      const hits: string[] = [];
      let total = 0;
      for (const scroll of scrolls) {
        if (!inBranch(scroll.coord, prefix)) continue;
        const at = (case_sensitive ? scroll.text : scroll.text.toLowerCase()).indexOf(needle);
        if (at < 0) continue;
        total++;
        if (hits.length >= most) continue;
        const from = Math.max(0, at - 40);
        const around = scroll.text.slice(from, at + query.length + 40).replace(/\s+/g, ' ');
        hits.push(`${scroll.coord}: ${from > 0 ? '…' : ''}${around}${at + query.length + 40 < scroll.text.length ? '…' : ''}`);
      }
      if (total === 0) return text(`No scroll of ${named(p)} contains ${JSON.stringify(query)} (phext version ${version}).`);
      const more = total > hits.length ? ` (${total - hits.length} more past the limit)` : '';
      return text(clipLines(hits, max, 'narrow the query'), `${total} scrolls match${more}; phext version ${version}`);
    }),
  );

  server.registerTool(
    'sq_info',
    {
      title: 'Server and phext info',
      description: "Where the phexts are, the server's version, and for a phext its size, scroll count and version.",
      inputSchema: { p: P },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ p }) => {
      const lines = [
        `SQ ${await backend.version()} at ${backend.where}`,
        `Answers are cut at ${max} bytes; searches read phexts up to ${limits.searchBytes} bytes.`,
      ];
      const info = await backend.info(phextOf(p));
      lines.push(
        `${named(p)}: ${info.bytes} bytes, ${info.scrolls} scrolls, version ${info.version}${info.version === 0 && info.scrolls === 0 ? ' (empty or missing)' : ''}`,
      );
      return text(lines.join('\n'));
    }),
  );
}
