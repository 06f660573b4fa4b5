import { z } from 'zod';
import { ProtocolError } from './protocol-error.js';

// The daemon's side of the protocol, apart from protocol.ts so that a client command (which only
// frames lines) does not load zod (CLI startup time).

const scrollEntry = z.object({ coord: z.string(), text: z.string() }).strict();

/** One request. Which fields a command uses is up to the command; unknown fields are refused. */
const daemonRequest = z
  .object({
    cmd: z.string().min(1),
    coord: z.string().optional(),
    text: z.string().optional(),
    algo: z.string().optional(),
    limit: z.union([z.number().int().nonnegative(), z.string()]).optional(),
    /** A write applies only to this version of the phext (as HTTP's If-Match). */
    if_match: z.union([z.number().int().nonnegative(), z.string()]).optional(),
    /** `update-many`: scrolls written together in one durable commit. */
    scrolls: z.array(scrollEntry).optional(),
  })
  .strict();

export type DaemonRequest = z.infer<typeof daemonRequest>;

/** Parses and checks one request line (UTF-8 JSON, the schema above). */
export function parseRequest(line: Buffer): DaemonRequest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
  } catch (e) {
    throw new ProtocolError(e instanceof TypeError ? 'request is not valid UTF-8' : `request is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = daemonRequest.safeParse(value);
  if (!parsed.success) {
    // A failed parse carries at least one issue; zod's own summary stands in should one ever not.
    const issue = parsed.error.issues[0];
    if (!issue) throw new ProtocolError(`invalid request: ${parsed.error.message}`);
    const at = issue.path.length > 0 ? `'${issue.path.join('.')}': ` : '';
    throw new ProtocolError(`invalid request: ${at}${issue.message}`);
  }
  // JSON may spell lone UTF-16 surrogates (\ud800); they have no UTF-8 form and would be stored as U+FFFD.
  for (const text of stringsOf(parsed.data)) {
    if (LONE_SURROGATE.test(text)) throw new ProtocolError('request text contains a lone UTF-16 surrogate (not valid Unicode)');
  }
  return parsed.data;
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function* stringsOf(request: DaemonRequest): Iterable<string> {
  if (request.text !== undefined) yield request.text;
  for (const s of request.scrolls ?? []) yield s.text;
}
