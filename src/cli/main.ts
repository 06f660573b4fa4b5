import { UsageError } from './command.js';
import { COMMANDS } from './command-table.js';
import { VERSION } from '../version.js';

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 7);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    `sq ${VERSION} — a database server for phext`,
    '',
    'Usage: sq <command> [arguments]',
    '',
    'Commands:',
    `  ${'help'.padEnd(width)}  Show this help (sq <command> --help for details)`,
    `  ${'version'.padEnd(width)}  Print the version`,
    ...lines,
  ].join('\n');
}

/** Runs `sq` with the given arguments and sets the process exit code. */
export async function main(argv: string[]): Promise<void> {
  process.exitCode = await dispatch(argv);
}

async function dispatch(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(helpText() + '\n');
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = rest[0] && COMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write((topic ? (await topic.load()).usage : helpText()) + '\n');
    return 0;
  }
  if (name === 'version' || name === '--version' || name === '-V') {
    process.stdout.write(VERSION + '\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`sq: unknown command '${name}'\n\n${helpText()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // parseArgs rejects unknown options and missing values with ERR_PARSE_ARGS_* errors.
    const parseArgsError = String((err as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseArgsError) {
      process.stderr.write(`sq ${name}: ${(err as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`sq ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
