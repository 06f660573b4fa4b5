import { PhextInputError } from '../phext/index.js';
import { QuotaError, StoreError } from '../store/index.js';

/**
 * Every refusal a command raises itself, with its status and its one-line message. A transport
 * turns any error into its answer through {@link describeError}, so a code keeps one status and
 * one text whichever way the command was asked.
 */
const ERRORS = {
  'invalid-coordinate': { status: 400, message: (problem: string) => `Invalid coordinate: ${problem}` },
  'delimiter-in-text': {
    status: 400,
    message: () => 'Scroll text contains phext delimiter bytes (0x01, 0x17-0x1A, 0x1C-0x1F); send one scroll per request',
  },
  'unknown-algo': { status: 400, message: (algo: string) => `Unknown algo '${algo}': use xor or checksum` },
  'invalid-limit': { status: 400, message: (limit: string) => `Invalid limit '${limit}': use a whole number` },
  'invalid-version': {
    status: 400,
    message: (value: string) => `Invalid If-Match '${value}': give one version, as the ETag shows it (e.g. "7"), or *`,
  },
} as const satisfies Record<string, { status: number; message: (detail: string) => string }>;

export type CommandErrorCode = keyof typeof ERRORS;

/** A command's input refused: `code` names the rule, `detail` the offending part. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  readonly status: number;

  constructor(
    readonly code: CommandErrorCode,
    readonly detail = '',
  ) {
    super(ERRORS[code].message(detail));
    this.status = ERRORS[code].status;
  }
}

/** What a known refusal means: its status and one-line message. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

/**
 * The status and one-line message of a refusal raised below the transports (a command, the codec,
 * the store, a quota); undefined for anything else, which a transport reports as an internal error.
 */
export function describeError(err: unknown): Refusal | undefined {
  if (err instanceof CommandError || err instanceof StoreError || err instanceof QuotaError) {
    return { status: err.status, message: firstLine(err) };
  }
  if (err instanceof PhextInputError) return { status: 400, message: firstLine(err) };
  return undefined;
}

function firstLine(err: Error): string {
  return err.message.split('\n', 1)[0] ?? '';
}
