import { checksum } from './checksum.js';
import { Coordinate } from './coordinate.js';
import { PhextInputError } from './errors.js';
import { Phext } from './phext.js';

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
    const line = lines[n].endsWith('\r') ? lines[n].slice(0, -1) : lines[n];
    if (line.trim() === '') continue;
    const where = `manifest line ${n + 1}`;
    const colon = line.indexOf(': ');
    if (colon < 0) throw new PhextInputError(`${where}: expected "<coordinate>: <checksum>", got ${JSON.stringify(line.slice(0, 80))}`);
    const coordinate = Coordinate.parse(line.slice(0, colon));
    const problem = coordinate.problem();
    if (problem !== undefined) throw new PhextInputError(`${where}: invalid coordinate: ${problem}`);
    entries.set(coordinate.key, { coordinate, checksum: line.slice(colon + 2).trim().toLowerCase() });
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
  const client = parseManifest(clientManifest);
  const out = new Phext();
  for (const s of server.scrolls()) {
    const held = client.get(s.coordinate.key);
    if (held === undefined || held.checksum !== checksum(s.text)) out.set(s.coordinate, s.text);
  }
  for (const entry of client.values()) if (!server.has(entry.coordinate)) out.set(entry.coordinate, SCROLL_MISSING);
  return out;
}
