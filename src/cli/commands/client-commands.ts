import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// The codec's own files rather than its index: the index loads the checksum's native xxhash,
// which a client command never needs (startup time).
import { Coordinate } from '../../phext/coordinate.js';
import { whereAlgorithm, whereLimit } from '../../phext/where-options.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { DEFAULT_TIMEOUT_MS, DaemonClient } from '../../daemon/client.js';
import { diffLines, readScrollFile, readTextFiles, slurpLayout } from '../../daemon/client-files.js';
import { UsageError, type Command } from '../command.js';

/** What a client command's `run` gets: its positional arguments and options, and a connected client. */
interface Invocation {
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | undefined>>;
  readonly client: DaemonClient;
  /** The first argument as a checked coordinate (commands whose first argument is `<coord>`). */
  readonly coord: Coordinate;
}

/** One row of the client command table. */
interface ClientSpec {
  readonly name: string;
  /** Positional argument names; a leading `<coord>` is checked and prefixes the output. */
  readonly args: readonly string[];
  readonly summary: string;
  /** Extra usage lines (options). */
  readonly details?: string;
  readonly options?: Record<string, { type: 'string' }>;
  /** Checks the arguments before connecting; throws UsageError. */
  check?(call: Pick<Invocation, 'args' | 'options'>): void;
  /** The text to print (a newline is added unless it already ends with one, or `raw`). */
  run(call: Invocation): Promise<string>;
  /** Print the output byte for byte (`sq get > copy.phext`). */
  readonly raw?: boolean;
}

async function writeOut(file: string, text: string): Promise<number> {
  const data = Buffer.from(text, 'utf8');
  await writeFileAtomic(file, data);
  return data.length;
}

/** The client commands: each sends requests to the daemon of the current directory. */
const CLIENT_SPECS: readonly ClientSpec[] = [
  {
    name: 'select',
    args: ['<coord>'],
    summary: 'Print the scroll at <coord>',
    run: ({ client, coord }) => client.request({ cmd: 'select', coord: coord.toString() }),
  },
  {
    name: 'insert',
    args: ['<coord>', '<text>'],
    summary: 'Append <text> to the scroll at <coord>',
    run: ({ client, coord, args }) => client.request({ cmd: 'insert', coord: coord.toString(), text: args[1] }),
  },
  {
    name: 'update',
    args: ['<coord>', '<text>'],
    summary: 'Replace the scroll at <coord> with <text>',
    run: ({ client, coord, args }) => client.request({ cmd: 'update', coord: coord.toString(), text: args[1] }),
  },
  {
    name: 'delete',
    args: ['<coord>'],
    summary: 'Remove the scroll at <coord>',
    run: ({ client, coord }) => client.request({ cmd: 'delete', coord: coord.toString() }),
  },
  {
    name: 'push',
    args: ['<coord>', '<file>'],
    summary: 'Replace the scroll at <coord> with the contents of <file>',
    run: ({ client, coord, args }) => client.request({ cmd: 'update', coord: coord.toString(), text: readScrollFile(args[1]!) }),
  },
  {
    name: 'pull',
    args: ['<coord>', '<file>'],
    summary: 'Write the scroll at <coord> to <file> (atomically)',
    run: async ({ client, coord, args }) => {
      const n = await writeOut(args[1]!, await client.request({ cmd: 'select', coord: coord.toString() }));
      return `Pulled ${n} bytes into ${args[1]}`;
    },
  },
  { name: 'toc', args: [], summary: 'Print the table of contents', run: ({ client }) => client.request({ cmd: 'toc' }) },
  { name: 'checksum', args: [], summary: 'Print the checksum of the phext', run: ({ client }) => client.request({ cmd: 'checksum' }) },
  {
    name: 'delta',
    args: [],
    summary: 'Print the manifest: "<coord>: <checksum>" per scroll',
    details: 'These are the lines a delta client sends (A2 delta); diff two manifests to see what changed.',
    run: ({ client }) => client.request({ cmd: 'manifest' }),
  },
  { name: 'status', args: [], summary: 'Print what the daemon serves', run: ({ client }) => client.request({ cmd: 'status' }) },
  {
    name: 'get',
    args: [],
    summary: 'Print the whole phext, byte for byte',
    raw: true,
    run: ({ client }) => client.request({ cmd: 'get' }),
  },
  {
    name: 'save',
    args: ['<file>'],
    summary: 'Write the whole phext to <file> (atomically)',
    run: async ({ client, args }) => `Saved ${await writeOut(args[0]!, await client.request({ cmd: 'get' }))} bytes to ${args[0]}`,
  },
  {
    name: 'json-export',
    args: ['<file>'],
    summary: 'Write every scroll to <file> as JSON, in coordinate order',
    run: async ({ client, args }) => {
      const json = await client.request({ cmd: 'json-export' });
      await writeOut(args[0]!, json + '\n');
      return `Exported ${(JSON.parse(json) as unknown[]).length} scrolls to ${args[0]}`;
    },
  },
  {
    name: 'diff',
    args: ['<other.phext>'],
    summary: 'List coordinates that differ from another phext file',
    details:
      'Lines "+ <coord>" (only in <other.phext>), "- <coord>" (only in the shared phext),\n"~ <coord>" (in both, different text); nothing when they hold the same scrolls.',
    run: async ({ client, args }) => {
      // Imported here: the parser's phext holds its scrolls in sorted-btree, which no other client command needs.
      const { parse } = await import('../../phext/parse.js');
      const other = parse(readFileSync(args[0]!));
      return diffLines(parse(Buffer.from(await client.request({ cmd: 'get' }), 'utf8')), other).join('\n');
    },
  },
  {
    name: 'slurp',
    args: ['<coord>', '<dir>'],
    summary: 'Import the text files of <dir> into the scrolls after <coord>',
    details:
      'Files are taken sorted by name (not recursive) into <coord> with scroll +1, +2, ...; a summary\nscroll at <coord> lists "name -> coord". Binary, non-UTF-8 and delimiter-holding files are skipped.\nAll scrolls are written in one durable commit.',
    run: async ({ client, coord, args }) => {
      const { files, skipped } = readTextFiles(args[1]!);
      for (const s of skipped) process.stderr.write(`sq slurp: warning: skipping ${s.name}: ${s.reason}\n`);
      if (files.length === 0) throw new Error(`no text files to import in ${args[1]}`);
      const scrolls = slurpLayout(coord, files);
      await client.request({ cmd: 'update-many', scrolls });
      return `Slurped ${files.length} files into ${scrolls[1]!.coord} .. ${scrolls.at(-1)!.coord}`;
    },
  },
  {
    name: 'where',
    args: ['<text>'],
    summary: 'Calculate a coordinate for <text>',
    details:
      'Options:\n  --algo xor|checksum   (default xor)\n  --limit N             xor ignores scrolls shorter than N bytes (default 100)',
    options: { algo: { type: 'string' }, limit: { type: 'string' } },
    check: ({ options }) => {
      if (whereAlgorithm(options.algo) === undefined) throw new UsageError(`--algo must be xor or checksum, got '${options.algo}'`);
      if (whereLimit(options.limit) === undefined) throw new UsageError(`--limit must be a whole number, got '${options.limit}'`);
    },
    run: ({ client, args, options }) =>
      client.request({ cmd: 'where', text: args[0], algo: whereAlgorithm(options.algo), limit: whereLimit(options.limit) }),
  },
  { name: 'shutdown', args: [], summary: 'Ask the daemon to flush and exit', run: ({ client }) => client.request({ cmd: 'shutdown' }) },
];

const COORD_TEXT = /^[0-9]+([./;][0-9]+)*$/;

/** The coordinate argument; stricter than the wire (which skips stray characters) to catch swapped arguments. */
function coordinateArg(text: string): Coordinate {
  if (!COORD_TEXT.test(text)) {
    throw new UsageError(
      `invalid coordinate '${text}': expected library.shelf.series/collection.volume.book/chapter.section.scroll, e.g. 1.1.1/1.1.1/1.1.1`,
    );
  }
  const coord = Coordinate.parse(text);
  const problem = coord.problem();
  if (problem) throw new UsageError(`invalid coordinate: ${problem}`);
  return coord;
}

/** `--timeout S`, else SQ_TIMEOUT, else the default: seconds (fractions allowed) > 0, as milliseconds. */
function timeoutOption(flag: string | undefined): number {
  const [text, source] = flag !== undefined ? [flag, '--timeout'] : [process.env.SQ_TIMEOUT, 'SQ_TIMEOUT'];
  if (text === undefined || (source === 'SQ_TIMEOUT' && text === '')) return DEFAULT_TIMEOUT_MS;
  const seconds = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(seconds > 0) || seconds > 86_400) throw new UsageError(`${source} must be a number of seconds > 0 (at most 86400), got '${text}'`);
  return Math.ceil(seconds * 1000);
}

function usageOf(spec: ClientSpec): string {
  const opts = spec.options ? ' [options]' : ' [--timeout S]';
  const lines = [`Usage: sq ${spec.name}${spec.args.map((a) => ' ' + a).join('')}${opts}`, '', spec.summary + '.'];
  if (spec.details) lines.push(spec.details);
  if (spec.args.includes('<text>'))
    lines.push(
      `Text that starts with '-' goes after --: sq ${spec.name} ${spec.args[0] === '<coord>' ? '1.1.1/1.1.1/1.1.1 ' : ''}-- '-5 degrees'`,
    );
  lines.push(
    '',
    'Talks to the daemon started by sq share in this directory; --timeout S (or env SQ_TIMEOUT)',
    `gives up when it stays silent S seconds (default ${DEFAULT_TIMEOUT_MS / 1000}).`,
  );
  return lines.join('\n');
}

function toCommand(spec: ClientSpec): Command {
  const usage = usageOf(spec);
  return {
    name: spec.name,
    summary: spec.summary,
    usage,
    async run(argv) {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: { ...spec.options, timeout: { type: 'string' } },
      });
      if (positionals.length !== spec.args.length) {
        throw new UsageError(spec.args.length === 0 ? 'expected no arguments' : `expected ${spec.args.join(' ')}`);
      }
      const coord = spec.args[0] === '<coord>' ? coordinateArg(positionals[0]!) : Coordinate.ORIGIN;
      const { timeout, ...options } = values as Record<string, string | undefined>;
      const timeoutMs = timeoutOption(timeout);
      spec.check?.({ args: positionals, options });
      const client = await DaemonClient.connect(process.cwd(), timeoutMs);
      let out: string;
      try {
        out = await spec.run({ args: positionals, options, client, coord });
      } finally {
        client.close();
      }
      if (spec.args[0] === '<coord>') out = `${coord.toString()}: ${out}`;
      // Empty output (an empty toc, no differences) prints nothing rather than a blank line.
      if (!spec.raw && out !== '' && !out.endsWith('\n')) out += '\n';
      process.stdout.write(out);
      return 0;
    },
  };
}

/** `sq select`, `sq insert`, ...: one Command per row of the client table. */
export const CLIENT_COMMANDS: readonly Command[] = CLIENT_SPECS.map(toCommand);
