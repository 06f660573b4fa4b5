import { manifest, type Coordinate, type Phext, type WhereAlgorithm } from '../phext/index.js';
import { bodyText } from '../commands/body-stream.js';
import { CommandError, describeError, type CommandErrorCode } from '../commands/errors.js';
import {
  coordinate,
  decodeInput,
  ifVersion,
  scrollText,
  whereAlgo,
  whereLimit,
  type InputDecoder,
  type PhextRef,
} from '../commands/input.js';
import { COMMANDS } from '../commands/table.js';
import type { DocumentKey, DocumentStore } from '../store/document-store.js';
import { ProtocolError } from './protocol-error.js';
import type { DaemonRequest } from './request.js';

/** The one phext a daemon serves. */
export interface SharedPhext {
  readonly store: DocumentStore;
  /** Absolute path of the `.phext` file, as the daemon reports it. */
  readonly path: string;
  /** The file as the store addresses it. */
  readonly key: DocumentKey;
}

/** Answers a request for the shared phext; throws an Error whose message is the client's error line. */
type Handler = (shared: SharedPhext, request: DaemonRequest, connectionId: number) => Promise<string>;

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The command input of a daemon request: `coord` is the coordinate, `text` the scroll text (or
 * the manifest, or what `where` reads), the phext is always the shared file.
 */
class DaemonInput implements InputDecoder {
  constructor(
    private readonly shared: SharedPhext,
    private readonly request: DaemonRequest,
    private readonly id: number,
  ) {}

  phext(): PhextRef {
    return this.shared.key;
  }

  coordinate(): Coordinate {
    return coordinate(this.request.coord);
  }

  text(): string {
    return scrollText(this.request.text ?? '');
  }

  manifest(): string {
    return this.request.text ?? '';
  }

  source(): string {
    return this.request.text ?? '';
  }

  algo(): WhereAlgorithm {
    return whereAlgo(this.request.algo);
  }

  limit(): number {
    return whereLimit(this.request.limit === undefined ? undefined : String(this.request.limit));
  }

  connectionId(): number {
    return this.id;
  }

  ifVersion(): number | undefined {
    return this.request.if_match === undefined ? undefined : ifVersion(String(this.request.if_match));
  }
}

/** The shared command table, answered with the text `sq host` would send. */
const SHARED: Record<string, Handler> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, command]): [string, Handler] => [
    name,
    async (shared, request, connectionId) => {
      const input = decodeInput(new DaemonInput(shared, request, connectionId), command.needs);
      return bodyText((await command.run(input, { store: shared.store })).body);
    },
  ]),
);

/** Commands only the daemon has. */
const DAEMON_ONLY: Record<string, Handler> = {
  /** `<coord>: <checksum>` per scroll: what a delta client would send. */
  manifest: async (shared) => {
    const snapshot = await shared.store.read(shared.key);
    return snapshot ? manifest(snapshot.phext) : '';
  },
  /** Replaces several scrolls in one durable commit (`sq slurp`): all of them or none. */
  'update-many': async (shared, request) => {
    const scrolls = (request.scrolls ?? []).map((s) => ({ at: coordinate(s.coord), text: scrollText(s.text) }));
    if (scrolls.length === 0) throw new ProtocolError("update-many needs a non-empty 'scrolls' list");
    await shared.store.mutate(shared.key, (phext: Phext) => {
      for (const s of scrolls) phext.set(s.at, s.text);
    });
    const bytes = scrolls.reduce((sum, s) => sum + utf8Bytes(s.text), 0);
    return `Updated ${scrolls.length} scrolls (${bytes} bytes)`;
  },
};

/** Every command the daemon answers (besides `shutdown`, which the daemon itself handles). */
export const HANDLERS: Readonly<Record<string, Handler>> = { ...SHARED, ...DAEMON_ONLY };

/** Where the client's lines have always been worded in the CLI's lower case (`sq update: ...`). */
const DAEMON_WORDING: Partial<Record<CommandErrorCode, (detail: string) => string>> = {
  'invalid-coordinate': (problem) => `invalid coordinate: ${problem}`,
  'delimiter-in-text': () => 'scroll text contains a phext delimiter byte (0x01, 0x17-0x1A, 0x1C-0x1F)',
};

/** The one place where errors become the daemon's answers: the one-line message a client sees. */
export function errorMessage(err: unknown): string {
  if (err instanceof ProtocolError) return err.message.split('\n', 1)[0] ?? '';
  const wording = err instanceof CommandError ? DAEMON_WORDING[err.code] : undefined;
  if (wording) return wording((err as CommandError).detail);
  return describeError(err)?.message ?? `internal error: ${(err as Error)?.message ?? String(err)}`;
}
