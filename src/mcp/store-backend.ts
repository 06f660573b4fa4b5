import { scrollText } from '../commands/input.js';
import { COMMANDS } from '../commands/table.js';
import type { Coordinate } from '../phext/coordinate.js';
import { summary } from '../phext/toc.js';
import type { DocumentStore } from '../store/document-store.js';
import { ToolError, type Backend, type PhextSummary } from './backend.js';

/** A data directory's phexts, as `sq mcp --data-dir` serves them. */
export interface StoreBackendOptions {
  readonly store: DocumentStore;
  readonly tenant: string;
  readonly where: string;
  /** The phext of a request without `p`. */
  readonly defaultPhext: string;
  names(): Promise<string[]>;
  readonly version: string;
}

/**
 * The tools straight over the store `sq host` would use there, writes through the same commands
 * (so a write answers and is refused as over HTTP).
 */
export function storeBackend(options: StoreBackendOptions): Backend {
  const { store } = options;
  const key = (p: string) => ({ tenant: options.tenant, name: p || options.defaultPhext });
  const bytesOf = (body: unknown) => Number(/(\d+) bytes$/.exec(String(body))?.[1] ?? 0);
  return {
    where: options.where,
    version: async () => options.version,
    read: async (p, c: Coordinate) => {
      const snapshot = await store.read(key(p));
      return { text: snapshot?.phext.get(c) ?? '', version: snapshot?.version ?? 0 };
    },
    write: async (kind, p, coordinate, text, ifVersion) => {
      // The rule HTTP applies to a body: a delimiter byte would split the scroll when next read.
      const reply = await COMMANDS[kind].run({ coordinate, text: scrollText(text), phext: key(p), ifVersion }, { store });
      return { bytes: bytesOf(reply.body), version: reply.version ?? 0 };
    },
    delete: async (p, coordinate, ifVersion) => {
      const reply = await COMMANDS.delete.run({ coordinate, phext: key(p), ifVersion }, { store });
      return { bytes: bytesOf(reply.body), version: reply.version ?? 0 };
    },
    list: async () => {
      const listed: PhextSummary[] = [];
      for (const name of await options.names()) {
        const snapshot = await store.read(key(name));
        listed.push({ name, bytes: snapshot?.size ?? 0, scrolls: snapshot?.phext.size ?? 0, version: snapshot?.version ?? 0 });
      }
      return listed;
    },
    info: async (p) => {
      const snapshot = await store.read(key(p));
      return { bytes: snapshot?.size ?? 0, scrolls: snapshot?.phext.size ?? 0, version: snapshot?.version ?? 0 };
    },
    toc: async (p) => {
      const snapshot = await store.read(key(p));
      const lines = [...(snapshot?.phext.scrolls() ?? [])].map((s) => ({ coord: s.coordinate.toString(), summary: summary(s.text) }));
      return { version: snapshot?.version ?? 0, lines };
    },
    scrolls: async (p, maxBytes) => {
      const snapshot = await store.read(key(p));
      if (snapshot && snapshot.size > maxBytes)
        throw new ToolError(`${key(p).name} is ${snapshot.size} bytes, over the ${maxBytes} bytes a search reads`);
      const scrolls = function* () {
        for (const s of snapshot?.phext.scrolls() ?? []) yield { coord: s.coordinate.toString(), text: s.text };
      };
      return { version: snapshot?.version ?? 0, scrolls: scrolls() };
    },
  };
}
