import { SqClient } from '../client/sq-client.js';
import type { Coordinate } from '../phext/coordinate.js';
import { ToolError, type Backend } from './backend.js';

/** The tools over an SQ server, through the typed client. */
export function httpBackend(url: string, token: string | undefined): Backend {
  const sq = new SqClient({ url, token });
  return {
    where: url,
    version: () => sq.version(),
    read: (p, c: Coordinate) => sq.select(p, c),
    write: (kind, p, c, text, ifVersion) => sq[kind](p, c, text, { ifVersion }),
    delete: (p, c, ifVersion) => sq.delete(p, c, { ifVersion }),
    list: async () => {
      try {
        return await sq.list();
      } catch (e) {
        if ((e as { status?: number }).status === 404)
          throw new ToolError(`${url} does not list its phexts (an SQ server without GET /api/v2/list)`);
        throw e;
      }
    },
    info: async (p) => {
      const status = await sq.status(p);
      return { bytes: status.size, scrolls: status.scrolls, version: status.version };
    },
    toc: async (p) => {
      const toc = await sq.toc(p);
      return { version: toc.version, lines: toc.entries.map((e) => ({ coord: e.coordinate, summary: e.summary })) };
    },
    scrolls: async (p, maxBytes) => {
      const { size } = await sq.status(p);
      if (size > maxBytes) throw new ToolError(`${p || 'the default phext'} is ${size} bytes, over the ${maxBytes} bytes a search reads`);
      const exported = await sq.jsonExport(p);
      return { version: exported.version, scrolls: exported.scrolls.map((s) => ({ coord: s.coord, text: s.scroll })) };
    },
  };
}
