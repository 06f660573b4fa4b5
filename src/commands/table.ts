import { Phext, checksum, deltaScrolls, serializePieces, tocLines, where } from '../phext/index.js';
import type { DocumentStore } from '../store/document-store.js';
import { VERSION } from '../version.js';
import { StreamedBody } from './body-stream.js';
import { command, type Command } from './command.js';
import type { PhextRef } from './input.js';
import { jsonExportPieces } from './json-export.js';

const EMPTY = new Phext();

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * An answer streamed from the current snapshot's phext; the stream holds the snapshot, so that
 * concurrent readers of the same version share it even when it is too large for the cache.
 */
async function streamFromPhext(
  store: DocumentStore,
  phext: PhextRef,
  pieces: (phext: Phext) => Iterable<string>,
): Promise<{ body: StreamedBody; version: number }> {
  const snapshot = await store.read(phext);
  return { body: StreamedBody.fromPieces(pieces(snapshot?.phext ?? EMPTY), { holds: snapshot }), version: snapshot?.version ?? 0 };
}

/**
 * The command table: exact names, no prefixes. Answers that grow with the phext (`get`, `toc`,
 * `delta`, `json-export`) are streamed from the snapshot in chunks rather than built whole.
 * A write only changes its draft: the store measures the growth and asks the quota ledger.
 */
export const COMMANDS = {
  version: command({
    needs: [],
    run: async () => ({ body: VERSION }),
  }),
  load: command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => {
      await store.reload(phext);
      return { body: `Loaded ${phext.name}.phext` };
    },
  }),
  select: command({
    needs: ['coordinate', 'phext'],
    page: true,
    run: async ({ coordinate, phext }, { store }) => {
      const snapshot = await store.read(phext);
      return { body: snapshot?.phext.get(coordinate) ?? '', version: snapshot?.version ?? 0 };
    },
  }),
  insert: command({
    needs: ['coordinate', 'text', 'phext', 'ifVersion'],
    run: async ({ coordinate, text, phext, ifVersion }, { store }) => {
      const { version } = await store.mutate(phext, (draft) => draft.set(coordinate, draft.get(coordinate) + text), { ifVersion });
      return { body: `Inserted ${utf8Bytes(text)} bytes`, version };
    },
  }),
  update: command({
    needs: ['coordinate', 'text', 'phext', 'ifVersion'],
    run: async ({ coordinate, text, phext, ifVersion }, { store }) => {
      const { version } = await store.mutate(phext, (draft) => draft.set(coordinate, text), { ifVersion });
      return { body: `Updated ${utf8Bytes(text)} bytes`, version };
    },
  }),
  delete: command({
    needs: ['coordinate', 'phext', 'ifVersion'],
    run: async ({ coordinate, phext, ifVersion }, { store }) => {
      // Deleting from a phext that does not exist must not create its file.
      const snapshot = await store.read(phext);
      if (!snapshot?.phext.has(coordinate) && ifVersion === undefined) return { body: 'Removed 0 bytes', version: snapshot?.version ?? 0 };
      const { value: removed, version } = await store.mutate(phext, (draft) => utf8Bytes(draft.delete(coordinate)), { ifVersion });
      return { body: `Removed ${removed} bytes`, version };
    },
  }),
  toc: command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => streamFromPhext(store, phext, tocLines),
  }),
  get: command({
    needs: ['phext'],
    page: true,
    run: async ({ phext }, { store }) => {
      const snapshot = await store.read(phext);
      // A version never serialized yet (most are: a write only logs its scrolls) is made a
      // megabyte per turn; the bytes are kept for the next reader of that version.
      const bytes = snapshot && (await snapshot.bytes());
      return { body: bytes ? StreamedBody.fromBuffer(bytes, { holds: snapshot }) : '', version: snapshot?.version ?? 0 };
    },
  }),
  checksum: command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => {
      const snapshot = await store.read(phext);
      return { body: snapshot ? await snapshot.checksum() : checksum(''), version: snapshot?.version ?? 0 };
    },
  }),
  delta: command({
    needs: ['manifest', 'phext'],
    run: async ({ manifest, phext }, { store }) => streamFromPhext(store, phext, (p) => serializePieces(deltaScrolls(p, manifest))),
  }),
  'json-export': command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => ({
      ...(await streamFromPhext(store, phext, jsonExportPieces)),
      contentType: 'application/json; charset=utf-8',
    }),
  }),
  status: command({
    needs: ['phext', 'connectionId'],
    run: async ({ phext, connectionId }, { store }) => {
      const snapshot = await store.read(phext);
      const lines = [
        `Hosting: ${phext.name}.phext`,
        `Connection ID: ${connectionId}`,
        `Phext Size: ${snapshot?.size ?? 0}`,
        `Scrolls: ${snapshot?.phext.size ?? 0}`,
        `Version: ${snapshot?.version ?? 0}`,
      ];
      return { body: lines.join('\n'), version: snapshot?.version ?? 0 };
    },
  }),
  where: command({
    needs: ['algo', 'limit', 'source'],
    run: async ({ algo, limit, source }) => {
      const coordinate = where(source, algo, limit);
      return { body: `Calculated coordinate ${coordinate.toString()} for input (algo=${algo}, limit=${limit}).` };
    },
  }),
} as const satisfies Readonly<Record<string, Command>>;

export type CommandName = keyof typeof COMMANDS;
