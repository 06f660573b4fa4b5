import { checksum } from './checksum.js';
import { Coordinate } from './coordinate.js';
import { PhextInputError } from './errors.js';
import { Phext, type Scroll } from './phext.js';

/** The text delta puts at a coordinate the client listed but the server has no scroll at. */
export const SCROLL_MISSING = '---sq:Scroll-Missing---';

/** One line of a manifest: a scroll's coordinate and the checksum of its text. */
export interface ManifestEntry {
  readonly coordinate: Coordinate;
  readonly checksum: string;
}

/** Lines `<coord>: <checksum of the scroll text>\n`, one per scroll in coordinate order (what a delta client sends). */
export function manifest(phext: Phext): string {
  let out = '';
  for (const s of phext.scrolls()) out += `${s.coordinate.toString()}: ${checksum(s.text)}\n`;
  return out;
}

/**
 * Reads manifest lines `<coord>: <checksum>`. Blank lines are skipped and a trailing `\r` is
 * ignored (Windows clients); the coordinate is read leniently like a request's `c`, the checksum
 * is trimmed and compared case-insensitively, and a later line for the same coordinate wins.
 * Throws {@link PhextInputError} naming the line for a line without `: ` or with an invalid
 * coordinate (the original silently skipped those, hiding client bugs).
 */
export function parseManifest(text: string): Map<string, ManifestEntry> {
  const entries = new Map<string, ManifestEntry>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const where = `manifest line ${n + 1}`;
    const colon = line.indexOf(': ');
    if (colon < 0) throw new PhextInputError(`${where}: expected "<coordinate>: <checksum>", got ${JSON.stringify(line.slice(0, 80))}`);
    const coordinate = Coordinate.parse(line.slice(0, colon));
    const problem = coordinate.problem();
    if (problem !== undefined) throw new PhextInputError(`${where}: invalid coordinate: ${problem}`);
    entries.set(coordinate.key, {
      coordinate,
      checksum: line
        .slice(colon + 2)
        .trim()
        .toLowerCase(),
    });
  }
  return entries;
}

/**
 * What a client holding `clientManifest` needs to catch up with `server` (SQ's `delta`): every
 * server scroll the client lacks or whose checksum differs, and {@link SCROLL_MISSING} at each
 * coordinate the client listed that the server has no scroll at. An empty manifest gets the
 * whole phext. Throws {@link PhextInputError} for a malformed manifest (see {@link parseManifest}).
 */
export function delta(server: Phext, clientManifest: string): Phext {
  return Phext.from(deltaScrolls(server, clientManifest));
}

/**
 * The scrolls of {@link delta} in coordinate order, produced lazily from `server` (which must not
 * change meanwhile), so that a large delta can be streamed without a second copy of the phext.
 * The manifest is read at once: a malformed one throws here, before any scroll is produced.
 */
export function deltaScrolls(server: Phext, clientManifest: string): Iterable<Scroll> {
  const client = parseManifest(clientManifest);
  const missing: Scroll[] = [];
  for (const entry of client.values()) {
    if (!server.has(entry.coordinate)) missing.push({ coordinate: entry.coordinate, text: SCROLL_MISSING });
  }
  missing.sort((a, b) => (a.coordinate.key < b.coordinate.key ? -1 : 1));
  return mergeByKey(changedScrolls(server, client), missing);
}

function* changedScrolls(server: Phext, client: Map<string, ManifestEntry>): Generator<Scroll> {
  for (const s of server.scrolls()) {
    const held = client.get(s.coordinate.key);
    if (held === undefined || held.checksum !== checksum(s.text)) yield s;
  }
}

/** Two runs of scrolls in coordinate order, with no coordinate in both, as one run in order. */
function* mergeByKey(a: Iterable<Scroll>, b: readonly Scroll[]): Generator<Scroll> {
  let j = 0;
  for (const s of a) {
    while (j < b.length && b[j]!.coordinate.key < s.coordinate.key) yield b[j++]!;
    yield s;
  }
  while (j < b.length) yield b[j++]!;
}
