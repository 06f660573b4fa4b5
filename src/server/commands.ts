import { Phext, checksum, deltaScrolls, serializePieces, serializedGrowth, tocLines, where, whereAlgorithm, whereLimit } from '../phext/index.js';
import { VERSION } from '../cli/version.js';
import { StreamedBody } from './body-stream.js';
import type { CommandContext, Reply } from './context.js';
import { HttpError } from './http-error.js';
import { asPageFile } from './page-file.js';
import { jsonExportPieces } from './json-export.js';

/** One `/api/v2/<name>` command: the methods it answers and what it does. */
export interface CommandSpec {
  readonly methods: readonly string[];
  /** False for commands that need no phext (`version`). */
  readonly needsPhext: boolean;
  handle(ctx: CommandContext): Promise<Reply>;
}

const READ = ['GET', 'HEAD', 'POST'] as const;
const WRITE = ['GET', 'POST'] as const;
const EMPTY = new Phext();

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

async function currentPhext(ctx: CommandContext): Promise<Phext> {
  return (await ctx.read())?.phext ?? EMPTY;
}

/**
 * An answer streamed from the current snapshot's phext; the stream holds the snapshot, so that
 * concurrent readers of the same version share it even when it is too large for the cache.
 */
async function streamFromPhext(ctx: CommandContext, pieces: (phext: Phext) => Iterable<string>): Promise<StreamedBody> {
  const snapshot = await ctx.read();
  return StreamedBody.fromPieces(pieces(snapshot?.phext ?? EMPTY), { holds: snapshot });
}

/**
 * The command table: exact names, no prefixes. Answers that grow with the phext (`get`, `toc`,
 * `delta`, `json-export`) are streamed from the snapshot in chunks rather than built whole.
 */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  version: {
    methods: READ, needsPhext: false,
    handle: async () => ({ body: VERSION }),
  },
  load: {
    methods: WRITE, needsPhext: true,
    handle: async (ctx) => {
      await ctx.store.reload(ctx.path());
      return { body: `Loaded ${ctx.name()}.phext` };
    },
  },
  select: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => {
      const c = ctx.coordinate();
      return asPageFile(ctx, { body: (await currentPhext(ctx)).get(c) });
    },
  },
  insert: {
    methods: WRITE, needsPhext: true,
    handle: async (ctx) => {
      const c = ctx.coordinate();
      const text = ctx.scrollText();
      await ctx.mutate((phext) => ({
        growth: () => serializedGrowth(phext, c, phext.get(c) + text),
        apply: () => phext.set(c, phext.get(c) + text),
      }));
      return { body: `Inserted ${utf8Bytes(text)} bytes` };
    },
  },
  update: {
    methods: WRITE, needsPhext: true,
    handle: async (ctx) => {
      const c = ctx.coordinate();
      const text = ctx.scrollText();
      await ctx.mutate((phext) => ({
        growth: () => serializedGrowth(phext, c, text),
        apply: () => phext.set(c, text),
      }));
      return { body: `Updated ${utf8Bytes(text)} bytes` };
    },
  },
  delete: {
    methods: ['GET', 'POST', 'DELETE'], needsPhext: true,
    handle: async (ctx) => {
      const c = ctx.coordinate();
      // Deleting from a phext that does not exist must not create its file.
      if (!(await ctx.read())?.phext.has(c)) return { body: 'Removed 0 bytes' };
      const removed = await ctx.mutate((phext) => ({
        growth: () => serializedGrowth(phext, c, ''),
        apply: () => utf8Bytes(phext.delete(c)),
      }));
      return { body: `Removed ${removed} bytes` };
    },
  },
  toc: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => ({ body: await streamFromPhext(ctx, tocLines) }),
  },
  get: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => {
      const snapshot = await ctx.read();
      return asPageFile(ctx, { body: snapshot ? StreamedBody.fromBuffer(snapshot.bytes, { holds: snapshot }) : '' });
    },
  },
  checksum: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => {
      const snapshot = await ctx.read();
      return { body: snapshot ? snapshot.checksum() : checksum('') };
    },
  },
  delta: {
    methods: ['GET', 'HEAD', 'POST'], needsPhext: true,
    handle: async (ctx) => {
      const manifest = ctx.method === 'POST' ? ctx.bodyText() : '';
      return { body: await streamFromPhext(ctx, (phext) => serializePieces(deltaScrolls(phext, manifest))) };
    },
  },
  'json-export': {
    methods: READ, needsPhext: true,
    handle: async (ctx) => ({
      body: await streamFromPhext(ctx, jsonExportPieces),
      contentType: 'application/json; charset=utf-8',
    }),
  },
  status: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => {
      const snapshot = await ctx.read();
      const lines = [
        `Hosting: ${ctx.name()}.phext`,
        `Connection ID: ${ctx.connectionId}`,
        `Phext Size: ${snapshot?.bytes.length ?? 0}`,
        `Scrolls: ${snapshot?.phext.size ?? 0}`,
      ];
      return { body: lines.join('\n') };
    },
  },
  where: {
    methods: ['POST'], needsPhext: false,
    handle: async (ctx) => {
      const algo = whereAlgorithm(ctx.params.get('algo'));
      if (algo === undefined) throw new HttpError(400, `Unknown algo '${ctx.params.get('algo')}': use xor or checksum`);
      const limit = whereLimit(ctx.params.get('limit'));
      if (limit === undefined) throw new HttpError(400, `Invalid limit '${ctx.params.get('limit')}': use a whole number`);
      const input = ctx.bodyText() !== '' ? ctx.bodyText() : (ctx.params.get('s') ?? '');
      const coordinate = where(input, algo, limit);
      return { body: `Calculated coordinate ${coordinate.toString()} for input (algo=${algo}, limit=${limit}).` };
    },
  },
};
