/**
 * `sq watch URL`: follows a server's `/api/v2/watch` stream and prints one line per change,
 * reconnecting (and resuming from the last id it saw) when the connection drops.
 * Only node's http/https: a command that may run for days in a terminal should start fast.
 */
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import { UsageError, type Command } from '../command.js';

const USAGE = `Usage: sq watch <url> [-p NAME] [-c PREFIX] [--since VERSION] [--key TOKEN]

Print the changes a server (sq host, or sq route in front of it) commits, one line each:
"<version> <kind> <coord> <bytes>" (kind is insert, update or delete). Without -p the stream
covers every phext of the tenant and <version> is "<name>:<version>".
A line "reset <version> <checksum>" says changes may have been missed (the resume point is older
than the server keeps): read the phext again (sq's delta) before trusting what follows.

  <url>            the server, e.g. http://127.0.0.1:1337 (the token never goes in it)
  -p, --phext NAME follow one phext (needed for --since)
  -c, --prefix C   follow one branch: leading coordinate parts, e.g. 2.1.1/3
  --since VERSION  first replay the changes after VERSION
  --key TOKEN      the tenant's token; the SQ_KEY environment variable works too and hides it from ps

A dropped connection is retried (backoff up to 10 s), resuming after the last change printed;
a refusal (bad token, bad argument) exits 1 with the server's message, and so does an overflow
(this watcher read too slowly; run it again with --since). Ctrl-C exits 0.
The local daemon (sq share) has no change feed: sq watch needs a server URL.`;

const MAX_BACKOFF_MS = 10_000;

/** Why one connection ended. */
type Ending = { readonly kind: 'dropped' } | { readonly kind: 'fatal'; readonly message: string };

interface Target {
  readonly url: URL;
  readonly token: string | undefined;
}

/** The base URL the user gave, with `api/v2/watch` and the stream's parameters. */
function watchUrl(text: string, params: Record<string, string | undefined>): URL {
  let base: URL;
  try {
    base = new URL(text);
  } catch {
    throw new UsageError(`invalid URL '${text}'`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new UsageError(`the URL must be http:// or https://, got '${text}'`);
  // A token in a URL ends up in shell history, server logs and proxies' logs.
  if (base.username || base.password || base.search) {
    throw new UsageError('the URL takes no credentials or query: pass the token with --key or SQ_KEY, the stream with -p/-c/--since');
  }
  const url = new URL('api/v2/watch', base.href.endsWith('/') ? base : new URL(base.href + '/'));
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url;
}

/** One block of the stream's `field: value` lines, as the SSE format reads them. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    fields.set(name, colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, ''));
  }
  return fields;
}

function lineOf(event: string, data: Record<string, unknown>, id: string): string | undefined {
  if (event === 'change') return `${id} ${String(data.kind)} ${String(data.coord)} ${String(data.bytes)}`;
  if (event === 'reset') return `reset ${id || '-'} ${typeof data.checksum === 'string' ? data.checksum : '-'}`;
  return undefined;
}

/**
 * One connection: prints its events and resolves when it ends. `lastId` is updated as lines are
 * printed, so the next connection resumes after the last change the user saw.
 */
function follow(target: Target, state: { lastId: string | undefined; connected: boolean }, signal: AbortSignal): Promise<Ending> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { Accept: 'text/event-stream' };
    if (target.token) headers.Authorization = `Bearer ${target.token}`;
    if (state.lastId !== undefined) headers['Last-Event-ID'] = state.lastId;
    const get = target.url.protocol === 'https:' ? https.get : http.get;
    const req = get(target.url, { headers, signal, agent: false });
    req.on('error', () => resolve({ kind: 'dropped' }));
    req.on('response', (res) => {
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (text: string) => {
          body += text.slice(0, 500);
        });
        res.on('end', () => {
          const message = `${res.statusCode} ${body.trim().split('\n')[0] ?? ''}`.trim();
          // Busy (503) or a gateway between us and a restarting server: worth another try.
          if ([502, 503, 504].includes(res.statusCode ?? 0)) resolve({ kind: 'dropped' });
          else resolve({ kind: 'fatal', message: `${target.url.origin} refused the stream: ${message}` });
        });
        res.on('error', () => resolve({ kind: 'dropped' }));
        return;
      }
      state.connected = true;
      let pending = '';
      res.on('data', (text: string) => {
        pending += text.replace(/\r\n?/g, '\n');
        let out = '';
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const fields = fieldsOf(pending.slice(0, end));
          pending = pending.slice(end + 2);
          const event = fields.get('event') ?? 'message';
          if (event === 'overflow') {
            // The lines before it are printed: the resume point named below comes after them.
            if (out) process.stdout.write(out);
            req.destroy();
            return resolve({
              kind: 'fatal',
              message: `the server cut this watcher off: it read too slowly (overflow)${state.lastId ? `; resume with --since ${state.lastId}` : ''}`,
            });
          }
          const id = fields.get('id');
          let data: Record<string, unknown> = {};
          try {
            data = JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown>;
          } catch {
            // Not ours to print: a block without JSON data (only a heartbeat or the preamble).
          }
          const line = lineOf(event, data, id ?? '');
          if (line !== undefined) out += line + '\n';
          if (id !== undefined) state.lastId = id;
        }
        if (out) process.stdout.write(out);
      });
      res.on('end', () => resolve({ kind: 'dropped' }));
      res.on('error', () => resolve({ kind: 'dropped' }));
      res.on('close', () => resolve({ kind: 'dropped' }));
    });
  });
}

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Print the changes a server commits, one line each, as they happen',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        phext: { type: 'string', short: 'p' },
        prefix: { type: 'string', short: 'c' },
        since: { type: 'string' },
        key: { type: 'string' },
      },
    });
    if (positionals.length === 0) {
      throw new Error('needs a server URL, e.g. sq watch http://127.0.0.1:1337 -p notes (the sq share daemon has no change feed)');
    }
    if (positionals.length > 1) throw new UsageError('expected one <url>');
    if (values.since !== undefined && !/^\d+$/.test(values.since))
      throw new UsageError(`--since must be a version (a whole number), got '${values.since}'`);
    if (values.since !== undefined && !values.phext) throw new UsageError('--since needs -p: versions are per phext');
    const target: Target = {
      url: watchUrl(positionals[0]!, { p: values.phext, c: values.prefix, since: values.since }),
      token: values.key ?? (process.env.SQ_KEY || undefined),
    };

    const abort = new AbortController();
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        abort.abort();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // `sq watch … | head -3`: the reader is done, and so are we.
      process.stdout.once('error', stop);
    });
    const state: { lastId: string | undefined; connected: boolean } = { lastId: undefined, connected: false };
    let backoff = 250;
    for (;;) {
      state.connected = false;
      const ending = await Promise.race([follow(target, state, abort.signal), stopped.then(() => undefined)]);
      if (ending === undefined || abort.signal.aborted) return 0;
      if (ending.kind === 'fatal') {
        process.stderr.write(`sq watch: ${ending.message}\n`);
        return 1;
      }
      // A stream that was up starts the next wait short again; failures in a row wait longer.
      if (state.connected) backoff = 250;
      process.stderr.write(`sq watch: connection lost; reconnecting${state.lastId ? ` after ${state.lastId}` : ''}\n`);
      const waited = await Promise.race([new Promise((r) => setTimeout(r, backoff, 'waited')), stopped]);
      if (waited !== 'waited') return 0;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  },
};
