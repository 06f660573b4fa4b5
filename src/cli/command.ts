/** One `sq` subcommand. `run` returns the process exit code. */
export interface Command {
  /** The word after `sq`. */
  readonly name: string;
  /** One line for `sq help`. */
  readonly summary: string;
  /** Full usage text for `sq <name> --help`. */
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** Wrong or missing arguments: the dispatcher prints the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
