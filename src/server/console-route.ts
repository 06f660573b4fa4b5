import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { VERSION } from '../version.js';
import { open } from './guards.js';
import { HttpError } from './http-error.js';
import type { Outcome } from './outcome.js';
import type { Route } from './route.js';

/** The console's files, beside dist/ in the package (package.json `files`). */
const FILES = new URL('../../../web/console/', import.meta.url);
const ASSETS = '/console/';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

/**
 * The console runs with the tokens of its user in its memory, on the API's origin: only its own
 * files may run or style it (no inline script or style, nothing from elsewhere, no framing), and
 * it talks to this server only. Pages kept in scrolls are sandboxed apart from it (page-file.ts).
 */
const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

/** Reads the console's files once: they are small and change only with the package. */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(FILES)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    let body = readFileSync(new URL(name, FILES));
    // The server's version, for the console to show, without an endpoint of its own.
    if (name === 'index.html') body = Buffer.from(body.toString('utf8').replaceAll('{{VERSION}}', VERSION));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type, etag });
  }
  return assets;
}

/**
 * The web console (web/console/): its page at `/`, its scripts and styles under `/console/`.
 * Open to all, like `/health`: the files hold nothing of anyone's, and the console signs in
 * against the API itself. Answers are revalidated on each load (ETag, 304), so a new version of
 * the package is picked up at once.
 */
export function consoleRoutes(): Route[] {
  const assets = loadAssets();
  const answer = (name: string, ifNoneMatch: string | undefined): Outcome => {
    const asset = assets.get(name);
    if (!asset) throw new HttpError(404, `Not Found: ${ASSETS}${name}`);
    const headers = {
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    };
    if (ifNoneMatch === asset.etag) return { status: 304, body: '', contentType: asset.type, headers, command: 'console' };
    return { status: 200, body: asset.body, contentType: asset.type, headers, command: 'console' };
  };
  const base = { methods: ['GET', 'HEAD'], command: 'console', auth: open } as const;
  return [
    { ...base, path: '/', handler: async (ex) => answer('index.html', ex.req.headers['if-none-match']) },
    { ...base, path: ASSETS, prefix: true, handler: async (ex) => answer(ex.path.slice(ASSETS.length), ex.req.headers['if-none-match']) },
  ];
}
