import { Coordinate, containsDelimiter, whereAlgorithm, whereLimit as parseWhereLimit, type WhereAlgorithm } from '../phext/index.js';
import type { DocumentKey } from '../store/document-store.js';
import { CommandError } from './errors.js';

/**
 * Everything a command may be given. A transport decodes each field from its own request (HTTP
 * parameters and body, a daemon's JSON line) with the rules below, and only the fields the
 * command needs (see {@link decodeInput}), so a command that never looks at `c` cannot be refused for it.
 */
export interface CommandInput {
  /** The phext the command works on. */
  readonly phext: PhextRef;
  readonly coordinate: Coordinate;
  /** The text of one scroll: never a delimiter byte (see {@link scrollText}). */
  readonly text: string;
  /** A delta client's manifest, `<coord>: <checksum>` per line ('' for none). */
  readonly manifest: string;
  /** The text `where` infers a coordinate from (any phext). */
  readonly source: string;
  readonly algo: WhereAlgorithm;
  readonly limit: number;
  /** The connection the request came on, as `status` reports it. */
  readonly connectionId: number;
  /** A write applies only to this version of the phext (HTTP If-Match); undefined: any. */
  readonly ifVersion: number | undefined;
}

/** A phext as a command addresses it: the tenant's phext by the name it prints, as the store keys it. */
export type PhextRef = DocumentKey;

/** How one transport produces each field; asked lazily, in the order the command lists them. */
export type InputDecoder = { readonly [K in keyof CommandInput]: () => CommandInput[K] };

/** The fields `needs` of a request, decoded (and so validated) in that order. */
export function decodeInput<K extends keyof CommandInput>(decoder: InputDecoder, needs: readonly K[]): Pick<CommandInput, K> {
  const input: Partial<Pick<CommandInput, K>> = {};
  for (const field of needs) input[field] = decoder[field]() as CommandInput[K];
  return input as Pick<CommandInput, K>;
}

/** A coordinate as the original reads it (origin when empty); a part outside 1..999 is refused. */
export function coordinate(text: string | undefined): Coordinate {
  const c = Coordinate.parse(text ?? '');
  const problem = c.problem();
  if (problem !== undefined) throw new CommandError('invalid-coordinate', problem);
  return c;
}

/** `text` as one scroll: a delimiter byte would split it the next time the file is read. */
export function scrollText(text: string): string {
  if (containsDelimiter(text)) throw new CommandError('delimiter-in-text');
  return text;
}

/**
 * The version a write expects, as HTTP's If-Match gives it (`"7"`, `7` or `W/"7"` is not allowed:
 * If-Match compares strongly); `*` or absent: any version.
 */
export function ifVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '*') return undefined;
  const m = /^"?(\d{1,15})"?$/.exec(t);
  if (!m) throw new CommandError('invalid-version', text);
  return Number(m[1]);
}

/** `where`'s algorithm; absent or empty means xor. */
export function whereAlgo(text: string | undefined): WhereAlgorithm {
  const algo = whereAlgorithm(text);
  if (algo === undefined) throw new CommandError('unknown-algo', text ?? '');
  return algo;
}

/** `where`'s minimum scroll length; absent or empty means SQ's default (100). */
export function whereLimit(text: string | undefined): number {
  const limit = parseWhereLimit(text);
  if (limit === undefined) throw new CommandError('invalid-limit', text ?? '');
  return limit;
}
