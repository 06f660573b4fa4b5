import { Phext, checksum, delta, serialize, serializedGrowth, toc, where } from '../phext/index.js';
import { VERSION } from '../cli/version.js';
import type { CommandContext, Reply } from './context.js';
import { HttpError } from './http-error.js';
import { asPageFile } from './page-file.js';

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

function jsonExport(phext: Phext): string {
  const rows: { coord: string; scroll: string }[] = [];
  for (const s of phext.scrolls()) rows.push({ coord: s.coordinate.toString(), scroll: s.text });
  return JSON.stringify(rows);
}

const WHERE_ALGOS = new Set(['xor', 'checksum']);

/** The command table: exact names, no prefixes. */
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
    handle: async (ctx) => ({ body: toc(await currentPhext(ctx)) }),
  },
  get: {
    methods: READ, needsPhext: true,
    handle: async (ctx) => asPageFile(ctx, { body: (await ctx.read())?.bytes ?? '' }),
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
      const phext = await currentPhext(ctx);
      const manifest = ctx.method === 'POST' ? ctx.bodyText() : '';
      return { body: serialize(delta(phext, manifest)) };
    },
  },
  'json-export': {
    methods: READ, needsPhext: true,
    handle: async (ctx) => ({
      body: jsonExport(await currentPhext(ctx)),
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
      const algo = ctx.params.get('algo') || 'xor';
      if (!WHERE_ALGOS.has(algo)) throw new HttpError(400, `Unknown algo '${algo}': use xor or checksum`);
      const limitText = ctx.params.get('limit') || '100';
      if (!/^\d{1,9}$/.test(limitText)) throw new HttpError(400, `Invalid limit '${limitText}': use a whole number`);
      const limit = Number(limitText);
      const input = ctx.bodyText() !== '' ? ctx.bodyText() : (ctx.params.get('s') ?? '');
      const coordinate = where(input, algo as 'xor' | 'checksum', limit);
      return { body: `Calculated coordinate ${coordinate.toString()} for input (algo=${algo}, limit=${limit}).` };
    },
  },
};
