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
async function streamFromPhext(store: DocumentStore, phext: PhextRef, pieces: (phext: Phext) => Iterable<string>): Promise<StreamedBody> {
  const snapshot = await store.read(phext.path);
  return StreamedBody.fromPieces(pieces(snapshot?.phext ?? EMPTY), { holds: snapshot });
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
      await store.reload(phext.path);
      return { body: `Loaded ${phext.name}.phext` };
    },
  }),
  select: command({
    needs: ['coordinate', 'phext'],
    page: true,
    run: async ({ coordinate, phext }, { store }) => ({ body: (await store.read(phext.path))?.phext.get(coordinate) ?? '' }),
  }),
  insert: command({
    needs: ['coordinate', 'text', 'phext'],
    run: async ({ coordinate, text, phext }, { store }) => {
      await store.mutate(phext.path, (draft) => draft.set(coordinate, draft.get(coordinate) + text));
      return { body: `Inserted ${utf8Bytes(text)} bytes` };
    },
  }),
  update: command({
    needs: ['coordinate', 'text', 'phext'],
    run: async ({ coordinate, text, phext }, { store }) => {
      await store.mutate(phext.path, (draft) => draft.set(coordinate, text));
      return { body: `Updated ${utf8Bytes(text)} bytes` };
    },
  }),
  delete: command({
    needs: ['coordinate', 'phext'],
    run: async ({ coordinate, phext }, { store }) => {
      // Deleting from a phext that does not exist must not create its file.
      if (!(await store.read(phext.path))?.phext.has(coordinate)) return { body: 'Removed 0 bytes' };
      const removed = await store.mutate(phext.path, (draft) => utf8Bytes(draft.delete(coordinate)));
      return { body: `Removed ${removed} bytes` };
    },
  }),
  toc: command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => ({ body: await streamFromPhext(store, phext, tocLines) }),
  }),
  get: command({
    needs: ['phext'],
    page: true,
    run: async ({ phext }, { store }) => {
      const snapshot = await store.read(phext.path);
      return { body: snapshot ? StreamedBody.fromBuffer(snapshot.bytes, { holds: snapshot }) : '' };
    },
  }),
  checksum: command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => {
      const snapshot = await store.read(phext.path);
      return { body: snapshot ? snapshot.checksum() : checksum('') };
    },
  }),
  delta: command({
    needs: ['manifest', 'phext'],
    run: async ({ manifest, phext }, { store }) => ({
      body: await streamFromPhext(store, phext, (p) => serializePieces(deltaScrolls(p, manifest))),
    }),
  }),
  'json-export': command({
    needs: ['phext'],
    run: async ({ phext }, { store }) => ({
      body: await streamFromPhext(store, phext, jsonExportPieces),
      contentType: 'application/json; charset=utf-8',
    }),
  }),
  status: command({
    needs: ['phext', 'connectionId'],
    run: async ({ phext, connectionId }, { store }) => {
      const snapshot = await store.read(phext.path);
      const lines = [
        `Hosting: ${phext.name}.phext`,
        `Connection ID: ${connectionId}`,
        `Phext Size: ${snapshot?.bytes.length ?? 0}`,
        `Scrolls: ${snapshot?.phext.size ?? 0}`,
      ];
      return { body: lines.join('\n') };
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
