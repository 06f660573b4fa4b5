import type { Coordinate } from '../phext/coordinate.js';

/** A scroll with its text, as a search sees it. */
interface ScrollText {
  readonly coord: string;
  readonly text: string;
}

/** One line of a table of contents. */
interface TocLine {
  readonly coord: string;
  readonly summary: string;
}

/** A phext of the listing. */
export interface PhextSummary {
  readonly name: string;
  readonly bytes: number;
  readonly scrolls: number;
  readonly version: number;
}

/** What the MCP tools ask of SQ: a server over HTTP (the typed client), or a data directory's store. */
export interface Backend {
  /** For `sq_info`: the server's URL or the data directory. */
  readonly where: string;
  version(): Promise<string>;
  /** The scroll's text ('' when there is none) and the phext's version. */
  read(p: string, c: Coordinate): Promise<{ text: string; version: number }>;
  write(
    kind: 'update' | 'insert',
    p: string,
    c: Coordinate,
    text: string,
    ifVersion: number | undefined,
  ): Promise<{ bytes: number; version: number }>;
  delete(p: string, c: Coordinate, ifVersion: number | undefined): Promise<{ bytes: number; version: number }>;
  list(): Promise<PhextSummary[]>;
  info(p: string): Promise<{ bytes: number; scrolls: number; version: number }>;
  toc(p: string): Promise<{ version: number; lines: TocLine[] }>;
  /** Every scroll of `p`, refused (one line) when the phext is over `maxBytes`. */
  scrolls(p: string, maxBytes: number): Promise<{ version: number; scrolls: Iterable<ScrollText> }>;
}

/** A refusal of a tool's input or of the backend, told to the agent as one line. */
export class ToolError extends Error {
  override name = 'ToolError';
}
