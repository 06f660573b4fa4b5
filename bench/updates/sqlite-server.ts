/**
 * The update bench's reference server: SQ's update and select over plain node:http and SQLite
 * (better-sqlite3, WAL, `synchronous = FULL`), with group commit: the updates whose bodies arrive
 * in one event-loop turn are applied in one transaction by a `setImmediate` flush, and only then
 * answered. `node dist/bench/updates/sqlite-server.js DB` (the database seeded by `seedScrolls`);
 * prints `listening on http://127.0.0.1:PORT` like `sq host`.
 *
 * - `POST /api/v2/update?p=NAME&c=COORDINATE`, the text as the body → 200 `Updated N bytes`
 * - `GET /api/v2/select?p=NAME&c=COORDINATE` → 200 and the scroll's text (empty if none)
 */
import http from 'node:http';
import { openScrolls } from './sqlite-db.js';

interface Update {
  readonly phext: string;
  readonly coordinate: string;
  readonly text: string;
  readonly res: http.ServerResponse;
}

const path = process.argv[2];
if (!path) throw new Error('usage: sqlite-server.js DB');
const db = openScrolls(path);
db.pragma('synchronous = FULL');
// Read back, so that the reference cannot quietly run with weaker durability than it claims.
if (db.pragma('journal_mode', { simple: true }) !== 'wal' || db.pragma('synchronous', { simple: true }) !== 2) {
  throw new Error('sqlite-server: expected journal_mode = WAL and synchronous = FULL');
}
const upsert = db.prepare(
  'INSERT INTO scrolls (phext, coordinate, text) VALUES (?, ?, ?) ON CONFLICT (phext, coordinate) DO UPDATE SET text = excluded.text',
);
const select = db.prepare<[string, string], string>('SELECT text FROM scrolls WHERE phext = ? AND coordinate = ?').pluck();
const commit = db.transaction((batch: readonly Update[]) => {
  for (const u of batch) upsert.run(u.phext, u.coordinate, u.text);
});

let queue: Update[] = [];

/** Applies every queued update in one transaction (one WAL fsync), then answers them all. */
function flush(): void {
  const batch = queue;
  queue = [];
  try {
    commit(batch);
  } catch (err) {
    for (const u of batch) send(u.res, 500, `${err}`);
    return;
  }
  for (const u of batch) send(u.res, 200, `Updated ${Buffer.byteLength(u.text)} bytes`);
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const phext = url.searchParams.get('p');
  const coordinate = url.searchParams.get('c');
  const route = `${req.method} ${url.pathname}`;
  if (route !== 'POST /api/v2/update' && route !== 'GET /api/v2/select') {
    req.resume();
    return send(res, 404, 'Not found');
  }
  if (!phext || !coordinate) {
    req.resume();
    return send(res, 400, 'p and c are required');
  }
  if (route === 'GET /api/v2/select') return send(res, 200, select.get(phext, coordinate) ?? '');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (queue.length === 0) setImmediate(flush);
    queue.push({ phext, coordinate, text: Buffer.concat(chunks).toString('utf8'), res });
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : '?'}`);
});

process.once('SIGTERM', () => {
  if (queue.length > 0) flush();
  server.close();
  server.closeAllConnections();
  db.close();
  process.exit(0);
});
