import type { Coordinate } from '../phext/coordinate.js';
import { branchProblem, coordinateText, nameProblem, type CoordinateLike } from './coordinates.js';
import { SqBadRequestError, SqError, errorOf } from './errors.js';
import { watchEvents, type WatchEvent, type WatchOptions } from './watch.js';

export interface SqClientOptions {
  /** The server, e.g. `http://127.0.0.1:1337` (a path prefix, as behind a proxy, is kept). */
  readonly url: string;
  /** The tenant's token, sent as `Authorization: Bearer`; none for an open server. */
  readonly token?: string | undefined;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** Options of a write: made only if the phext is still at `ifVersion` (else SqVersionConflictError). */
export interface WriteOptions {
  readonly ifVersion?: number;
  readonly signal?: AbortSignal;
}

export interface ReadOptions {
  readonly signal?: AbortSignal;
}

/** A phext's version with a read of it (the ETag). */
export interface Versioned {
  readonly version: number;
}

/**
 * A scroll as `select` answers. SQ keeps no empty scrolls (writing '' removes one), so an empty
 * text means the scroll is not there: `present` says so rather than leaving callers to guess.
 */
export interface Scroll extends Versioned {
  readonly coordinate: string;
  readonly text: string;
  readonly present: boolean;
}

/** What a write did: bytes written or removed, and the phext's version after it. */
export interface WriteResult extends Versioned {
  readonly bytes: number;
  readonly message: string;
}

/** One line of a table of contents: a scroll and the start of its text. */
export interface TocEntry {
  readonly coordinate: string;
  readonly summary: string;
}

export interface Toc extends Versioned {
  /** The phext's scrolls in coordinate order; empty for an empty or missing phext. */
  readonly entries: readonly TocEntry[];
}

export interface Text extends Versioned {
  readonly text: string;
}

export interface Checksum extends Versioned {
  /** XXH3-128 of the phext, 32 hex digits. */
  readonly checksum: string;
}

export interface ExportedScroll {
  readonly coord: string;
  readonly scroll: string;
}

export interface Status extends Versioned {
  readonly phext: string;
  readonly connectionId: number;
  /** Bytes of the phext as a file. */
  readonly size: number;
  readonly scrolls: number;
}

/** A phext of the tenant as `list` answers. */
export interface PhextInfo {
  readonly name: string;
  readonly bytes: number;
  readonly scrolls: number;
  readonly version: number;
  readonly modified: string | null;
}

/** A delta client's manifest: the checksum of each scroll it holds. */
export type Manifest = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly ifVersion?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

interface Answer {
  readonly text: string;
  readonly version: number;
  readonly contentType: string;
}

/**
 * A typed client of SQ's REST API (`/api/v2`), on `fetch` alone so that it runs in Node ≥ 20 and
 * in browsers. Every command is a method; a phext is named by `p` ('' for the server's default
 * phext), a scroll by a `Coordinate` or its full text. Refusals throw `SqError`s (subclassed by
 * status); a coordinate or name the server would refuse or misread is refused before sending.
 */
export class SqClient {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetcher: typeof fetch;

  constructor(options: SqClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** The server's version, e.g. `0.6.0`. */
  async version(options: ReadOptions = {}): Promise<string> {
    return (await this.call('version', { method: 'GET', signal: options.signal })).text;
  }

  /** The scroll at `c` of phext `p` (`present: false` and '' when there is none). */
  async select(p: string, c: CoordinateLike, options: ReadOptions = {}): Promise<Scroll> {
    const coordinate = coordinateOf(c);
    const { text, version } = await this.call('select', { method: 'GET', params: { p, c: coordinate }, signal: options.signal });
    return { coordinate, text, present: text !== '', version };
  }

  /** Appends `text` to the scroll at `c`. */
  insert(p: string, c: CoordinateLike, text: string, options: WriteOptions = {}): Promise<WriteResult> {
    return this.write('insert', p, c, text, options);
  }

  /** Replaces the scroll at `c` with `text` ('' removes it). */
  update(p: string, c: CoordinateLike, text: string, options: WriteOptions = {}): Promise<WriteResult> {
    return this.write('update', p, c, text, options);
  }

  /** Removes the scroll at `c` (`bytes` 0 when there was none). */
  async delete(p: string, c: CoordinateLike, options: WriteOptions = {}): Promise<WriteResult> {
    const answer = await this.call('delete', {
      method: 'DELETE',
      params: { p, c: coordinateOf(c) },
      ifVersion: options.ifVersion,
      signal: options.signal,
    });
    return writeResult(answer);
  }

  /** The table of contents of phext `p`. */
  async toc(p: string, options: ReadOptions = {}): Promise<Toc> {
    const { text, version } = await this.call('toc', { method: 'GET', params: { p }, signal: options.signal });
    const entries: TocEntry[] = [];
    for (const line of text.split('\n')) {
      const m = /^\* ([0-9./]+): (.*)$/.exec(line);
      // An empty phext lists one empty scroll at the origin, as the original does: not a scroll.
      if (m && m[2] !== '') entries.push({ coordinate: m[1]!, summary: m[2]! });
    }
    return { entries, version };
  }

  /** The whole phext as its file holds it ('' when missing). */
  async get(p: string, options: ReadOptions = {}): Promise<Text> {
    const { text, version } = await this.call('get', { method: 'GET', params: { p }, signal: options.signal });
    return { text, version };
  }

  /** XXH3-128 of the phext. */
  async checksum(p: string, options: ReadOptions = {}): Promise<Checksum> {
    const { text, version } = await this.call('checksum', { method: 'GET', params: { p }, signal: options.signal });
    return { checksum: text.trim(), version };
  }

  /** The scrolls a holder of `manifest` lacks or holds differently, as a phext; without one, the whole phext. */
  async delta(p: string, manifest?: Manifest, options: ReadOptions = {}): Promise<Text> {
    const entries = manifest === undefined ? [] : manifest instanceof Map ? [...manifest] : Object.entries(manifest);
    const body = entries.map(([c, sum]) => `${coordinateOf(c)}: ${sum}`).join('\n');
    const { text, version } = await this.call('delta', {
      method: manifest === undefined ? 'GET' : 'POST',
      params: { p },
      body: manifest === undefined ? undefined : body,
      signal: options.signal,
    });
    return { text, version };
  }

  /** Every scroll of the phext in coordinate order. */
  async jsonExport(p: string, options: ReadOptions = {}): Promise<{ scrolls: ExportedScroll[]; version: number }> {
    const { text, version } = await this.call('json-export', { method: 'GET', params: { p }, signal: options.signal });
    return { scrolls: JSON.parse(text) as ExportedScroll[], version };
  }

  /** The phext's size, scroll count and version, and this connection's id. */
  async status(p: string, options: ReadOptions = {}): Promise<Status> {
    const { text } = await this.call('status', { method: 'GET', params: { p }, signal: options.signal });
    const field = (name: string): string =>
      text
        .split('\n')
        .find((l) => l.startsWith(`${name}: `))
        ?.slice(name.length + 2) ?? '';
    return {
      phext: field('Hosting').replace(/\.phext$/, ''),
      connectionId: Number(field('Connection ID')),
      size: Number(field('Phext Size')),
      scrolls: Number(field('Scrolls')),
      version: Number(field('Version')),
    };
  }

  /** Has the server read `<p>.phext` from disk again. */
  async load(p: string, options: ReadOptions = {}): Promise<string> {
    return (await this.call('load', { method: 'POST', params: { p }, signal: options.signal })).text;
  }

  /** The coordinate SQ infers for `source` (a phext's text). */
  async where(source: string, options: { algo?: 'xor' | 'checksum'; limit?: number; signal?: AbortSignal } = {}): Promise<string> {
    const { text } = await this.call('where', {
      method: 'POST',
      params: { algo: options.algo, limit: options.limit === undefined ? undefined : String(options.limit) },
      body: source,
      signal: options.signal,
    });
    const m = /^Calculated coordinate (\S+) /.exec(text);
    if (!m) throw new SqError(200, `Unexpected answer from where: ${text.split('\n', 1)[0]}`);
    return m[1]!;
  }

  /** The tenant's phexts, in name order. */
  async list(options: ReadOptions = {}): Promise<PhextInfo[]> {
    return JSON.parse((await this.call('list', { method: 'GET', signal: options.signal })).text) as PhextInfo[];
  }

  /**
   * The change feed as an async iterator: `change` and `reset` events, resumed after the last id
   * with `Last-Event-ID` whenever the connection drops (a restarted server, an overflow), with
   * backoff. Ends when the caller stops iterating or aborts `signal`; throws on a refusal that
   * trying again will not cure (401, 400).
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const problem = (options.p && nameProblem(options.p)) || (options.c !== undefined ? branchProblem(options.c) : undefined);
    if (problem) throw new SqBadRequestError(400, problem);
    return watchEvents(options, {
      url: (params) => this.url('watch', params),
      headers: () => this.headers(),
      fetch: this.fetcher,
    });
  }

  private async write(
    command: 'insert' | 'update',
    p: string,
    c: CoordinateLike,
    text: string,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const answer = await this.call(command, {
      method: 'POST',
      params: { p, c: coordinateOf(c) },
      body: text,
      ifVersion: options.ifVersion,
      signal: options.signal,
    });
    return writeResult(answer);
  }

  private url(command: string, params: Readonly<Record<string, string | undefined>> = {}): string {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, value);
    const q = query.toString();
    return `${this.base}/api/v2/${command}${q ? `?${q}` : ''}`;
  }

  private headers(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  private async call(command: string, call: Call): Promise<Answer> {
    const p = call.params?.p;
    const problem = p === undefined ? undefined : nameProblem(p);
    if (problem) throw new SqBadRequestError(400, problem);
    const headers = this.headers();
    if (call.body !== undefined) headers['Content-Type'] = 'text/plain; charset=utf-8';
    if (call.ifVersion !== undefined) headers['If-Match'] = `"${call.ifVersion}"`;
    let res: Response;
    try {
      res = await this.fetcher(this.url(command, call.params), {
        method: call.method,
        headers,
        body: call.body,
        signal: call.signal,
      });
    } catch (err) {
      if (call.signal?.aborted) throw err;
      throw new SqError(0, `${command}: no answer from ${this.base}: ${(err as Error)?.message ?? err}`);
    }
    const text = await res.text();
    if (!res.ok) throw errorOf(res.status, text, res.headers.get('Retry-After'));
    const etag = /^"(\d+)"$/.exec(res.headers.get('ETag') ?? '');
    return { text, version: etag ? Number(etag[1]) : 0, contentType: res.headers.get('Content-Type') ?? '' };
  }
}

function coordinateOf(c: CoordinateLike | Coordinate): string {
  const text = coordinateText(c);
  if (typeof text !== 'string') throw new SqBadRequestError(400, text.problem);
  return text;
}

function writeResult({ text, version }: Answer): WriteResult {
  const m = /(\d+) bytes$/.exec(text.trim());
  return { bytes: m ? Number(m[1]) : 0, message: text.trim(), version };
}
