import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { VERSION } from '../version.js';

/** The console's files, beside dist/ in the package (package.json `files`). */
const FILES = new URL('../../../web/console/', import.meta.url);
/** Where its scripts and styles are served; its page is `/`. */
const ASSETS = '/console/';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/**
 * The console runs with its user's token in its memory, on the API's origin: only its own files
 * may run or style it (no inline script or style, nothing from elsewhere, no framing), and it
 * talks to this origin only. Pages kept in scrolls are sandboxed apart from it (page-file.ts).
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** One answer of the console: 200 with its file, or 304 when the client holds it already. */
export interface ConsoleAnswer {
  readonly status: 200 | 304;
  readonly contentType: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Answers a GET of the console's path `path` (`/` or `/console/<file>`); undefined: not one of its files. */
export type ConsoleFiles = (path: string, ifNoneMatch: string | undefined) => ConsoleAnswer | undefined;

/**
 * The web console (web/console/), read once: its files are small and change only with the
 * package. Answers are revalidated on each load (`no-cache` with an ETag, 304), so a new version
 * is picked up at once. `sq host` and `sq route` both serve it: it holds nothing of anyone's, and
 * signs in against the API itself.
 */
export function consoleFiles(): ConsoleFiles {
  const assets = new Map<string, { body: Buffer; type: string; etag: string }>();
  for (const name of readdirSync(FILES)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    let body = readFileSync(new URL(name, FILES));
    // The server's version, for the console to show, without an endpoint of its own.
    if (name === 'index.html') body = Buffer.from(body.toString('utf8').replaceAll('{{VERSION}}', VERSION));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return (path, ifNoneMatch) => {
    const name = path === '/' ? 'index.html' : path.startsWith(ASSETS) ? path.slice(ASSETS.length) : undefined;
    const asset = name === undefined ? undefined : assets.get(name);
    if (!asset) return undefined;
    const headers = {
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    };
    if (ifNoneMatch === asset.etag) return { status: 304, contentType: asset.type, headers, body: Buffer.alloc(0) };
    return { status: 200, contentType: asset.type, headers, body: asset.body };
  };
}

/** Whether `path` is the console's (its page or under its folder). */
export const isConsolePath = (path: string): boolean => path === '/' || path.startsWith(ASSETS);
