import { basename, dirname } from 'node:path';
import {
  Coordinate, PhextInputError, manifest, requireScrollText, requireValid, type Phext,
} from '../phext/index.js';
import { StoreError, type DocumentStore } from '../store/document-store.js';
import { bodyText } from '../server/body-stream.js';
import { COMMANDS } from '../server/commands.js';
import type { CommandContext } from '../server/context.js';
import { HttpError } from '../server/http-error.js';
import type { Params } from '../server/params.js';
import type { DaemonRequest } from './protocol.js';
import { ProtocolError } from './protocol.js';

/** The one phext a daemon serves. */
export interface SharedPhext {
  readonly store: DocumentStore;
  /** Absolute path of the `.phext` file. */
  readonly path: string;
}

/** Answers a request for the shared phext; throws an Error whose message is the client's error line. */
type Handler = (shared: SharedPhext, request: DaemonRequest, connectionId: number) => Promise<string>;

const coordinateOf = (text: string | undefined): Coordinate => requireValid(Coordinate.parse(text ?? ''));
const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * A REST command context over a socket request, so the daemon runs the very same command table
 * as `sq host` (same texts, same validation): `coord` is `c`, `text` is the body, the phext is
 * the shared file.
 */
function contextFor(shared: SharedPhext, request: DaemonRequest, connectionId: number): CommandContext {
  const params: Params = new Map();
  if (request.coord !== undefined) params.set('c', request.coord);
  if (request.algo !== undefined) params.set('algo', request.algo);
  if (request.limit !== undefined) params.set('limit', String(request.limit));
  const text = request.text ?? '';
  const ctx: CommandContext = {
    method: 'POST', params, connectionId,
    store: shared.store,
    tenant: { name: 'local', dataDir: dirname(shared.path) },
    name: () => basename(shared.path, '.phext'),
    path: () => shared.path,
    coordinate: () => coordinateOf(request.coord),
    scrollText: () => requireScrollText(text),
    bodyText: () => text,
    read: () => shared.store.read(shared.path),
    mutate: (plan) => shared.store.mutate(shared.path, (phext) => plan(phext).apply()),
  };
  return ctx;
}

function fromRestTable(name: string): Handler {
  const spec = COMMANDS[name];
  return async (shared, request, connectionId) => {
    const reply = await spec.handle(contextFor(shared, request, connectionId));
    return bodyText(reply.body);
  };
}

/** Commands only the daemon has. */
const DAEMON_ONLY: Record<string, Handler> = {
  /** `<coord>: <checksum>` per scroll: what a delta client would send. */
  manifest: async (shared) => {
    const snapshot = await shared.store.read(shared.path);
    return snapshot ? manifest(snapshot.phext) : '';
  },
  /** Replaces several scrolls in one durable commit (`sq slurp`): all of them or none. */
  'update-many': async (shared, request) => {
    const scrolls = (request.scrolls ?? []).map((s) => ({ at: coordinateOf(s.coord), text: requireScrollText(s.text) }));
    if (scrolls.length === 0) throw new ProtocolError("update-many needs a non-empty 'scrolls' list");
    await shared.store.mutate(shared.path, (phext: Phext) => {
      for (const s of scrolls) phext.set(s.at, s.text);
    });
    const bytes = scrolls.reduce((sum, s) => sum + utf8Bytes(s.text), 0);
    return `Updated ${scrolls.length} scrolls (${bytes} bytes)`;
  },
};

/** Every command the daemon answers (besides `shutdown`, which the daemon itself handles). */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  ...Object.fromEntries(Object.keys(COMMANDS).map((name) => [name, fromRestTable(name)])),
  ...DAEMON_ONLY,
};

/** The one-line message a client sees for a failed request. */
export function errorMessage(err: unknown): string {
  if (err instanceof PhextInputError || err instanceof HttpError || err instanceof StoreError || err instanceof ProtocolError) {
    return err.message.split('\n')[0];
  }
  return `internal error: ${(err as Error)?.message ?? String(err)}`;
}
